/**
 * Sparkplug B topics and how their edge nodes and devices are named as things. Shared because the
 * ACL (shared/acl.ts) and the host application (broker/sparkplug) must agree on both.
 *
 * Naming: edge node `{group}/…/{edge}` is thing `{group}:{edge}`; its device `{device}` is thing
 * `{group}:{edge}:{device}`. Thing names allow only [a-zA-Z0-9:_-], so a Sparkplug id must be
 * 1+ characters of [a-zA-Z0-9_-] (no `:`, which separates the parts, and no `.` or space) and the
 * whole name at most 128 characters; messages of other ids are ignored (and logged) by the host.
 */
export const SPARKPLUG_NAMESPACE = "spBv1.0";

export const EDGE_MESSAGE_TYPES = ["NBIRTH", "NDEATH", "NDATA", "DBIRTH", "DDEATH", "DDATA"] as const;
export const COMMAND_TYPES = ["NCMD", "DCMD"] as const;
export type EdgeMessageType = (typeof EDGE_MESSAGE_TYPES)[number];
export type CommandType = (typeof COMMAND_TYPES)[number];
export type SparkplugMessageType = EdgeMessageType | CommandType;

export interface SparkplugTopic {
  group: string;
  type: SparkplugMessageType;
  edge: string;
  /** Set for D* messages. */
  device?: string;
}

const ID = /^[a-zA-Z0-9_-]+$/;
const TYPES = new Set<string>([...EDGE_MESSAGE_TYPES, ...COMMAND_TYPES]);

/** Whether an id (group, edge node or device) can be part of a thing name. */
export function isNameableId(id: string): boolean {
  return ID.test(id);
}

/**
 * Parses `spBv1.0/{group}/{type}/{edge}[/{device}]` (device exactly for D* types). Returns null for
 * anything else, including `spBv1.0/STATE/…`. Ids are returned as found (see isNameableId).
 */
export function parseSparkplugTopic(topic: string): SparkplugTopic | null {
  const parts = topic.split("/");
  const [ns, group, type, edge, device] = parts;
  if (ns !== SPARKPLUG_NAMESPACE || group === undefined || type === undefined || edge === undefined)
    return null;
  if (!TYPES.has(type) || group === "" || edge === "" || group === "STATE") return null;
  const isDevice = type.startsWith("D");
  if (isDevice ? parts.length !== 5 || device === "" : parts.length !== 4) return null;
  return isDevice
    ? { group, type: type as SparkplugMessageType, edge, device }
    : { group, type: type as SparkplugMessageType, edge };
}

/** The thing of an edge node (`{group}:{edge}`) or device (`{group}:{edge}:{device}`), or null when unnameable. */
export function sparkplugThing(group: string, edge: string, device?: string): string | null {
  const ids = device === undefined ? [group, edge] : [group, edge, device];
  if (!ids.every(isNameableId)) return null;
  const name = ids.join(":");
  return name.length <= 128 ? name : null;
}

/** The edge node thing a topic speaks for (also for device topics: the edge node publishes for them). */
export function edgeThingOf(t: Pick<SparkplugTopic, "group" | "edge">): string | null {
  return sparkplugThing(t.group, t.edge);
}

export function sparkplugTopic(
  group: string,
  type: SparkplugMessageType,
  edge: string,
  device?: string,
): string {
  return [SPARKPLUG_NAMESPACE, group, type, edge, ...(device === undefined ? [] : [device])].join("/");
}

/** Sparkplug 3.0 host application state: `spBv1.0/STATE/{host_id}`, retained JSON {online, timestamp}. */
export function stateTopic(hostId: string): string {
  return `${SPARKPLUG_NAMESPACE}/STATE/${hostId}`;
}

/**
 * What a filter (wildcards allowed) in the Sparkplug namespace may reach, for the ACL:
 * - `state`: only `spBv1.0/STATE/…` topics;
 * - `commands`: only NCMD/DCMD of one edge node (`spBv1.0/{g}/NCMD/{e}[/…]`, `spBv1.0/{g}/DCMD/{e}/…`);
 * - `other`: anything else (births, data, several edge nodes).
 * Null when the filter is not in the Sparkplug namespace at all.
 */
export function sparkplugFilterScope(
  filter: string,
): { kind: "state" } | { kind: "commands"; edgeThing: string } | { kind: "other" } | null {
  const levels = filter.split("/");
  if (levels[0] !== SPARKPLUG_NAMESPACE) return null;
  const [, group, type, edge] = levels;
  if (group === "STATE" && levels.length >= 3) return { kind: "state" };
  if (group === undefined || edge === undefined || (type !== "NCMD" && type !== "DCMD"))
    return { kind: "other" };
  const thing = isWild(group) || isWild(edge) ? null : sparkplugThing(group, edge);
  return thing === null ? { kind: "other" } : { kind: "commands", edgeThing: thing };
}

function isWild(level: string): boolean {
  return level === "+" || level === "#";
}
