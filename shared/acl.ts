import { compileThingPattern, matchesThing, type ThingPattern } from "./glob.ts";
import { parseShadowTopic, ROOTS } from "./topics.ts";

/**
 * Who may do what. Roles:
 * - device: its own thing only — its shadow topics (both roots), `things/{thing}/#` (telemetry), presence.
 * - bridge: acts as the device for every thing its pattern grants.
 * - operator: reads everything; writes `desired` (and deletes) shadows of the things it is scoped to.
 * - viewer: reads everything, writes nothing.
 * - site: a peer node's relay identity: `$umbra/relay/#` only (the relay adds what it needs).
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

const reads = (role: Role) => role === "operator" || role === "viewer" || role === "anonymous";

/** May `p` subscribe to `filter` (wildcards allowed)? Every topic the filter can match must be readable. */
export function maySubscribe(p: Principal, filter: string): boolean {
  const levels = filter.split("/");
  if (p.role === "site") return levels[0] === "$umbra" && levels[1] === "relay";
  if (reads(p.role)) return !mayMatchRelayOrSink(levels);
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
  if (p.role === "site") return levels[0] === "$umbra" && levels[1] === "relay";
  if (levels[0] === "$umbra" && levels[1] === "relay") return false;
  if (p.role === "anonymous" || p.role === "operator") return true;
  const scoped = thingLevel(levels);
  if (p.role === "viewer") {
    // Read-only: shadow get requests, nothing that could reach another subscriber as a write.
    const shadow = parseShadowTopic(topic);
    return shadow !== null && shadow.op === "get" && shadow.reply === undefined;
  }
  return scoped !== null && actsFor(p, scoped.thing);
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
