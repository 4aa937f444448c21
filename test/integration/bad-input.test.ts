import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startTestNode, type TestNode } from "../helpers/node.ts";
import {
  expectAccepted,
  expectRejected,
  ProbePool,
  type ShadowProbe,
  shadowBase,
} from "../helpers/shadow-probe.ts";

/** Deterministic bytes (xorshift32), so a failure can be replayed exactly. */
function pseudoRandomBytes(seed: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function nestedObject(levels: number): Record<string, unknown> {
  let v: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < levels; i++) v = { n: v };
  return v;
}

interface Case {
  name: string;
  payload: string | Buffer | object;
  code: number;
  /** The clientToken the rejection must echo (only a valid token in a parsable payload is echoed). */
  token?: string;
}

const T = "tok";
const CASES: Case[] = [
  { name: "truncated JSON", payload: '{"state":{"desired":', code: 400 },
  { name: "JSON array", payload: "[1,2,3]", code: 400 },
  { name: "JSON string", payload: '"state"', code: 400 },
  { name: "JSON number", payload: "42", code: 400 },
  { name: "JSON null", payload: "null", code: 400 },
  { name: "missing state", payload: { clientToken: T }, code: 400, token: T },
  { name: "state null", payload: { state: null, clientToken: T }, code: 400, token: T },
  { name: "state a number", payload: { state: 5, clientToken: T }, code: 400, token: T },
  { name: "state an array", payload: { state: [{ desired: {} }], clientToken: T }, code: 400, token: T },
  { name: "state with delta", payload: { state: { delta: { a: 1 } }, clientToken: T }, code: 400, token: T },
  { name: "state with desired and delta", payload: { state: { desired: { a: 1 }, delta: {} } }, code: 400 },
  { name: "empty state", payload: { state: {} }, code: 400 },
  { name: "desired a number", payload: { state: { desired: 5 }, clientToken: T }, code: 400, token: T },
  { name: "reported an array", payload: { state: { reported: [1] } }, code: 400 },
  { name: "reported a string", payload: { state: { reported: "on" } }, code: 400 },
  {
    name: "negative version",
    payload: { state: { desired: { a: 1 } }, version: -1, clientToken: T },
    code: 400,
    token: T,
  },
  {
    name: "string version",
    payload: { state: { desired: { a: 1 } }, version: "1", clientToken: T },
    code: 400,
    token: T,
  },
  {
    name: "float version",
    payload: { state: { desired: { a: 1 } }, version: 1.5, clientToken: T },
    code: 400,
    token: T,
  },
  { name: "null version", payload: { state: { desired: { a: 1 } }, version: null }, code: 400 },
  { name: "numeric clientToken", payload: { state: { desired: { a: 1 } }, clientToken: 7 }, code: 400 },
  { name: "object clientToken", payload: { state: { desired: { a: 1 } }, clientToken: { t: 1 } }, code: 400 },
  {
    name: "65-byte clientToken",
    payload: { state: { desired: { a: 1 } }, clientToken: "k".repeat(65) },
    code: 400,
  },
  {
    name: "9 levels deep",
    payload: { state: { desired: nestedObject(9) }, clientToken: T },
    code: 400,
    token: T,
  },
  {
    name: "2,500 levels of objects",
    payload: `{"state":{"desired":${'{"a":'.repeat(2500)}1${"}".repeat(2502)}`,
    code: 400,
  },
  {
    name: "7,000 levels of arrays",
    payload: `{"state":{"desired":{"a":${"[".repeat(7000)}${"]".repeat(7000)}}}}`,
    code: 400,
  },
  {
    name: "__proto__ key",
    payload: `{"state":{"desired":{"__proto__":{"polluted":1}}},"clientToken":"${T}"}`,
    code: 400,
    token: T,
  },
  {
    name: "nested __proto__ key",
    payload: '{"state":{"reported":{"a":{"__proto__":{"polluted":2}}}}}',
    code: 400,
  },
  {
    name: "null in an array",
    payload: { state: { desired: { a: [1, null] } }, clientToken: T },
    code: 400,
    token: T,
  },
  {
    name: "17 KiB request",
    payload: { state: { reported: { blob: "x".repeat(17 * 1024) } }, clientToken: T },
    code: 413,
  },
  { name: "200 KiB of random bytes", payload: pseudoRandomBytes(7, 200 * 1024), code: 413 },
  {
    name: "invalid UTF-8",
    payload: Buffer.from([0x7b, 0x22, 0x73, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
    code: 400,
  },
  { name: "UTF-16 JSON", payload: Buffer.from('{"state":{"desired":{"a":1}}}', "utf16le"), code: 400 },
  { name: "random bytes", payload: pseudoRandomBytes(42, 300), code: 400 },
  { name: "NUL bytes", payload: Buffer.alloc(64), code: 400 },
];

/** Malformed, oversize, deep and binary payloads: each gets its error reply and the node keeps serving. */
describe("bad input on shadow topics", () => {
  let node: TestNode;
  const pool = new ProbePool(() => node.mqttUrl);
  beforeAll(async () => {
    node = await startTestNode();
  });
  afterEach(() => pool.closeAll());
  afterAll(() => node.stop());

  /** A well-behaved second client: its valid update right after each bad request must be accepted. */
  async function healthy(p: ShadowProbe, n: number): Promise<void> {
    const r = await p.request(shadowBase("bi-healthy"), "update", { state: { reported: { n } } });
    expect(expectAccepted(r).version).toBeGreaterThan(0);
  }

  it("rejects each bad update with its code, and serves the next client right afterwards", async () => {
    const target = shadowBase("bi-target");
    const bad = await pool.connect();
    await bad.watch("bi-target");
    const good = await pool.connect();
    await good.watch("bi-healthy");
    for (const [i, c] of CASES.entries()) {
      const reply = await bad.request(target, "update", c.payload);
      expect.soft(reply.body?.code, c.name).toBe(c.code);
      expectRejected(reply, c.code, c.token);
      await healthy(good, i);
    }
    // The node runs in this process: a merge through `__proto__` would show up on every object here.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // None of them created the shadow.
    expectRejected(await bad.request(target, "get"), 404);
    expect(bad.client.connected).toBe(true);
  });

  it("closes the connection of a client sending a packet over the max packet size, and serves others", async () => {
    const big = await pool.connect();
    const closed = new Promise<void>((resolve) => big.client.once("close", () => resolve()));
    big.client.publish("$umbra/things/bi-huge/shadow/update", pseudoRandomBytes(7, 1024 * 1024));
    await closed;
    const good = await pool.connect();
    await good.watch("bi-healthy");
    await healthy(good, 1000);
  });

  it("rejects garbage on get and delete with 400 without touching the shadow", async () => {
    const base = shadowBase("bi-get-delete");
    const p = await pool.connect();
    await p.watch("bi-get-delete");
    await p.request(base, "update", { state: { reported: { ok: true } } });
    for (const op of ["get", "delete"] as const) {
      for (const payload of [
        "{",
        "[]",
        pseudoRandomBytes(op.length, 100),
        { version: -3 },
        { clientToken: 1 },
      ]) {
        expectRejected(await p.request(base, op, payload), 400);
      }
      expectRejected(await p.request(base, op, "x".repeat(20 * 1024)), 413);
    }
    expect(expectAccepted(await p.request(base, "get")).version).toBe(1);
  });

  it("ignores garbage where there is no reply topic, and forwards plain topics untouched", async () => {
    const p = await pool.connect();
    await p.subscribe(["$umbra/things/bi-ignored/#", "plain/bi/#"]);
    const garbage = pseudoRandomBytes(99, 256);
    const from = p.mark();
    const ignored = [
      "$umbra/things/bi-ignored/shadow/bogus",
      "$umbra/things/bi-ignored/shadow/update/sideways",
      "$umbra/things/bi-ignored/shadow/update/accepted/extra",
      "$umbra/things/bi-ignored/shadow/name",
      "$umbra/things/bi-ignored/telemetry",
    ];
    for (const topic of ignored) await p.publish(topic, garbage);
    await p.publish("plain/bi/raw", garbage);
    const echoed = await p.waitFor((m) => m.topic === "plain/bi/raw", "plain topic");
    expect(echoed.raw.equals(garbage)).toBe(true);
    // Barrier: a real request on the same thing; the garbage above was handled before it.
    await p.request(shadowBase("bi-ignored"), "get", { clientToken: "after" }, "after");
    const replies = p.received((m) => /\/(accepted|rejected|delta|documents)$/.test(m.topic), from);
    expect(replies.map((m) => m.body?.clientToken)).toEqual(["after"]);
    // The non-shadow topics are plain MQTT: delivered as published.
    expect(p.received((m) => ignored.includes(m.topic), from).map((m) => m.topic)).toEqual(ignored);
  });

  it("keeps serving after a burst of bad requests from many clients at once", async () => {
    const clients = await Promise.all(Array.from({ length: 5 }, () => pool.connect()));
    await Promise.all(clients.map((c, i) => c.watch(`bi-burst-${i}`)));
    const replies = await Promise.all(
      clients.flatMap((c, i) =>
        CASES.slice(0, 10).map((bad) => c.request(shadowBase(`bi-burst-${i}`), "update", bad.payload)),
      ),
    );
    // Requests of one client are concurrent here, so only count them: each got one rejection.
    expect(replies.every((r) => r.topic.endsWith("/update/rejected") && r.body?.code === 400)).toBe(true);
    const good = await pool.connect();
    await good.watch("bi-healthy");
    await healthy(good, 1000);
  });
});
