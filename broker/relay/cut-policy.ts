import { compileThingPattern, matchesThing, type ThingPattern } from "../../shared/glob.ts";
import type { IdentityRecord } from "../auth/identity-store.ts";
import type { CutPolicy } from "../shadow/shadow-store.ts";

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
): CutPolicy {
  let grants: ThingPattern[] = [];
  let readAt = Number.NEGATIVE_INFINITY;
  return (addr) => {
    if (parentPatterns.some((p) => matchesThing(p, addr.thing))) return false;
    if (now() - readAt > REFRESH_MS) {
      grants = siteIdentities()
        .filter((r) => r.role === "site")
        .map((r) => compileThingPattern(r.things));
      readAt = now();
    }
    return !grants.some((g) => matchesThing(g, addr.thing));
  };
}
