import { rmSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Authenticator } from "../../broker/auth/authenticator.ts";
import { IdentityStore } from "../../broker/auth/identity-store.ts";
import { LoginThrottle, type LoginThrottleOptions } from "../../broker/auth/login-throttle.ts";
import { type Db, openDatabase } from "../../broker/store/database.ts";
import { tempDir } from "../helpers/node.ts";

const OPTS: LoginThrottleOptions = { maxFailures: 3, windowMs: 1000, blockMs: 500, maxBlockMs: 1800 };

class FakeClock {
  t = 1_000_000;
  now = () => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

describe("LoginThrottle", () => {
  let clock: FakeClock;
  let throttle: LoginThrottle;
  beforeEach(() => {
    clock = new FakeClock();
    throttle = new LoginThrottle(OPTS, clock.now);
  });
  const fail = (address: string, n: number) => {
    for (let i = 0; i < n; i++) throttle.recordFailure(address);
  };

  it("blocks an address after maxFailures within the window, for blockMs", () => {
    fail("10.0.0.1", 2);
    expect(throttle.blockedFor("10.0.0.1")).toBe(0);
    fail("10.0.0.1", 1);
    expect(throttle.blockedFor("10.0.0.1")).toBe(500);
    clock.advance(499);
    expect(throttle.blockedFor("10.0.0.1")).toBe(1);
    clock.advance(1);
    expect(throttle.blockedFor("10.0.0.1")).toBe(0);
  });

  it("counts only failures inside the window", () => {
    for (let i = 0; i < 10; i++) {
      throttle.recordFailure("10.0.0.1");
      clock.advance(600); // two failures never share a 1000 ms window with a third
    }
    expect(throttle.blockedFor("10.0.0.1")).toBe(0);
  });

  it("keeps addresses apart", () => {
    fail("10.0.0.1", 3);
    expect(throttle.blockedFor("10.0.0.1")).toBeGreaterThan(0);
    expect(throttle.blockedFor("10.0.0.2")).toBe(0);
    expect(throttle.blockedFor("::1")).toBe(0);
  });

  it("doubles the block on each repeat, up to maxBlockMs", () => {
    const blocks: number[] = [];
    for (let i = 0; i < 5; i++) {
      fail("10.0.0.1", 3);
      const wait = throttle.blockedFor("10.0.0.1");
      blocks.push(wait);
      clock.advance(wait);
    }
    expect(blocks).toEqual([500, 1000, 1800, 1800, 1800]);
  });

  it("forgets failures after a success, but a success does not lift a block", () => {
    fail("10.0.0.1", 2);
    throttle.recordSuccess("10.0.0.1");
    fail("10.0.0.1", 2);
    expect(throttle.blockedFor("10.0.0.1")).toBe(0);
    fail("10.0.0.1", 1);
    throttle.recordSuccess("10.0.0.1");
    expect(throttle.blockedFor("10.0.0.1")).toBe(500);
  });

  it("counts attempts refused while blocked", () => {
    fail("10.0.0.1", 3);
    throttle.blockedFor("10.0.0.1");
    throttle.blockedFor("10.0.0.1");
    throttle.blockedFor("10.0.0.2");
    expect(throttle.blockedAttempts).toBe(2);
  });

  it("stays bounded under failures from many addresses over time", () => {
    const size = () => (throttle as unknown as { byAddress: Map<string, unknown> }).byAddress.size;
    for (let i = 0; i < 30_000; i++) {
      throttle.recordFailure(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
      if (i % 1000 === 999) clock.advance(OPTS.windowMs); // earlier addresses go stale
    }
    expect(size()).toBeLessThanOrEqual(11_000);
  });
});

describe("Authenticator", () => {
  let dir: string;
  let db: Db;
  let store: IdentityStore;
  let clock: FakeClock;
  let auth: Authenticator;
  let devicePassword: string;
  beforeEach(() => {
    dir = tempDir("umbra-auth-");
    db = openDatabase(dir);
    store = new IdentityStore(db);
    clock = new FakeClock();
    auth = new Authenticator(store, new LoginThrottle(OPTS, clock.now), false);
    devicePassword = store.add("dev-1", "device", "dev-1");
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const login = (username: string | undefined, password?: string, address = "10.0.0.1") =>
    auth.authenticate({ username, password, address });

  it("accepts the right password and names the principal", async () => {
    const r = await login("dev-1", devicePassword);
    expect(r).toMatchObject({ ok: true, principal: { name: "dev-1", role: "device" } });
  });

  it("refuses a wrong password, an unknown user and an empty password with code 4", async () => {
    expect(await login("dev-1", "wrong")).toMatchObject({ ok: false, code: 4 });
    expect(await login("nobody", devicePassword)).toMatchObject({ ok: false, code: 4 });
    expect(await login("dev-1")).toMatchObject({ ok: false, code: 4 });
    // The password buffer MQTT delivers works like a string.
    const r = await auth.authenticate({
      username: "dev-1",
      password: Buffer.from(devicePassword),
      address: "10.0.0.9", // the three failures above blocked 10.0.0.1
    });
    expect(r.ok).toBe(true);
  });

  it("refuses anonymous connections with code 5 unless the node allows them", async () => {
    expect(await login(undefined)).toMatchObject({ ok: false, code: 5 });
    const open = new Authenticator(store, new LoginThrottle(OPTS, clock.now), true);
    expect(await open.authenticate({ address: "10.0.0.1" })).toMatchObject({
      ok: true,
      principal: { role: "anonymous" },
    });
    // Credentials are still checked when given.
    expect(await open.authenticate({ username: "dev-1", password: "x", address: "a" })).toMatchObject({
      ok: false,
      code: 4,
    });
  });

  it("throttles: after maxFailures, even the right password gets code 5 until the block ends", async () => {
    // A cached successful login must not bypass the block either.
    expect((await login("dev-1", devicePassword)).ok).toBe(true);
    for (let i = 0; i < OPTS.maxFailures; i++) expect((await login("dev-1", "guess")).ok).toBe(false);
    const blocked = await login("dev-1", devicePassword);
    expect(blocked).toMatchObject({ ok: false, code: 5 });
    expect(blocked.ok === false && blocked.reason).toMatch(/too many failed logins/);
    expect((await login("dev-1", devicePassword, "10.0.0.2")).ok).toBe(true);
    clock.advance(OPTS.blockMs);
    expect((await login("dev-1", devicePassword)).ok).toBe(true);
  });

  it("keeps a cached verification until reset, and refuses a revoked identity after it", async () => {
    expect((await login("dev-1", devicePassword)).ok).toBe(true);
    expect(store.revoke("dev-1")).toBe(true);
    // The node polls changed() and then resets; the store reports its own revocation too.
    expect(store.changed()).toBe(true);
    expect(store.changed()).toBe(false);
    auth.reset();
    expect(await login("dev-1", devicePassword)).toMatchObject({ ok: false, code: 4 });
  });

  it("sees a re-added identity's new password after reset, not the old one", async () => {
    expect((await login("dev-1", devicePassword)).ok).toBe(true);
    store.revoke("dev-1");
    const fresh = store.add("dev-1", "device", "dev-1");
    auth.reset();
    expect(await login("dev-1", devicePassword)).toMatchObject({ ok: false, code: 4 });
    expect((await login("dev-1", fresh)).ok).toBe(true);
  });

  it("notices an admin command's commits from another connection, not the node's other commits", async () => {
    const other = openDatabase(dir);
    try {
      expect(store.changed()).toBe(true); // its own writes of beforeEach count once
      expect(store.changed()).toBe(false);
      // What the node's commit worker does at every batch: a commit on its own connection.
      other
        .prepare("INSERT OR REPLACE INTO node_meta (key, value) VALUES ('probe', ?)")
        .run(String(Date.now()));
      expect(store.changed()).toBe(false);
      // A token is an identity change too, whoever writes it.
      other.prepare("UPDATE tokens SET revoked_at = 1 WHERE id = 'none'").run();
      expect(store.changed()).toBe(false); // no row touched: nothing changed
      new IdentityStore(other).createToken("ops", "operator", "#");
      expect(store.changed()).toBe(true);
      expect(store.changed()).toBe(false);
      new IdentityStore(other).revoke("dev-1");
      expect(store.changed()).toBe(true);
      expect(store.changed()).toBe(false);
    } finally {
      other.close();
    }
  });

  it("logs a verified client certificate in by its CN, without a password", async () => {
    const ok = await auth.authenticate({ certificateName: "dev-1", address: "10.0.0.1" });
    expect(ok).toMatchObject({ ok: true, principal: { name: "dev-1", role: "device" } });
    const unknown = await auth.authenticate({ certificateName: "dev-9", address: "10.0.0.1" });
    expect(unknown).toMatchObject({ ok: false, code: 5 });
    store.revoke("dev-1");
    const revoked = await auth.authenticate({ certificateName: "dev-1", address: "10.0.0.1" });
    expect(revoked).toMatchObject({ ok: false, code: 5 });
  });
});
