import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connackOf,
  grantOf,
  loginAs,
  Recorder,
  shadowRequest,
  startSecureNode,
} from "../helpers/acl-clients.ts";
import { closedWithin, type SecureNodeProcess, spawnSecureNode } from "../helpers/identity-node.ts";
import { type TestNode, tempDir } from "../helpers/node.ts";
import { runUmbra } from "../helpers/umbra-cli.ts";

/**
 * Revocation takes effect on a running node: live sessions of the revoked identity are disconnected
 * within about two seconds (the node polls the store every second), it cannot log in again, and
 * nobody else is disturbed.
 */

const KICK_MS = 2500;

describe("revocation with `umbra … revoke` against a running node", () => {
  let dir: string;
  let node: SecureNodeProcess;
  const umbra = (...args: string[]) => runUmbra([...args, "--data-dir", dir]);
  const add = async (...args: string[]) => {
    const r = await umbra(...args, "--json");
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as { password: string; token: string };
  };
  beforeAll(async () => {
    dir = tempDir("umbra-revoke-");
    node = await spawnSecureNode(dir);
  });
  afterAll(async () => {
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("disconnects a revoked device within ~2 s; it cannot reconnect; other sessions stay", async () => {
    const { password } = await add("device", "add", "rev-1");
    const { password: keepPassword } = await add("device", "add", "keep-1");
    const victim = await loginAs(node.mqttUrl, "rev-1", password);
    const second = await loginAs(node.mqttUrl, "rev-1", password); // every session goes, not just one
    const bystander = await loginAs(node.mqttUrl, "keep-1", keepPassword);

    const revoked = await umbra("device", "revoke", "rev-1");
    expect(revoked.code, revoked.stderr).toBe(0);
    const [ms1, ms2] = await Promise.all([closedWithin(victim, KICK_MS), closedWithin(second, KICK_MS)]);
    expect(Math.max(ms1, ms2)).toBeLessThan(KICK_MS);

    const retry = await connackOf(node.mqttUrl, { username: "rev-1", password });
    expect([4, 5]).toContain(retry.code);
    expect(bystander.connected).toBe(true);
    expect(await grantOf(bystander, "things/keep-1/telemetry")).toBe(1);
    await bystander.endAsync();
  });

  it("disconnects a revoked user, and a re-added identity needs its new password", async () => {
    const { password } = await add("user", "add", "ops-r", "--role", "operator");
    const session = await loginAs(node.mqttUrl, "ops-r", password);
    expect((await umbra("user", "revoke", "ops-r")).code).toBe(0);
    expect(await closedWithin(session, KICK_MS)).toBeLessThan(KICK_MS);

    const { password: fresh } = await add("user", "add", "ops-r", "--role", "viewer");
    // The node's cache of verified passwords must not let the old one back in.
    expect((await connackOf(node.mqttUrl, { username: "ops-r", password })).code).toBe(4);
    const back = await loginAs(node.mqttUrl, "ops-r", fresh);
    // ...and it is a viewer now: no more operator rights.
    const reply = await shadowRequest(back, new Recorder(back), "$umbra/things/x/shadow/update", {
      state: { desired: { on: true } },
    });
    expect(reply).toMatchObject({ outcome: "rejected", code: 403 });
    await back.endAsync();
  });

  it("refuses a revoked token on the next HTTP request", async () => {
    const { token } = await add("token", "create", "--role", "viewer", "--name", "dash-r");
    const get = () => fetch(`${node.httpUrl}/things`, { headers: { authorization: `Bearer ${token}` } });
    expect((await get()).status).toBe(200);
    expect((await umbra("token", "revoke", "dash-r")).code).toBe(0);
    expect((await get()).status).toBe(401);
  });
});

describe("revocation through the node's own identity store", () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await startSecureNode();
  });
  afterAll(async () => {
    await node?.stop();
  });

  it("disconnects the session and forgets the cached password", async () => {
    const password = node.identities.add("rev-in", "device", "rev-in");
    const session = await loginAs(node.mqttUrl, "rev-in", password);
    // Logged in once more, so the verified password is cached.
    const cached = await loginAs(node.mqttUrl, "rev-in", password);
    await cached.endAsync();
    expect(node.identities.revoke("rev-in")).toBe(true);
    expect(await closedWithin(session, KICK_MS)).toBeLessThan(KICK_MS);
    expect((await connackOf(node.mqttUrl, { username: "rev-in", password })).code).toBe(4);
  });
});
