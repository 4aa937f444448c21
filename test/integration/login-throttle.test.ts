import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connackOf, startSecureNode } from "../helpers/acl-clients.ts";
import type { TestNode } from "../helpers/node.ts";

/**
 * Brute force over MQTT: wrong passwords get CONNACK 4 until the address has failed `loginMaxFailures`
 * times; then every attempt from that address, even with the right password, gets CONNACK 5 until the
 * block ends. Repeated blocks get longer.
 */

const MAX_FAILURES = 4;
const BLOCK_MS = 700;

describe("failed-login throttling", () => {
  let node: TestNode;
  let password: string;
  let otherPassword: string;
  beforeAll(async () => {
    // The test's clients are on loopback, which is only throttled when asked.
    node = await startSecureNode({
      loginMaxFailures: MAX_FAILURES,
      loginBlockMs: BLOCK_MS,
      loginThrottleLoopback: true,
    });
    password = node.identities.add("dev-bf", "device", "dev-bf");
    otherPassword = node.identities.add("dev-ok", "device", "dev-ok");
  });
  afterAll(async () => {
    await node?.stop();
  });

  const attempt = async (username: string, pass: string) => {
    const r = await connackOf(node.mqttUrl, { username, password: pass, clientId: `bf-${username}` });
    await r.client?.endAsync();
    return r.code;
  };

  it("answers 4 to each guess, then 5 to everyone from that address, then lets the right password in", async () => {
    const codes: number[] = [];
    for (let i = 0; i < MAX_FAILURES; i++) codes.push(await attempt("dev-bf", `guess-${i}`));
    expect(codes).toEqual(Array(MAX_FAILURES).fill(4));
    const blockedAt = Date.now();

    expect(await attempt("dev-bf", password)).toBe(5);
    expect(await attempt("dev-bf", "guess-x")).toBe(5);
    // The block is per source address, not per identity.
    expect(await attempt("dev-ok", otherPassword)).toBe(5);
    expect(Date.now() - blockedAt, "the checks above must run inside the block").toBeLessThan(BLOCK_MS);

    await sleep(BLOCK_MS - (Date.now() - blockedAt) + 50);
    expect(await attempt("dev-bf", password)).toBe(0);
    expect(await attempt("dev-ok", otherPassword)).toBe(0);
  });

  it("blocks a repeat offender for twice as long, even after a successful login in between", async () => {
    // The previous test was blocked once and then logged in: the success cleared the failure count but
    // not the escalation (an attacker holding one valid credential must not reset it).
    for (let i = 0; i < MAX_FAILURES; i++) expect(await attempt("dev-bf", `again-${i}`)).toBe(4);
    const blockedAt = Date.now();
    await sleep(BLOCK_MS + 100);
    expect(Date.now() - blockedAt, "still inside the doubled block").toBeLessThan(2 * BLOCK_MS);
    expect(await attempt("dev-bf", password)).toBe(5);
    await sleep(2 * BLOCK_MS - (Date.now() - blockedAt) + 50);
    expect(await attempt("dev-bf", password)).toBe(0);
  });
});

describe("failed-login throttling on loopback (the default)", () => {
  let node: TestNode;
  let password: string;
  beforeAll(async () => {
    node = await startSecureNode({ loginMaxFailures: MAX_FAILURES, loginBlockMs: 60_000 });
    password = node.identities.add("dev-local", "device", "dev-local");
  });
  afterAll(async () => {
    await node?.stop();
  });

  it("never blocks 127.0.0.1: each wrong password gets 4, the right one still gets in", async () => {
    const codes: number[] = [];
    for (let i = 0; i < 3 * MAX_FAILURES; i++) {
      const r = await connackOf(node.mqttUrl, {
        username: "dev-local",
        password: `guess-${i}`,
        clientId: "loc",
      });
      await r.client?.endAsync();
      codes.push(r.code);
    }
    expect(codes).toEqual(new Array(3 * MAX_FAILURES).fill(4));
    const ok = await connackOf(node.mqttUrl, { username: "dev-local", password, clientId: "dev-local" });
    await ok.client?.endAsync();
    expect(ok.code).toBe(0);
  });
});
