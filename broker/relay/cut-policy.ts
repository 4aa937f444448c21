import { compileThingPattern, matchesThing, type ThingPattern } from "../../shared/glob.ts";
import { shadowKey } from "../../shared/topics.ts";
import type { IdentityRecord } from "../auth/identity-store.ts";
import type { CutPolicy } from "../shadow/shadow-store.ts";

/** The agreed cut of shared shadows (docs/shadow-engine.md): only on a root node, `epochShared`. */
export interface AgreedCut {
  /** Whether a connected peer shares `thing` and is not known to hold exactly `heads` of `key`. */
  lagging(thing: string, key: string, heads: readonly string[]): boolean;
  /** Whether a child asked this node not to cut `thing` (another of its parents cuts it). */
  heldBack?(thing: string): boolean;
}

/** How long the list of site grants is reused before it is read again from the identity store. */
const REFRESH_MS = 5_000;

/**
 * The relay's answer to the shadow store's "may this shadow start a new epoch locally?"
 * (docs/shadow-engine.md): only when no other site can hold it — no configured parent's share pattern
 * and no site identity's grant (revoked ones included: that peer may still hold an older copy) matches
 * its thing. Conservative by design: a child that has not connected since the restart still counts.
 */
export function relayCutPolicy(
  parentPatterns: readonly ThingPattern[],
  siteIdentities: () => IdentityRecord[],
  now: () => number = Date.now,
  agreed?: AgreedCut,
): CutPolicy {
  let grants: ThingPattern[] = [];
  let readAt = Number.NEGATIVE_INFINITY;
  return (addr, heads) => {
    if (parentPatterns.some((p) => matchesThing(p, addr.thing))) return false;
    // No parent shares the thing: this node is its one cutter; the sites below it only adopt.
    if (agreed && heads && !isUnshared(addr.thing))
      return agreed.heldBack?.(addr.thing) || agreed.lagging(addr.thing, shadowKey(addr), heads)
        ? false
        : "agreed";
    return isUnshared(addr.thing);
  };
  function isUnshared(thing: string): boolean {
    if (now() - readAt > REFRESH_MS) {
      grants = siteIdentities()
        .filter((r) => r.role === "site")
        .map((r) => compileThingPattern(r.things));
      readAt = now();
    }
    return !grants.some((g) => matchesThing(g, thing));
  }
}
