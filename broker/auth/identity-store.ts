import { type Principal, principal, type Role, type UserRole } from "../../shared/acl.ts";
import type { Db } from "../store/database.ts";
import { type IdentityEvent, type IdentityRow, identityQueries } from "./identity-schema.ts";
import { credentialValid, type PasswordSlots, rotatedSlots } from "./password-window.ts";
import { hashPassword, newSecret, sameDigest, tokenDigest } from "./secrets.ts";

export interface IdentityRecord {
  name: string;
  role: Role;
  things: string;
  createdAt: number;
  revokedAt: number | null;
}

/** An identity as `list()` shows it: with when its password was set (no secret). */
export interface IdentityListing extends IdentityRecord {
  /** When its current password was set (its creation, or its last rotation). */
  passwordSetAt: number;
  /** Until when the password before the last rotation is still accepted; null when it is not. */
  previousPasswordUntil: number | null;
}

export interface TokenRecord {
  id: string;
  name: string;
  role: UserRole;
  things: string;
  createdAt: number;
  /** When it stopped (or, after `token rotate --grace`, stops) being accepted. */
  revokedAt: number | null;
}

/** Stable codes of identity-store refusals. */
export type IdentityErrorCode =
  | "identity_exists"
  | "no_identity"
  | "no_token"
  | "ambiguous_token"
  | "conflict";

