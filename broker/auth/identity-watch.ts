import type { Principal } from "../../shared/acl.ts";
import type { Logger } from "../../shared/logger.ts";
import type { IdentityStore } from "./identity-store.ts";

export interface IdentityWatchDeps {
  identities: Pick<IdentityStore, "changed" | "principalFor" | "passwordChangesSince" | "lastPasswordChange">;
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
 * identities and those on a password no longer accepted are disconnected. Each password change is
 * logged (name and grace end, never the secret). Returns a function that stops the polling.
 */
export function watchIdentities(deps: IdentityWatchDeps, intervalMs: number): () => void {
  let seen = deps.identities.lastPasswordChange();
  const poll = setInterval(() => {
    if (!deps.identities.changed()) return;
    deps.resetCache();
    for (const change of deps.identities.passwordChangesSince(seen)) {
      seen = Math.max(seen, change.setAt);
      deps.log.warn(
        {
          identity: change.name,
          role: change.role,
          oldPasswordUntil:
            change.previousUntil === null ? null : new Date(change.previousUntil).toISOString(),
        },
        "identity password changed",
      );
    }
    deps.recheck((p, credential) =>
      p.role === "anonymous" ? p : deps.identities.principalFor(p.name, credential),
    );
  }, intervalMs);
  poll.unref();
  return () => clearInterval(poll);
}
