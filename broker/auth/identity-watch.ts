import type { Principal } from "../../shared/acl.ts";
import type { Logger } from "../../shared/logger.ts";
import type { IdentityStore } from "./identity-store.ts";

export interface IdentityWatchDeps {
  identities: Pick<IdentityStore, "changed" | "principalFor" | "eventsSince" | "lastEventSeq">;
  /** Forgets cached password checks (authenticator.ts). */
  resetCache(): void;
  /** Re-checks every live session with `valid`; disconnects those it refuses (MqttAccess.recheck). */
  recheck(valid: (principal: Principal, credential: string | undefined) => Principal | undefined): number;
  log: Logger;
}

/**
 * How a running node follows the admin commands that write its identity store (`umbra device|user
 * revoke|rotate`, `token …`): each poll, if the store changed or a rotated password's grace period
 * ended, the authenticator forgets its cached checks and live sessions are re-checked — those of revoked
 * identities and those on a password no longer accepted are disconnected. Each rotation recorded in
 * `identity_events` is logged at warn (rare, and a security event: seen at the default level) with the
 * name and the end of the grace, never a secret. Returns a function that stops the polling.
 */
export function watchIdentities(deps: IdentityWatchDeps, intervalMs: number): () => void {
  let seen = deps.identities.lastEventSeq();
  const valid = (p: Principal, credential: string | undefined) =>
    p.role === "anonymous" ? p : deps.identities.principalFor(p.name, credential);
  // A login checked just before a change may join the broker's live clients just after the recheck
  // (aedes restores the session first): the poll after a change rechecks once more to catch it.
  let recheckAgain = false;
  const poll = setInterval(() => {
    if (!deps.identities.changed()) {
      if (recheckAgain) deps.recheck(valid);
      recheckAgain = false;
      return;
    }
    recheckAgain = true;
    deps.resetCache();
    for (const e of deps.identities.eventsSince(seen)) {
      seen = e.seq;
      const oldUntil = e.until === null || e.until <= e.at ? "now" : new Date(e.until).toISOString();
      deps.log.warn(
        { identity: e.name, action: e.action, detail: e.detail, oldValidUntil: oldUntil },
        e.action === "password_rotated" ? "identity password changed" : "HTTP token replaced",
      );
    }
    deps.recheck(valid);
  }, intervalMs);
  poll.unref();
  return () => clearInterval(poll);
}
