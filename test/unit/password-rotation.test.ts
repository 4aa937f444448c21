import { rmSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Authenticator } from "../../broker/auth/authenticator.ts";
import { IdentityError, IdentityStore } from "../../broker/auth/identity-store.ts";
import { watchIdentities } from "../../broker/auth/identity-watch.ts";
import { LoginThrottle } from "../../broker/auth/login-throttle.ts";
import {
  acceptedPasswords,
  chosenPassword,
  credentialValid,
  rotatedSlots,
} from "../../broker/auth/password-window.ts";
import { type Db, openDatabase } from "../../broker/store/database.ts";
import type { Principal } from "../../shared/acl.ts";
import type { Logger } from "../../shared/logger.ts";
import { tempDir } from "../helpers/node.ts";

const HOUR = 3_600_000;

describe("password window (pure)", () => {
  it("accepts the previous password only before its grace ends", () => {
    const slots = rotatedSlots({ current: "h1" }, "h2", 1000, HOUR);
    expect(slots).toEqual({ current: "h2", previous: { hash: "h1", until: 1000 + HOUR } });
    expect(acceptedPasswords(slots, 1000).map((p) => p.hash)).toEqual(["h2", "h1"]);
    expect(acceptedPasswords(slots, 1000 + HOUR - 1).map((p) => p.hash)).toEqual(["h2", "h1"]);
    expect(acceptedPasswords(slots, 1000 + HOUR).map((p) => p.hash)).toEqual(["h2"]);
    expect(acceptedPasswords(slots, 0)[0]?.until).toBe(Number.POSITIVE_INFINITY);
  });

  it("keeps no previous password without grace, and only one across two rotations", () => {
    expect(rotatedSlots({ current: "h1" }, "h2", 1000, 0)).toEqual({ current: "h2" });
    const twice = rotatedSlots(rotatedSlots({ current: "h1" }, "h2", 0, HOUR), "h3", 10, HOUR);
    expect(twice).toEqual({ current: "h3", previous: { hash: "h2", until: 10 + HOUR } });
    expect(credentialValid(twice, "h1", 20)).toBe(false);
  });

  it("judges sessions by the hash they logged in with; certificate sessions always stay", () => {
    const slots = rotatedSlots({ current: "h1" }, "h2", 0, 500);
    expect(credentialValid(slots, "h2", 10_000)).toBe(true);
    expect(credentialValid(slots, "h1", 499)).toBe(true);
    expect(credentialValid(slots, "h1", 500)).toBe(false);
    expect(credentialValid(slots, "other", 0)).toBe(false);
    expect(credentialValid(slots, undefined, 10_000)).toBe(true);
  });

  it("takes a chosen password of one line, 16 to 1024 characters", () => {
    expect(chosenPassword("correct horse battery staple\n")).toBe("correct horse battery staple");
    expect(chosenPassword("correct horse battery staple\r\n")).toBe("correct horse battery staple");
    expect(() => chosenPassword("short\n")).toThrow(/at least 16/);
    expect(() => chosenPassword("x".repeat(1025))).toThrow(/at most 1024/);
    expect(() => chosenPassword("first line is long\nsecond\n")).toThrow(/one line/);
    expect(() => chosenPassword("sixteen chars\u0000nul")).toThrow(/control/);
  });
});

class Clock {
  t = 1_700_000_000_000;
  now = () => this.t;
}

