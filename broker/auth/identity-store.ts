import { type Principal, principal, type Role, type UserRole } from "../../shared/acl.ts";
import type { Db } from "../store/database.ts";
import { hashPassword, newSecret, sameDigest, tokenDigest } from "./secrets.ts";

export interface IdentityRecord {
  name: string;
  role: Role;
  things: string;
  createdAt: number;
  revokedAt: number | null;
}

export interface TokenRecord {
  id: string;
  name: string;
  role: UserRole;
  things: string;
  createdAt: number;
  revokedAt: number | null;
}

export class IdentityError extends Error {
  override name = "IdentityError";
}

/**
 * Identities (devices and users, with scrypt password hashes) and HTTP bearer tokens, in the node's
 * SQLite store. Admin commands write here directly; a running node notices through `changed()`
 * (SQLite's data_version moves when another connection commits) and reloads.
 */
export class IdentityStore {
  private readonly q;
  private lastDataVersion: number;
  /** data_version does not move for this connection's own commits, so they are flagged here. */
  private ownWrite = false;

  constructor(private readonly db: Db) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS identities (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        things TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS tokens (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        things TEXT NOT NULL,
        secret_digest TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
      ) WITHOUT ROWID;
    `);
    this.q = {
      insert: db.prepare(
        `INSERT INTO identities (name, role, things, password_hash, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET role = excluded.role, things = excluded.things,
           password_hash = excluded.password_hash, created_at = excluded.created_at, revoked_at = NULL
         WHERE identities.revoked_at IS NOT NULL`,
      ),
      get: db.prepare("SELECT role, things, password_hash, revoked_at FROM identities WHERE name = ?"),
      list: db.prepare("SELECT name, role, things, created_at, revoked_at FROM identities ORDER BY name"),
      hasRole: db.prepare("SELECT 1 FROM identities WHERE role = ? LIMIT 1"),
      revoke: db.prepare("UPDATE identities SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL"),
      revokeTokensOf: db.prepare("UPDATE tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL"),
      revokedIdentity: db.prepare("SELECT 1 FROM identities WHERE name = ? AND revoked_at IS NOT NULL"),
      insertToken: db.prepare(
        "INSERT INTO tokens (id, name, role, things, secret_digest, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      ),
      getToken: db.prepare("SELECT name, role, things, secret_digest, revoked_at FROM tokens WHERE id = ?"),
      listTokens: db.prepare(
        "SELECT id, name, role, things, created_at, revoked_at FROM tokens ORDER BY created_at",
      ),
      revokeToken: db.prepare(
        "UPDATE tokens SET revoked_at = ? WHERE (id = ? OR name = ?) AND revoked_at IS NULL",
      ),
      count: db.prepare("SELECT (SELECT count(*) FROM identities) + (SELECT count(*) FROM tokens) AS n"),
    };
    this.lastDataVersion = this.dataVersion();
  }

  private dataVersion(): number {
    return this.db.pragma("data_version", { simple: true }) as number;
  }

  /** True once after another connection (an admin command) committed to the store, or this one revoked. */
  changed(): boolean {
    const v = this.dataVersion();
    if (v === this.lastDataVersion && !this.ownWrite) return false;
    this.lastDataVersion = v;
    this.ownWrite = false;
    return true;
  }

  isEmpty(): boolean {
    return (this.q.count.get() as { n: number }).n === 0;
  }

  /** Creates an identity and returns its generated password (shown once, stored only as a hash). */
  add(name: string, role: Role, things: string): string {
    const password = newSecret();
    const added = this.q.insert.run(
      name,
      role,
      role === "device" ? name : things,
      hashPassword(password),
      Date.now(),
    );
    if (added.changes === 0) {
      throw new IdentityError(
        `an active identity named '${name}' already exists (revoke it first to replace it)`,
      );
    }
    return password;
  }

  /** The stored hash and principal of an active identity, or undefined. */
  lookup(name: string): { principal: Principal; passwordHash: string } | undefined {
    const row = this.q.get.get(name) as
      | { role: Role; things: string; password_hash: string; revoked_at: number | null }
      | undefined;
    if (!row || row.revoked_at !== null) return undefined;
    return { principal: principal(name, row.role, row.things), passwordHash: row.password_hash };
  }

  /** Whether any identity (revoked ones included) has `role`; a single-row probe, no listing. */
  hasRole(role: Role): boolean {
    return this.q.hasRole.get(role) !== undefined;
  }

  list(filter?: (r: IdentityRecord) => boolean): IdentityRecord[] {
    const rows = this.q.list.all() as {
      name: string;
      role: Role;
      things: string;
      created_at: number;
      revoked_at: number | null;
    }[];
    return rows
      .map((r) => ({
        name: r.name,
        role: r.role,
        things: r.things,
        createdAt: r.created_at,
        revokedAt: r.revoked_at,
      }))
      .filter((r) => !filter || filter(r));
  }

  /** Revokes an active identity and its tokens (see revokeAll); whether the identity was active. */
  revoke(name: string, scope?: "device" | "user"): boolean {
    return this.revokeAll(name, scope).identity;
  }

  /**
   * Revokes an active identity and everything it holds: its password and every bearer token named
   * after it (`admin.json`'s token is `admin`'s), in one transaction. With `scope`, only a device (or
   * only a non-device) identity of that name. Nothing is revoked when no such identity is active.
   */
  revokeAll(name: string, scope?: "device" | "user"): { identity: boolean; tokens: number } {
    if (scope !== undefined) {
      const row = this.q.get.get(name) as { role: Role } | undefined;
      if (!row || (row.role === "device") !== (scope === "device")) return { identity: false, tokens: 0 };
    }
    const now = Date.now();
    const result = this.db.transaction(() => {
      if (this.q.revoke.run(now, name).changes === 0) return { identity: false, tokens: 0 };
      return { identity: true, tokens: this.q.revokeTokensOf.run(now, name).changes };
    })();
    if (result.identity) this.ownWrite = true;
    return result;
  }

  /** Creates a bearer token `umb_<id>_<secret>`; returns it (shown once) and its id. */
  createToken(name: string, role: UserRole, things: string): { id: string; token: string } {
    const id = newSecret(6);
    const secret = newSecret(32);
    this.q.insertToken.run(id, name, role, things, tokenDigest(secret), Date.now());
    return { id, token: `umb_${id}_${secret}` };
  }

  /** The principal a bearer token stands for, or undefined when unknown, malformed or revoked. */
  verifyToken(token: string): Principal | undefined {
    const m = /^umb_([A-Za-z0-9_-]{8})_([A-Za-z0-9_-]{20,})$/.exec(token);
    if (!m?.[1] || !m[2]) return undefined;
    const row = this.q.getToken.get(m[1]) as
      | { name: string; role: UserRole; things: string; secret_digest: string; revoked_at: number | null }
      | undefined;
    if (!row || row.revoked_at !== null || !sameDigest(tokenDigest(m[2]), row.secret_digest))
      return undefined;
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

  revokeToken(idOrName: string): number {
    const n = this.q.revokeToken.run(Date.now(), idOrName, idOrName).changes;
    if (n > 0) this.ownWrite = true;
    return n;
  }
}
