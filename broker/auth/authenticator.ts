import { createHash } from "node:crypto";
import { ANONYMOUS, type Principal } from "../../shared/acl.ts";
import type { IdentityStore } from "./identity-store.ts";
import type { LoginThrottle } from "./login-throttle.ts";
import { verifyPassword } from "./secrets.ts";

/** CONNACK return codes of MQTT 3.1.1 that authentication can produce. */
export type RefusalCode = 4 | 5;

export type AuthResult =
  | { ok: true; principal: Principal }
  | {
      ok: false;
      code: RefusalCode;
      reason: string /** this failure blocked the address */;
      blocked?: boolean;
    };

export interface Credentials {
  username?: string;
  password?: Buffer | string;
  /** Common name of a verified client certificate (mutual TLS). */
  certificateName?: string;
  /** Source address, for throttling. */
  address: string;
}

/**
 * Decides who a connection is. A verified client certificate names an identity by its CN; otherwise
 * username and password are checked against the scrypt hash. Successful checks are cached (as a
 * SHA-256 of the password) until the identity store changes, so a reconnect storm does not cost one
 * scrypt per device. Anonymous connections are refused unless the node allows them.
 */
export class Authenticator {
  private readonly verified = new Map<string, { digest: string; principal: Principal }>();

  constructor(
    private readonly identities: IdentityStore,
    private readonly throttle: LoginThrottle,
    private readonly allowAnonymous: boolean,
  ) {}

  /** Forget cached verifications (call when the identity store changed). */
  reset(): void {
    this.verified.clear();
  }

  async authenticate(c: Credentials): Promise<AuthResult> {
    if (c.certificateName !== undefined && c.username === undefined) {
      const principal = this.identities.lookup(c.certificateName)?.principal;
      if (principal) return { ok: true, principal };
      return {
        ok: false,
        code: 5,
        reason: `certificate CN '${c.certificateName}' is not an active identity`,
      };
    }
    if (c.username === undefined) {
      if (this.allowAnonymous) return { ok: true, principal: ANONYMOUS };
      return { ok: false, code: 5, reason: "anonymous connections are not allowed" };
    }
    const wait = this.throttle.blockedFor(c.address);
    if (wait > 0)
      return {
        ok: false,
        code: 5,
        reason: `too many failed logins from ${c.address}; retry in ${Math.ceil(wait / 1000)} s`,
      };
    const password = c.password === undefined ? "" : c.password.toString();
    const digest = createHash("sha256").update(password).digest("base64url");
    const cached = this.verified.get(c.username);
    if (cached && cached.digest === digest) {
      this.throttle.recordSuccess(c.address);
      return { ok: true, principal: cached.principal };
    }
    const found = this.identities.lookup(c.username);
    const ok = found !== undefined && (await verifyPassword(password, found.passwordHash));
    if (!ok || !found) {
      const blocked = this.throttle.recordFailure(c.address);
      return { ok: false, code: 4, reason: "bad user name or password", blocked };
    }
    this.throttle.recordSuccess(c.address);
    this.verified.set(c.username, { digest, principal: found.principal });
    return { ok: true, principal: found.principal };
  }
}