describe("rotation in the identity store and the authenticator", () => {
  let dir: string;
  let db: Db;
  let clock: Clock;
  let store: IdentityStore;
  let auth: Authenticator;
  let old: string;
  beforeEach(() => {
    dir = tempDir("umbra-rotate-");
    db = openDatabase(dir);
    clock = new Clock();
    store = new IdentityStore(db, clock.now);
    auth = new Authenticator(
      store,
      new LoginThrottle({ maxFailures: 100, windowMs: 1000, blockMs: 1, maxBlockMs: 1 }, clock.now),
      false,
      clock.now,
    );
    old = store.add("dev-1", "device", "dev-1");
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const login = (password: string) => auth.authenticate({ username: "dev-1", password, address: "10.0.0.1" });

  it("refuses the old password after a rotation (cached or not) and accepts the new one", async () => {
    const before = await login(old); // now cached
    expect(before.ok).toBe(true);
    const { password, previousUntil } = store.rotatePassword("dev-1", "device");
    expect(previousUntil).toBeNull();
    expect(password).not.toBe(old);
    expect(store.changed()).toBe(true); // the node then resets the cache
    auth.reset();
    expect(await login(old)).toMatchObject({ ok: false, code: 4 });
    const after = await login(password);
    expect(after.ok).toBe(true);
    // Sessions remember which stored password they used: the old session's is no longer accepted.
    const oldCredential = before.ok ? before.credential : "";
    const newCredential = after.ok ? after.credential : "";
    expect(store.principalFor("dev-1", oldCredential)).toBeUndefined();
    expect(store.principalFor("dev-1", newCredential)).toMatchObject({ name: "dev-1" });
    expect(store.principalFor("dev-1", undefined)).toMatchObject({ name: "dev-1" }); // certificate
  });

  it("with a grace, accepts both until it ends, then only the new one, even from the cache", async () => {
    const { password } = store.rotatePassword("dev-1", "device", { graceMs: HOUR });
    expect(store.changed()).toBe(true);
    auth.reset();
    const oldLogin = await login(old);
    const newLogin = await login(password);
    expect(oldLogin.ok && newLogin.ok).toBe(true);
    expect((await login(old)).ok).toBe(true); // from the cache
    const oldCredential = oldLogin.ok ? oldLogin.credential : "";
    expect(store.principalFor("dev-1", oldCredential)).toBeDefined();
    expect(store.list()[0]?.previousPasswordUntil).toBe(clock.t + HOUR);
    expect(store.changed()).toBe(false);

    clock.t += HOUR;
    // No reset yet: the cached entry itself expires with the grace.
    expect(await login(old)).toMatchObject({ ok: false, code: 4 });
    expect((await login(password)).ok).toBe(true);
    expect(store.principalFor("dev-1", oldCredential)).toBeUndefined();
    // The end of the grace is a change the node's poll sees (to disconnect old sessions), once.
    expect(store.changed()).toBe(true);
    expect(store.changed()).toBe(false);
    expect(store.list()[0]?.previousPasswordUntil).toBeNull();
  });

  it("records when the password was set, and each rotation in the audit record without a secret", () => {
    const created = clock.t;
    expect(store.list()[0]).toMatchObject({ passwordSetAt: created, previousPasswordUntil: null });
    const start = store.lastEventSeq();
    clock.t += 5000;
    const r = store.rotatePassword("dev-1", "device", { graceMs: HOUR });
    expect(store.list()[0]?.passwordSetAt).toBe(created + 5000);
    const events = store.eventsSince(start);
    expect(events).toMatchObject([
      {
        at: created + 5000,
        name: "dev-1",
        action: "password_rotated",
        until: created + 5000 + HOUR,
        detail: "device",
      },
    ]);
    expect(JSON.stringify(db.prepare("SELECT * FROM identity_events").all())).not.toContain(r.password);
    expect(store.eventsSince(store.lastEventSeq())).toEqual([]);
  });

  it("takes a chosen password, which then logs in", async () => {
    store.rotatePassword("dev-1", "device", { password: "a chosen password of length" });
    auth.reset();
    expect((await login("a chosen password of length")).ok).toBe(true);
  });

  it("refuses unknown, revoked and other-scope identities; add on an existing one names rotate", () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return err instanceof IdentityError ? err.code : "other";
      }
      return "none";
    };
    expect(code(() => store.rotatePassword("nope", "device"))).toBe("no_identity");
    expect(() => store.rotatePassword("dev-1", "user")).toThrow(/is a device: umbra device rotate dev-1/);
    expect(() => store.add("dev-1", "device", "dev-1")).toThrow(/umbra device rotate dev-1/);
    store.add("ops", "operator", "*");
    expect(() => store.add("ops", "viewer", "*")).toThrow(/umbra user rotate ops/);
    store.revoke("dev-1");
    expect(code(() => store.rotatePassword("dev-1", "device"))).toBe("no_identity");
  });

  it("forgets the previous password when a revoked identity is added again", () => {
    store.rotatePassword("dev-1", "device", { graceMs: HOUR });
    store.revoke("dev-1");
    store.add("dev-1", "device", "dev-1");
    expect(store.lookup("dev-1")?.passwords.previous).toBeUndefined();
  });

  it("judges a check that read the store before a reset by the store after it, and does not cache it", async () => {
    const pending = login(old); // reads the store, then scrypt runs off the event loop
    store.rotatePassword("dev-1", "device");
    auth.reset();
    expect(await pending).toMatchObject({ ok: false, code: 4 }); // valid when read, not any more
    const graced = store.rotatePassword("dev-1", "device", { graceMs: HOUR }).password;
    auth.reset();
    const during = login(graced);
    store.rotatePassword("dev-1", "device", { graceMs: HOUR }); // `graced` is now the previous one
    auth.reset();
    expect((await during).ok).toBe(true); // still accepted, in its grace
    clock.t += HOUR;
    expect((await login(graced)).ok).toBe(false); // and not cached with the wrong expiry
  });
});