export class IdentityError extends Error {
  override name = "IdentityError";
  constructor(
    readonly code: IdentityErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** What `rotatePassword` did. */
export interface Rotation {
  password: string;
  setAt: number;
  /** Until when the old password still works; null: it stopped at once. */
  previousUntil: number | null;
}

/** Which identities an admin command may act on: devices, or everything else (users). */
export type IdentityScope = "device" | "user";

/**
 * Identities (devices and users, with scrypt password hashes) and HTTP bearer tokens, in the node's
 * SQLite store. Admin commands write here directly; a running node notices through `changed()`
 * (SQLite's data_version moves when another connection commits, and `identity_generation`, moved by
 * triggers on every identity or token write, says whether that commit touched them) and reloads.
 */
export class IdentityStore {
  private readonly q: ReturnType<typeof identityQueries>;
  private lastDataVersion: number;
  /**
   * `identity_generation` when last looked at. data_version also moves for every commit of the node's
   * own other connections (the commit worker's, each batch): those are not identity changes.
   */
  private lastGeneration: number;
  /** data_version does not move for this connection's own commits, so they are flagged here. */
  private ownWrite = false;
  /** The earliest end of a grace period still running (see changed()); null when none runs. */
  private nextGraceEnd: number | null;

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {
    this.q = identityQueries(db);
    this.lastDataVersion = this.dataVersion();
    this.lastGeneration = this.generation();
    this.nextGraceEnd = this.findNextGraceEnd();
  }

  private dataVersion(): number {
    return this.db.pragma("data_version", { simple: true }) as number;
  }

  private generation(): number {
    return (this.q.generation.get() as { n: number }).n;
  }

  private findNextGraceEnd(): number | null {
    return (this.q.nextGraceEnd.get(this.now()) as { t: number | null }).t;
  }

  /**
   * True once after another connection (an admin command) committed to the store, or this one wrote,
   * or a grace period of a rotated password ended: each time, passwords valid before may not be now.
   */
  changed(): boolean {
    const v = this.dataVersion();
    const forced = this.ownWrite || (this.nextGraceEnd !== null && this.now() >= this.nextGraceEnd);
    if (v === this.lastDataVersion && !forced) return false;
    this.lastDataVersion = v;
    // Another connection committed: the generation says whether it wrote identities or tokens.
    const g = this.generation();
    if (g === this.lastGeneration && !forced) return false;
    this.lastGeneration = g;
    this.ownWrite = false;
    this.nextGraceEnd = this.findNextGraceEnd();
    return true;
  }

  isEmpty(): boolean {
    return (this.q.count.get() as { n: number }).n === 0;
  }

  /** Creates an identity and returns its generated password (shown once, stored only as a hash). */
  add(name: string, role: Role, things: string): string {
    const password = newSecret();
    const now = this.now();
    const thingsOf = role === "device" ? name : things;
    const added = this.q.insert.run(name, role, thingsOf, hashPassword(password), now, now);
    if (added.changes === 0) {
      const existing = this.row(name);
      const command = existing?.role === "device" ? "umbra device rotate" : "umbra user rotate";
      throw new IdentityError(
        "identity_exists",
        `an active identity named '${name}' already exists: give it a new password with \`${command} ${name}\` (or revoke it first to replace it)`,
      );
    }
    this.ownWrite = true;
    return password;
  }

  /**
   * Gives an active identity a new password: `password` when given, else a generated one (returned,
   * to be shown once). With `graceMs`, the old password keeps working that long (password-window.ts);
   * without, it stops at once. A running node disconnects sessions on the old password when it stops.
   */
  rotatePassword(
    name: string,
    scope: IdentityScope,
    opts: { password?: string; graceMs?: number } = {},
  ): Rotation {
    const row = this.row(name);
    if (!row || row.revoked_at !== null || (row.role === "device") !== (scope === "device")) {
      const other =
        row && row.revoked_at === null
          ? ` ('${name}' is a ${row.role}: umbra ${row.role === "device" ? "device" : "user"} rotate ${name})`
          : "";
      throw new IdentityError("no_identity", `no active ${scope} identity '${name}'${other}`);
    }
    const password = opts.password ?? newSecret();
    const now = this.now();
    const next = rotatedSlots(slotsOf(row), hashPassword(password), now, opts.graceMs ?? 0);
    const until = next.previous?.until ?? null;
    const changed = this.db.transaction(() => {
      const n = this.q.rotate.run(
        next.current,
        next.previous?.hash ?? null,
        until,
        now,
        name,
        row.password_hash,
      );
      if (n.changes > 0) this.q.addEvent.run(now, name, "password_rotated", until, row.role);
      return n.changes;
    })();
    if (changed === 0)
      throw new IdentityError("conflict", `'${name}' changed while rotating its password; try again`);
    this.ownWrite = true;
    return { password, setAt: now, previousUntil: until };
  }

  private row(name: string): IdentityRow | undefined {
    return this.q.get.get(name) as IdentityRow | undefined;
  }

  /** The principal and valid passwords of an active identity, or undefined. */
  lookup(name: string): { principal: Principal; passwords: PasswordSlots } | undefined {
    const row = this.row(name);
    if (!row || row.revoked_at !== null) return undefined;
    return { principal: principal(name, row.role, row.things), passwords: slotsOf(row) };
  }

  /**
   * The current principal of a session that logged in as `name` with `credential` (the stored hash
   * its password matched; undefined for certificate logins): undefined once the identity is revoked or
   * that password is no longer accepted (rotated, or its grace period over).
   */
  principalFor(name: string, credential: string | undefined): Principal | undefined {
    const found = this.lookup(name);
    if (!found || !credentialValid(found.passwords, credential, this.now())) return undefined;
    return found.principal;
  }

  /** Rotations recorded after event `seq` (at most 1000, oldest first), for the node's log. */
  eventsSince(seq: number): IdentityEvent[] {
    return (this.q.eventsSince.all(seq) as IdentityEvent[]).map((e) => ({ ...e }));
  }

  /** The sequence number of the latest recorded event (0 when none). */
  lastEventSeq(): number {
    return (this.q.lastEvent.get() as { seq: number | null }).seq ?? 0;
  }

  /** Whether any identity (revoked ones included) has `role`; a single-row probe, no listing. */
  hasRole(role: Role): boolean {
    return this.q.hasRole.get(role) !== undefined;
  }

  list(filter?: (r: IdentityRecord) => boolean): IdentityListing[] {
    const now = this.now();
    return (this.q.list.all() as IdentityRow[])
      .map((r) => ({
        name: r.name,
        role: r.role,
        things: r.things,
        createdAt: r.created_at,
        revokedAt: r.revoked_at,
        passwordSetAt: r.password_set_at ?? r.created_at,
        previousPasswordUntil:
          r.revoked_at === null && r.previous_until !== null && r.previous_until > now
            ? r.previous_until
            : null,
      }))
      .filter((r) => !filter || filter(r));
  }

  /** Revokes an active identity and its tokens (see revokeAll); whether the identity was active. */
  revoke(name: string, scope?: IdentityScope): boolean {
    return this.revokeAll(name, scope).identity;
  }

  /**
   * Revokes an active identity and everything it holds: its password and every bearer token named
   * after it (`admin.json`'s token is `admin`'s), in one transaction. With `scope`, only a device (or
   * only a non-device) identity of that name. Nothing is revoked when no such identity is active.
   */
  revokeAll(name: string, scope?: IdentityScope): { identity: boolean; tokens: number } {
    if (scope !== undefined) {
      const row = this.row(name);
      if (!row || (row.role === "device") !== (scope === "device")) return { identity: false, tokens: 0 };
    }
    const now = this.now();
    const result = this.db.transaction(() => {
      if (this.q.revoke.run(now, name).changes === 0) return { identity: false, tokens: 0 };
      return { identity: true, tokens: this.q.revokeTokensOf.run(now, name, now).changes };
    })();
    if (result.identity) this.ownWrite = true;
    return result;
  }

  /** Creates a bearer token `umb_<id>_<secret>`; returns it (shown once) and its id. */
  createToken(name: string, role: UserRole, things: string): { id: string; token: string } {
    const id = newSecret(6);
    const secret = newSecret(32);
    this.q.insertToken.run(id, name, role, things, tokenDigest(secret), this.now());
    this.ownWrite = true;
    return { id, token: `umb_${id}_${secret}` };
  }

  /**
   * Replaces the token with id `idOrName` (or the one token named so) by a new one with the same name,
   * role and things; the old one keeps working `graceMs` (0: stops at once). Tokens do not derive from
   * passwords, so this is their own rotation.
   */
  rotateToken(idOrName: string, graceMs = 0): { id: string; token: string; replaced: string; until: number } {
    return this.db.transaction(() => {
      const rows = this.q.rotatable.all(idOrName, idOrName) as {
        id: string;
        name: string;
        role: UserRole;
        things: string;
      }[];
      const byId = rows.find((r) => r.id === idOrName);
      const old = byId ?? rows[0];
      if (!old) throw new IdentityError("no_token", `no active token '${idOrName}'`);
      if (!byId && rows.length > 1)
        throw new IdentityError(
          "ambiguous_token",
          `${rows.length} active tokens are named '${idOrName}' (${rows.map((r) => r.id).join(", ")}): rotate one by its id`,
        );
      const now = this.now();
      const until = now + Math.max(0, graceMs);
      this.q.expireToken.run(until, old.id);
      const created = this.createToken(old.name, old.role, old.things);
      this.q.addEvent.run(now, old.name, "token_rotated", until, `${old.id} -> ${created.id}`);
      this.ownWrite = true;
      return { ...created, replaced: old.id, until };
    })();
  }

  /** The principal a bearer token stands for, or undefined when unknown, malformed or revoked. */
  verifyToken(token: string): Principal | undefined {
    const m = /^umb_([A-Za-z0-9_-]{8})_([A-Za-z0-9_-]{20,})$/.exec(token);
    if (!m?.[1] || !m[2]) return undefined;
    const row = this.q.getToken.get(m[1]) as
      | { name: string; role: UserRole; things: string; secret_digest: string; revoked_at: number | null }
      | undefined;
    if (!row || !sameDigest(tokenDigest(m[2]), row.secret_digest)) return undefined;
    // revoked_at in the future: a rotated token in its grace period.
    if (row.revoked_at !== null && row.revoked_at <= this.now()) return undefined;
    // A token named after an identity belongs to it: never valid once that identity is revoked (also
    // for tokens created before revocation tied tokens to their identity).
    if (this.q.revokedIdentity.get(row.name) !== undefined) return undefined;
    return principal(row.name, row.role, row.things);
  }

  listTokens(): TokenRecord[] {
    return (
      this.q.listTokens.all() as {
        id: string;
        name: string;
        role: UserRole;
        things: string;
        created_at: number;
        revoked_at: number | null;
      }[]
    ).map((r) => ({
      id: r.id,
      name: r.name,
      role: r.role,
      things: r.things,
      createdAt: r.created_at,
      revokedAt: r.revoked_at,
    }));
  }

  /** Revokes a token by id, or every token with that name (those in a grace period too); how many. */
  revokeToken(idOrName: string): number {
    const now = this.now();
    const n = this.q.revokeToken.run(now, idOrName, idOrName, now).changes;
    if (n > 0) this.ownWrite = true;
    return n;
  }
}

function slotsOf(row: IdentityRow): PasswordSlots {
  if (row.previous_hash === null || row.previous_until === null) return { current: row.password_hash };
  return { current: row.password_hash, previous: { hash: row.previous_hash, until: row.previous_until } };
}
