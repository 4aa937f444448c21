import type { Role } from "../../shared/acl.ts";
import type { Db } from "../store/database.ts";

/** A row of `identities`. */
export interface IdentityRow {
  name: string;
  role: Role;
  things: string;
  password_hash: string;
  created_at: number;
  revoked_at: number | null;
  password_set_at: number | null;
  previous_hash: string | null;
  previous_until: number | null;
}

/**
 * One line of the audit record (`identity_events`): a password rotation (`detail`: the role) or a
 * token rotation (`detail`: `<old id> -> <new id>`), with until when the old secret works.
 */
export interface IdentityEvent {
  seq: number;
  at: number;
  name: string;
  action: "password_rotated" | "token_rotated";
  until: number | null;
  detail: string | null;
}

/** The store's prepared statements. A token whose `revoked_at` lies ahead is in its rotation grace period. */
export function identityQueries(db: Db) {
  const active = "(revoked_at IS NULL OR revoked_at > ?)";
  return {
    insert: db.prepare(
      `INSERT INTO identities (name, role, things, password_hash, created_at, password_set_at)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET role = excluded.role, things = excluded.things,
         password_hash = excluded.password_hash, created_at = excluded.created_at, revoked_at = NULL,
         password_set_at = excluded.password_set_at, previous_hash = NULL, previous_until = NULL
       WHERE identities.revoked_at IS NOT NULL`,
    ),
    get: db.prepare("SELECT * FROM identities WHERE name = ?"),
    list: db.prepare("SELECT * FROM identities ORDER BY name"),
    hasRole: db.prepare("SELECT 1 FROM identities WHERE role = ? LIMIT 1"),
    revoke: db.prepare("UPDATE identities SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL"),
    rotate: db.prepare(
      `UPDATE identities SET password_hash = ?, previous_hash = ?, previous_until = ?, password_set_at = ?
       WHERE name = ? AND revoked_at IS NULL AND password_hash = ?`,
    ),
    generation: db.prepare("SELECT n FROM identity_generation WHERE id = 1"),
    nextGraceEnd: db.prepare(
      "SELECT min(previous_until) AS t FROM identities WHERE revoked_at IS NULL AND previous_until > ?",
    ),
    addEvent: db.prepare(
      "INSERT INTO identity_events (at, name, action, until, detail) VALUES (?, ?, ?, ?, ?)",
    ),
    eventsSince: db.prepare("SELECT * FROM identity_events WHERE seq > ? ORDER BY seq LIMIT 1000"),
    lastEvent: db.prepare("SELECT max(seq) AS seq FROM identity_events"),
    revokeTokensOf: db.prepare(`UPDATE tokens SET revoked_at = ? WHERE name = ? AND ${active}`),
    revokedIdentity: db.prepare("SELECT 1 FROM identities WHERE name = ? AND revoked_at IS NOT NULL"),
    insertToken: db.prepare(
      "INSERT INTO tokens (id, name, role, things, secret_digest, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    ),
    getToken: db.prepare("SELECT name, role, things, secret_digest, revoked_at FROM tokens WHERE id = ?"),
    listTokens: db.prepare(
      "SELECT id, name, role, things, created_at, revoked_at FROM tokens ORDER BY created_at",
    ),
    revokeToken: db.prepare(`UPDATE tokens SET revoked_at = ? WHERE (id = ? OR name = ?) AND ${active}`),
    // A token already expiring (rotated with a grace period) has been replaced: not rotated again.
    rotatable: db.prepare(
      "SELECT id, name, role, things FROM tokens WHERE (id = ? OR name = ?) AND revoked_at IS NULL",
    ),
    expireToken: db.prepare("UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL"),
    count: db.prepare("SELECT (SELECT count(*) FROM identities) + (SELECT count(*) FROM tokens) AS n"),
  };
}
