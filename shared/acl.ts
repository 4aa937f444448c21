import { compileThingPattern, matchesThing, type ThingPattern } from "./glob.ts";
import { isRelayableTopic } from "./relay/topic-filter.ts";
import {
  EDGE_MESSAGE_TYPES,
  edgeThingOf,
  parseSparkplugTopic,
  SPARKPLUG_NAMESPACE,
  sparkplugFilterScope,
  sparkplugThing,
} from "./sparkplug-topics.ts";
import { isValidThingName, parseShadowTopic, ROOTS } from "./topics.ts";

/**
 * Who may do what. Roles:
 * - device: its own thing only — its shadow topics (both roots), `things/{thing}/#` (telemetry), presence.
 * - bridge: acts as the device for every thing its pattern grants.
 * - operator: reads everything; writes `desired` (and deletes) shadows of the things it is scoped to;
 *   publishes anywhere except a thing's telemetry (`things/{t}/telemetry[/…]`).
 * - viewer: reads everything, writes nothing.
 * - site: a peer node's relay identity: `$umbra/relay/{its own name}/#` only (up: its frames, down:
 *   the frames addressed to it); its things grant is the relay's share policy.
 * - anonymous: only with --allow-anonymous (development): may do everything an operator may, and
 *   write `reported` too, so any plain MQTT client can play device and operator.
 */
export type Role = "device" | "bridge" | "operator" | "viewer" | "site" | "anonymous";
export const USER_ROLES = ["operator", "viewer", "bridge", "site"] as const;
export type UserRole = (typeof USER_ROLES)[number];

export interface Principal {
  /** Identity name: the thing for a device, the user name, or the token's name. */
  readonly name: string;
  readonly role: Role;
  /** Things this principal acts on (device: its thing; bridge/operator: its grant). */
  readonly things: ThingPattern;
}

export function principal(name: string, role: Role, things = "*"): Principal {
  return { name, role, things: compileThingPattern(role === "device" ? name : things) };
}

export const ANONYMOUS: Principal = principal("anonymous", "anonymous");

const reads = (role: Role) => role === "operator" || role === "viewer" || role === "anonymous";

/**
 * The one role check of the node's operations APIs (fleet, systems, jobs, alarms, telemetry, relay
 * peers, the console): operators and viewers read, operators act; anonymous (development) does both.
 * Devices, bridges and sites use their own narrower rules.
 */
export function mayReadFleet(p: Principal): boolean {
  return reads(p.role);
}

export function mayOperate(p: Principal): boolean {
  return p.role === "operator" || p.role === "anonymous";
}

const THING_SCOPED_ROOTS = new Set<string>([...ROOTS, "things"]);

/** The thing a topic (or filter) is about: `{$umbra|$aws}/things/{t}/…` or `things/{t}/…`. */
function thingLevel(levels: string[]): { thing: string; rest: string[] } | null {
  const [first, second, third] = levels;
  if (first === "things" && second !== undefined) return { thing: second, rest: levels.slice(2) };
  if (first !== undefined && THING_SCOPED_ROOTS.has(first) && second === "things" && third !== undefined) {
    return { thing: third, rest: levels.slice(3) };
  }
  return null;
}

function actsFor(p: Principal, thing: string): boolean {
  return thing !== "+" && thing !== "#" && matchesThing(p.things, thing);
}

/**
 * Whether a filter can match `$umbra/relay/…` (site-only) or another `$umbra/<x>` topic that is not a
 * thing's: `$umbra/#` and `$umbra/+/…` would also match the sink of denied publishes (`$umbra/denied`).
 */
function mayMatchRelayOrSink(levels: string[]): boolean {
  return levels[0] === "$umbra" && (levels[1] === "relay" || levels[1] === "+" || levels[1] === "#");
}

/** May `p` subscribe to `filter` (wildcards allowed)? Every topic the filter can match must be readable. */
export function maySubscribe(p: Principal, filter: string): boolean {
  const levels = filter.split("/");
  // A site sees only its own relay topics (`…/down` carries the frames addressed to it).
  if (p.role === "site") return filter.startsWith(`$umbra/relay/${p.name}/`);
  if (reads(p.role)) return !mayMatchRelayOrSink(levels);
  const sparkplug = sparkplugFilterScope(filter);
  if (sparkplug !== null) return maySubscribeSparkplug(p, sparkplug);
  // device and bridge: only filters pinned to one of their things.
  const scoped = thingLevel(levels);
  return scoped !== null && actsFor(p, scoped.thing);
}

/**
 * May `p` publish on `topic` (no wildcards)? Shadow request topics are allowed for anyone who may read
 * the shadow: the shadow service then answers 403 for an operation the principal may not perform.
 * Node-owned topics (replies, presence) are never publishable and are filtered elsewhere.
 */
