import { createHash } from "node:crypto";
import { ANONYMOUS, type Principal } from "../../shared/acl.ts";
import type { IdentityStore } from "./identity-store.ts";
import type { LoginThrottle } from "./login-throttle.ts";
import { type AcceptedPassword, acceptedPasswords, credentialValid } from "./password-window.ts";
import { verifyPassword } from "./secrets.ts";

/** CONNACK return codes of MQTT 3.1.1 that authentication can produce. */
export type RefusalCode = 4 | 5;

export type AuthResult =
  | {
      ok: true;
      principal: Principal;
      /**
       * The stored hash the password matched (password-window.ts): the session is valid while that
       * hash is accepted. Undefined for certificate and anonymous logins, which no rotation ends.
       */
      credential?: string;
    }
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
 * username and password are checked against the scrypt hashes the identity accepts (its password, and
 * the one before it during a rotation's grace period). Successful checks are cached (keyed by a SHA-256
 * of the password) until the identity store changes or that password's grace period ends, so a
 * reconnect storm does not cost one scrypt per device. Anonymous connections are refused unless the
 * node allows them.
 */
export class Authenticator {
  /** `name NUL sha256(password)` → what it verified as; at most two entries per identity. */
  private readonly verified = new Map<string, { principal: Principal; password: AcceptedPassword }>();
  /** Moves on every reset, so a check that read the store before a reset does not cache after it. */
  private generation = 0;

  constructor(
    private readonly identities: Pick<IdentityStore, "lookup">,
    private readonly throttle: LoginThrottle,
    private readonly allowAnonymous: boolean,
    private readonly now: () => number = Date.now,
  ) {}

  /** Forget cached verifications (call when the identity store changed). */
  reset(): void {
    this.verified.clear();
    this.generation++;
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
    const key = `${c.username}\u0000${createHash("sha256").update(password).digest("base64url")}`;
    const cached = this.verified.get(key);
    if (cached && this.now() < cached.password.until) {
      this.throttle.recordSuccess(c.address);
      return { ok: true, principal: cached.principal, credential: cached.password.hash };
    }
    if (cached) this.verified.delete(key); // an old password whose grace period is over
    const generation = this.generation;
    const found = this.identities.lookup(c.username);
    const matched = found
      ? await this.matching(password, acceptedPasswords(found.passwords, this.now()))
      : undefined;
    if (!matched || !found) {
      const blocked = this.throttle.recordFailure(c.address);
      return { ok: false, code: 4, reason: "bad user name or password", blocked };
    }
    let principal = found.principal;
    if (generation === this.generation) this.verified.set(key, { principal, password: matched });
    else {
      // The store changed while scrypt ran (a revocation or rotation): judge by what it says now.
      const now = this.identities.lookup(c.username);
      if (!now || !credentialValid(now.passwords, matched.hash, this.now())) {
        const blocked = this.throttle.recordFailure(c.address);
        return { ok: false, code: 4, reason: "bad user name or password", blocked };
      }
      principal = now.principal;
    }
    this.throttle.recordSuccess(c.address);
    return { ok: true, principal, credential: matched.hash };
  }

  /** The accepted password `password` is, checked in order (current first); undefined when none. */
  private async matching(
    password: string,
    accepted: AcceptedPassword[],
  ): Promise<AcceptedPassword | undefined> {
    for (const candidate of accepted) if (await verifyPassword(password, candidate.hash)) return candidate;
    return undefined;
  }
}
