import { parseAttributesTopic } from "./fleet-topics.ts";
/**
 * The shadow topic grammar, wire-compatible with AWS IoT Device Shadow:
 *   {root}/things/{thing}/shadow[/name/{shadow}]/{get|update|delete}[/{reply}]
 * `$umbra` is Umbra's root; `$aws` is served identically and replies go to the root the request used.
 */
export const ROOTS = ["$umbra", "$aws"] as const;
export type ShadowRoot = (typeof ROOTS)[number];
export const UMBRA_ROOT: ShadowRoot = "$umbra";

export type ShadowOp = "get" | "update" | "delete";
export type ShadowReply = "accepted" | "rejected" | "delta" | "documents";

/** The classic (unnamed) shadow has the empty name. */
export const CLASSIC_SHADOW = "";

export interface ShadowAddress {
  thing: string;
  shadow: string;
}

export interface ShadowTopic extends ShadowAddress {
  root: ShadowRoot;
  op: ShadowOp;
  /** Absent for a request topic. */
  reply?: ShadowReply;
}

const THING_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;
const SHADOW_NAME = /^[$a-zA-Z0-9:_-]{1,64}$/;

export function isValidThingName(name: string): boolean {
  return THING_NAME.test(name);
}

export function isValidShadowName(name: string): boolean {
  return SHADOW_NAME.test(name);
}

const REPLIES: Record<ShadowOp, readonly ShadowReply[]> = {
  get: ["accepted", "rejected"],
  update: ["accepted", "rejected", "delta", "documents"],
  delete: ["accepted", "rejected"],
};

function isRoot(s: string | undefined): s is ShadowRoot {
  return s === "$umbra" || s === "$aws";
}

function isOp(s: string | undefined): s is ShadowOp {
  return s === "get" || s === "update" || s === "delete";
}

/**
 * Parses a concrete topic (no wildcards) into a shadow address. Returns null for topics that are not
 * shadow topics at all. Names are returned as found; check them with isValidThingName/isValidShadowName.
 */
export function parseShadowTopic(topic: string): ShadowTopic | null {
  const parts = topic.split("/");
  const [root, things, thing, shadowLit] = parts;
  if (!isRoot(root) || things !== "things" || thing === undefined || shadowLit !== "shadow") return null;
  let rest = parts.slice(4);
  let shadow = CLASSIC_SHADOW;
  if (rest[0] === "name") {
    // An empty name (`/name//`) is not a shadow topic: it must not alias the classic shadow.
    if (rest[1] === undefined || rest[1] === "") return null;
    shadow = rest[1];
    rest = rest.slice(2);
  }
  const [op, reply, extra] = rest;
  if (!isOp(op) || extra !== undefined) return null;
  if (reply === undefined) return { root, thing, shadow, op };
  const allowed = REPLIES[op] as readonly string[];
  if (!allowed.includes(reply)) return null;
  return { root, thing, shadow, op, reply: reply as ShadowReply };
}

export function shadowTopic(
  root: ShadowRoot,
  addr: ShadowAddress,
  op: ShadowOp,
  reply?: ShadowReply,
): string {
  const base = `${root}/things/${addr.thing}/shadow${addr.shadow === CLASSIC_SHADOW ? "" : `/name/${addr.shadow}`}`;
  return reply === undefined ? `${base}/${op}` : `${base}/${op}/${reply}`;
}

/** Retained presence of a thing: `$umbra/things/{thing}/presence`. */
export function presenceTopic(thing: string): string {
  return `${UMBRA_ROOT}/things/${thing}/presence`;
}

export function parsePresenceTopic(topic: string): string | null {
  const parts = topic.split("/");
  if (parts.length !== 4 || parts[0] !== UMBRA_ROOT || parts[1] !== "things" || parts[3] !== "presence") {
    return null;
  }
  return parts[2] ?? null;
}

/** The last level of every topic only the node publishes (replies, presence). */
const NODE_OWNED_LAST_LEVELS = ["/accepted", "/rejected", "/delta", "/documents", "/presence"];

/** Topics only the node itself may publish: shadow and attributes replies, presence. */
export function isNodeOwnedTopic(topic: string): boolean {
  // Checked on every publish: most topics (requests, telemetry) are decided here without parsing.
  let last = false;
  for (const level of NODE_OWNED_LAST_LEVELS) if (topic.endsWith(level)) last = true;
  if (!last) return false;
  const parsed = parseShadowTopic(topic);
  if (parsed) return parsed.reply !== undefined;
  if (parseAttributesTopic(topic)?.reply !== undefined) return true;
  return parsePresenceTopic(topic) !== null;
}

/** A stable key for maps and storage. */
export function shadowKey(addr: ShadowAddress): string {
  return addr.shadow === CLASSIC_SHADOW ? addr.thing : `${addr.thing}/${addr.shadow}`;
}