export function mayPublish(p: Principal, topic: string): boolean {
  const levels = topic.split("/");
  // A site publishes only under its own name (`…/up`): a child cannot speak for another site.
  if (p.role === "site") return topic.startsWith(`$umbra/relay/${p.name}/`);
  if (levels[0] === "$umbra" && levels[1] === "relay") return false;
  if (p.role === "anonymous") return true;
  if (levels[0] === SPARKPLUG_NAMESPACE) return mayPublishSparkplug(p, topic);
  // Telemetry is a thing's own measurement: only its device or a bridge granted it publishes it (not
  // operators, who may publish anywhere else), so stored telemetry always comes from the thing's side.
  if (levels[0] === "things" && levels[2] === "telemetry") {
    const t = thingLevel(levels);
    return (p.role === "device" || p.role === "bridge") && t !== null && actsFor(p, t.thing);
  }
  if (p.role === "operator") return true;
  const scoped = thingLevel(levels);
  if (p.role === "viewer") {
    // Read-only: shadow get requests, nothing that could reach another subscriber as a write.
    const shadow = parseShadowTopic(topic);
    return shadow !== null && shadow.op === "get" && shadow.reply === undefined;
  }
  return scoped !== null && actsFor(p, scoped.thing);
}

/**
 * May a parent republish a message its child site `p` relayed on `topic`? The site speaks for the
 * devices and bridges of the things its grant covers, exactly as a bridge of that grant would publish:
 * `things/{t}/…` of granted things, Sparkplug edge messages (births, data, deaths) of edge nodes inside
 * the grant. Never commands (NCMD/DCMD), host STATE, `$` topics, wildcards, or topics outside the grant.
 */
export function mayRelay(p: Principal, topic: string): boolean {
  if (p.role !== "site" || !isRelayableTopic(topic)) return false;
  const alarmed = alarmThingOf(topic);
  if (alarmed !== undefined) return isValidThingName(alarmed) && actsFor(p, alarmed);
  return mayPublish({ ...p, role: "bridge" }, topic);
}

/**
 * The thing of an alarm record `umbra/alarms/{site}/{system}/{rule}/{thing}` (docs/alarms.md): a site
 * relays the alarms of the things its grant covers (its own, or those of sites below it), nothing else.
 */
function alarmThingOf(topic: string): string | undefined {
  const parts = topic.split("/");
  return parts.length === 6 && parts[0] === "umbra" && parts[1] === "alarms" ? parts[5] : undefined;
}

/**
 * Sparkplug B (docs/sparkplug.md): an edge node `{group}:{edge}` — a device identity of that name, or
 * a bridge granted it — publishes its births, data and deaths and those of its devices, and receives
 * its NCMD/DCMD. Everyone may read host application state (`spBv1.0/STATE/…`). Operators (an
 * external SCADA host) may command the things they are granted and publish STATE, but never forge
 * edge messages. The node's own host application publishes in-process, outside these rules.
 */
function maySubscribeSparkplug(
  p: Principal,
  scope: NonNullable<ReturnType<typeof sparkplugFilterScope>>,
): boolean {
  if (scope.kind === "state") return true;
  return scope.kind === "commands" && actsFor(p, scope.edgeThing);
}

function mayPublishSparkplug(p: Principal, topic: string): boolean {
  const t = parseSparkplugTopic(topic);
  if (t === null) return p.role === "operator" && topic.startsWith(`${SPARKPLUG_NAMESPACE}/STATE/`);
  const edge = edgeThingOf(t);
  if (edge === null) return false;
  if (p.role === "operator") {
    if (t.type !== "NCMD" && t.type !== "DCMD") return false;
    const target = t.device === undefined ? edge : sparkplugThing(t.group, t.edge, t.device);
    return target !== null && actsFor(p, target);
  }
  if (p.role !== "device" && p.role !== "bridge") return false;
  return (EDGE_MESSAGE_TYPES as readonly string[]).includes(t.type) && actsFor(p, edge);
}

export type ShadowOperation = "get" | "update" | "delete";

/** Returns null when allowed, or the reason for a 403. */
export function shadowDenial(
  p: Principal,
  thing: string,
  op: ShadowOperation,
  sections: { desired: boolean; reported: boolean } = { desired: false, reported: false },
): string | null {
  switch (p.role) {
    case "anonymous":
      return null;
    case "viewer":
      return op === "get" ? null : "viewers may only read shadows";
    case "site":
      return "site identities do not use the shadow protocol";
    case "operator":
      if (op === "get") return null;
      if (!matchesThing(p.things, thing)) return `operator '${p.name}' is not granted thing '${thing}'`;
      if (op === "update" && sections.reported) return "operators may not write reported state";
      return null;
    case "device":
    case "bridge":
      if (!matchesThing(p.things, thing)) return `'${p.name}' may not access the shadow of '${thing}'`;
      return null;
  }
}
