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

/** A presence read from the reported section of a `$umbra-presence` shadow, or undefined if malformed. */
export function presenceFromReported(reported: JsonValue | undefined): Presence | undefined {
  if (reported === null || typeof reported !== "object" || Array.isArray(reported)) return undefined;
  const { connected, since, site } = reported;
  if (typeof connected !== "boolean" || typeof since !== "number" || typeof site !== "string")
    return undefined;
  return { connected, since, site };
}

/**
 * The presence a node shows for a thing: its own tracker's (`local`, written by this node) or the one
 * relayed from the site where the device last (dis)connected (`relayed`), whichever changed last
 * (ties go to the local one). A relayed presence whose site's link is down is not "offline" but
 * unknown since the link's last contact: `{connected: false, unknown: true, since, site}`.
 */
export function resolvePresence(
  ownSite: string,
  local: Presence | undefined,
  relayed: Presence | undefined,
  linkTo: (site: string) => LinkState | undefined,
): Presence | undefined {
  const remote = relayed && relayed.site !== ownSite ? relayed : undefined;
  if (!remote || (local && local.since >= remote.since)) return local;
  const link = linkTo(remote.site);
  if (!link || link.up) return remote;
  return { connected: false, unknown: true, since: Math.max(link.since, remote.since), site: remote.site };
}

/** The one principal that may write reserved shadows: the node itself (compared by identity). */
export const NODE_WRITER: Principal = principal("node", "bridge");

/** Null when `p` may write (update or delete) shadow `name`, else the reason (403). */
export function reservedShadowDenial(p: Principal, name: string): string | null {
  return isReservedShadowName(name) && p !== NODE_WRITER
    ? `shadow '${name}' is reserved for the node (names starting with '${RESERVED_SHADOW_PREFIX}' are read-only)`
    : null;
}
