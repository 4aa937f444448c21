import { type Principal, principal } from "./acl.ts";
import type { JsonValue } from "./json.ts";
import type { Presence } from "./shadow-document.ts";

/**
 * Presence across sites (docs/fleet.md, "Presence across sites"). The node a device is connected to
 * writes the device's presence into the reserved named shadow `$umbra-presence` (reported
 * `{connected, since, site}`); the relay carries it like any shadow, within each site's grant. Every
 * other node combines it with its own tracker. Pure: no I/O.
 */

/** Named shadows whose name starts with this belong to the node: clients may read, never write. */
export const RESERVED_SHADOW_PREFIX = "$umbra-";
export const PRESENCE_SHADOW = "$umbra-presence";

export function isReservedShadowName(name: string): boolean {
  return name.startsWith(RESERVED_SHADOW_PREFIX);
}

/** The state of the relay link toward a site: up, or down since (epoch seconds of the last contact). */
export type LinkState = { up: true } | { up: false; since: number };

/**
 * A relayed presence, with the marks of the nodes whose direct link to the device's site is down
 * (`unknownBy: {node site: last contact, epoch seconds}`): each such node writes its mark into the
 * shadow under its own key (never over the device's site's keys) and removes it when the link is back,
 * so sites further away learn of a cut they cannot see.
 */
export interface RelayedPresence extends Presence {
  unknownBy?: Record<string, number>;
}

/** A presence read from the reported section of a `$umbra-presence` shadow, or undefined if malformed. */
export function presenceFromReported(reported: JsonValue | undefined): RelayedPresence | undefined {
  if (reported === null || typeof reported !== "object" || Array.isArray(reported)) return undefined;
  const { connected, since, site, unknownBy } = reported;
  if (typeof connected !== "boolean" || typeof since !== "number" || typeof site !== "string")
    return undefined;
  const p: RelayedPresence = { connected, since, site };
  if (unknownBy !== null && typeof unknownBy === "object" && !Array.isArray(unknownBy)) {
    const marks = Object.entries(unknownBy).filter((e): e is [string, number] => typeof e[1] === "number");
    if (marks.length > 0) p.unknownBy = Object.fromEntries(marks);
  }
  return p;
}

/**
 * The presence a node shows for a thing: its own tracker's (`local`, written by this node) or the one
 * relayed from the site where the device last (dis)connected (`relayed`), whichever changed last
 * (ties go to the local one). A relayed presence whose site's link is down is not "offline" but
 * unknown since the link's last contact: `{connected: false, unknown: true, since, site}`; so is one
 * that another node marked (its own direct link to that site is down), with that node's last contact.
 */
export function resolvePresence(
  ownSite: string,
  local: Presence | undefined,
  relayed: RelayedPresence | undefined,
  linkTo: (site: string) => LinkState | undefined,
): Presence | undefined {
  const remote = relayed && relayed.site !== ownSite ? relayed : undefined;
  if (!remote || (local && local.since >= remote.since)) return local;
  const { unknownBy, ...shown } = remote;
  const link = linkTo(remote.site);
  if (link && !link.up)
    return { connected: false, unknown: true, since: Math.max(link.since, remote.since), site: remote.site };
  const marks = Object.entries(unknownBy ?? {})
    .filter(([by]) => by !== ownSite && by !== remote.site)
    .map(([, at]) => at);
  if (marks.length === 0) return shown;
  return { connected: false, unknown: true, since: Math.max(...marks, remote.since), site: remote.site };
}

/** The one principal that may write reserved shadows: the node itself (compared by identity). */
export const NODE_WRITER: Principal = principal("node", "bridge");

/** Null when `p` may write (update or delete) shadow `name`, else the reason (403). */
export function reservedShadowDenial(p: Principal, name: string): string | null {
  return isReservedShadowName(name) && p !== NODE_WRITER
    ? `shadow '${name}' is reserved for the node (names starting with '${RESERVED_SHADOW_PREFIX}' are read-only)`
    : null;
}