describe("token rotation", () => {
  let dir: string;
  let db: Db;
  let clock: Clock;
  let store: IdentityStore;
  beforeEach(() => {
    dir = tempDir("umbra-token-rotate-");
    db = openDatabase(dir);
    clock = new Clock();
    store = new IdentityStore(db, clock.now);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("replaces a token at once, or after a grace, keeping name, role and things", () => {
    const first = store.createToken("dash", "viewer", "pdu-*");
    const r = store.rotateToken("dash");
    expect(r.replaced).toBe(first.id);
    expect(store.eventsSince(0)).toMatchObject([
      { name: "dash", action: "token_rotated", until: clock.t, detail: `${first.id} -> ${r.id}` },
    ]);
    expect(store.verifyToken(first.token)).toBeUndefined();
    expect(store.verifyToken(r.token)).toMatchObject({ name: "dash", role: "viewer" });
    const graced = store.rotateToken(r.id, 600_000);
    expect(store.verifyToken(r.token)).toBeDefined();
    expect(store.verifyToken(graced.token)).toBeDefined();
    expect(store.listTokens().find((t) => t.id === r.id)?.revokedAt).toBe(clock.t + 600_000);
    clock.t += 600_000;
    expect(store.verifyToken(r.token)).toBeUndefined();
    expect(store.verifyToken(graced.token)).toBeDefined();
  });

  it("does not rotate a token twice, and asks for an id when a name is ambiguous", () => {
    const a = store.createToken("dash", "viewer", "*");
    store.rotateToken("dash", 600_000);
    // The replaced one (still in its grace) is not rotatable again; the new one is.
    expect(() => store.rotateToken(a.id)).toThrow(/no active token/);
    store.createToken("dash", "viewer", "*");
    expect(() => store.rotateToken("dash")).toThrow(/2 active tokens are named 'dash'/);
  });

  it("revoking ends a token in its grace period at once", () => {
    const a = store.createToken("dash", "viewer", "*");
    store.rotateToken("dash", 600_000);
    expect(store.revokeToken(a.id)).toBe(1);
    expect(store.verifyToken(a.token)).toBeUndefined();
  });
});

describe("watchIdentities (the node's poll)", () => {
  let dir: string;
  let db: Db;
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_700_000_000_000 });
    dir = tempDir("umbra-watch-");
    db = openDatabase(dir);
  });
  afterEach(() => {
    vi.useRealTimers();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("logs a rotation without its secret, resets the cache and rechecks sessions at rotation and at grace end", () => {
    const store = new IdentityStore(db);
    store.add("dev-1", "device", "dev-1");
    const oldHash = store.lookup("dev-1")?.passwords.current as string;
    const warn = vi.fn();
    let resets = 0;
    let rechecks = 0;
    // One live session on the old password, one by certificate.
    const sessions: { principal: Principal; credential: string | undefined; open: boolean }[] = [
      { principal: store.lookup("dev-1")?.principal as Principal, credential: oldHash, open: true },
      { principal: store.lookup("dev-1")?.principal as Principal, credential: undefined, open: true },
    ];
    const stop = watchIdentities(
      {
        identities: store,
        resetCache: () => resets++,
        recheck: (valid) => {
          rechecks++;
          for (const s of sessions) if (s.open && !valid(s.principal, s.credential)) s.open = false;
          return 0;
        },
        log: { warn } as unknown as Logger,
      },
      1000,
    );
    try {
      const { password } = store.rotatePassword("dev-1", "device", { graceMs: 5000 });
      vi.advanceTimersByTime(1000);
      expect(resets).toBe(1);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0]?.[0]).toMatchObject({ identity: "dev-1", action: "password_rotated" });
      expect(JSON.stringify(warn.mock.calls)).not.toContain(password);
      expect(sessions.map((s) => s.open)).toEqual([true, true]); // in the grace period
      expect(rechecks).toBe(1);
      vi.advanceTimersByTime(1000);
      expect(rechecks).toBe(2); // once more, for a login that joined just after the first
      vi.advanceTimersByTime(2000);
      expect(rechecks).toBe(2);
      expect(resets).toBe(1); // nothing changed meanwhile
      vi.advanceTimersByTime(2000); // the grace ended
      expect(resets).toBe(2);
      expect(warn).toHaveBeenCalledTimes(1); // the end of a grace is not a new rotation
      expect(sessions.map((s) => s.open)).toEqual([false, true]);
    } finally {
      stop();
    }
  });
});

describe("stores made before rotation", () => {
  it("get the new columns, list the creation as when the password was set, and rotate", () => {
    const dir = tempDir("umbra-rotate-old-");
    // The store as the code before rotation (and before the migration list, user_version 0) left it.
    const old = new Database(join(dir, "umbra.db"));
    old.exec(`CREATE TABLE identities (
      name TEXT PRIMARY KEY, role TEXT NOT NULL, things TEXT NOT NULL, password_hash TEXT NOT NULL,
      created_at INTEGER NOT NULL, revoked_at INTEGER) WITHOUT ROWID`);
    old.prepare("INSERT INTO identities VALUES ('old-1', 'device', 'old-1', 'scrypt$x', 1234, NULL)").run();
    old.close();
    const db = openDatabase(dir); // brings it up to date (broker/store/migrations.ts)
    try {
      const store = new IdentityStore(db);
      expect(store.list()).toMatchObject([
        { name: "old-1", passwordSetAt: 1234, previousPasswordUntil: null },
      ]);
      expect(store.rotatePassword("old-1", "device", { graceMs: HOUR }).previousUntil).not.toBeNull();
      expect(store.lookup("old-1")?.passwords.previous?.hash).toBe("scrypt$x");
      new IdentityStore(db); // a second opening finds the columns there
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
