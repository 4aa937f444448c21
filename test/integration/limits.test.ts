import { connect } from "node:net";
import type { MqttClient } from "mqtt";
import { generate, type IConnackPacket, type Packet } from "mqtt-packet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_SECURITY, type SecurityLimits } from "../../shared/config.ts";
import { connectClient } from "../helpers/mqtt.ts";
import { startTestNode, type TestNode } from "../helpers/node.ts";
import { RawClient } from "../helpers/raw-mqtt.ts";

/** A secure node (credentials required) with the given limits; devices are added per test. */
function secureNode(security: Partial<SecurityLimits>): Promise<TestNode> {
  return startTestNode({ allowAnonymous: false, security: { ...DEFAULT_SECURITY, ...security } });
}

interface Reply {
  topic: string;
  code?: number;
  message?: string;
  clientToken?: string;
}

/** A device with an mqtt.js client subscribed to its own update replies, collected by clientToken. */
async function device(
  node: TestNode,
  thing: string,
): Promise<{ client: MqttClient; replies: Map<string, Reply> }> {
  const password = node.identities.add(thing, "device", thing);
  const client = await connectClient(node.mqttUrl, { username: thing, password });
  const replies = new Map<string, Reply>();
  client.on("message", (topic, payload) => {
    // /documents carries the clientToken too; only the request's own answer counts.
    if (!topic.endsWith("/accepted") && !topic.endsWith("/rejected")) return;
    const body = JSON.parse(payload.toString()) as Reply;
    if (body.clientToken) replies.set(body.clientToken, { ...body, topic });
  });
  await client.subscribeAsync(`$umbra/things/${thing}/shadow/update/+`, { qos: 1 });
  return { client, replies };
}

const update = (thing: string) => `$umbra/things/${thing}/shadow/update`;
const body = (n: number, clientToken: string) => JSON.stringify({ state: { reported: { n } }, clientToken });

async function waitFor(pred: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function split(replies: Map<string, Reply>, tokens: string[]) {
  const got = tokens.map((t) => replies.get(t));
  return {
    accepted: got.filter((r) => r?.topic.endsWith("/accepted")).length,
    limited: got.filter((r): r is Reply => r?.topic.endsWith("/rejected") === true && r.code === 429),
  };
}

/** A raw connection that sent CONNECT with credentials; returns it with the CONNACK. */
async function rawLogin(
  node: TestNode,
  clientId: string,
  username: string,
  password: string,
  clean = true,
): Promise<{ raw: RawClient; connack: IConnackPacket }> {
  const raw = await RawClient.open(node.mqttPort);
  const connect: Packet = { cmd: "connect", clientId, clean, keepalive: 0, username };
  raw.sendBytes(generate({ ...connect, password: Buffer.from(password) }, { protocolVersion: 4 }));
  return { raw, connack: await raw.next("connack") };
}

/** A raw client logged in as `thing` (a new device identity). */
async function rawDevice(node: TestNode, thing: string): Promise<RawClient> {
  const password = node.identities.add(thing, "device", thing);
  const { raw, connack } = await rawLogin(node, `raw-${thing}`, thing, password);
  expect(connack.returnCode).toBe(0);
  return raw;
}

describe("per-client shadow request rate", () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await secureNode({ requestRate: 2, requestBurst: 3 });
  });
  afterAll(async () => {
    await node.stop();
  });

  it("answers 429 on /rejected once a client's bucket is empty; other clients are unaffected; it recovers", async () => {
    const a = await device(node, "rate-a");
    const b = await device(node, "rate-b");
    const flood = Array.from({ length: 10 }, (_, i) => `a-${i}`);
    const calm = Array.from({ length: 3 }, (_, i) => `b-${i}`);
    await Promise.all([
      ...flood.map((t, i) => a.client.publishAsync(update("rate-a"), body(i, t), { qos: 1 })),
      ...calm.map((t, i) => b.client.publishAsync(update("rate-b"), body(i, t), { qos: 1 })),
    ]);
    await waitFor(() => [...flood, ...calm].every((t) => a.replies.has(t) || b.replies.has(t)));
    const fa = split(a.replies, flood);
    // Burst 3; at 2/s the flood (a few ms) cannot earn a 5th token.
    expect(fa.accepted).toBeGreaterThanOrEqual(3);
    expect(fa.accepted).toBeLessThanOrEqual(4);
    expect(fa.limited).toHaveLength(10 - fa.accepted);
    for (const r of fa.limited) expect(r.message).toMatch(/Rate limit exceeded \(2 requests per second\)/);
    // b has its own bucket: all of its requests pass while a is being limited.
    expect(split(b.replies, calm).accepted).toBe(3);
    // One token comes back after 500 ms.
    await new Promise((r) => setTimeout(r, 600));
    await a.client.publishAsync(update("rate-a"), body(99, "a-later"), { qos: 1 });
    await waitFor(() => a.replies.has("a-later"));
    expect(a.replies.get("a-later")?.topic).toBe(`${update("rate-a")}/accepted`);
    await Promise.all([a.client.endAsync(), b.client.endAsync()]);
  });
});

describe("max in-flight shadow requests", () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await secureNode({ requestRate: 100_000, requestBurst: 100_000, maxInflight: 2 });
  });
  afterAll(async () => {
    await node.stop();
  });

  it("answers 429 to requests beyond the cap that arrive while others wait for their commit", async () => {
    const raw = await rawDevice(node, "inflight-a");
    await raw.subscribe([{ topic: "$umbra/things/inflight-a/shadow/update/+", qos: 0 }]);
    const tokens = Array.from({ length: 12 }, (_, i) => `f-${i}`);
    // One write: aedes dispatches a whole read chunk at once, so all 12 are in flight together.
    const packets = tokens.map((t, i) =>
      generate({
        cmd: "publish",
        topic: update("inflight-a"),
        payload: Buffer.from(body(i, t)),
        qos: 0,
        retain: false,
        dup: false,
      }),
    );
    raw.sendBytes(Buffer.concat(packets));
    const replies = new Map<string, Reply>();
    while (replies.size < tokens.length) {
      const p = await raw.take("publish", (x) => /\/(accepted|rejected)$/.test(x.topic));
      const r = JSON.parse(p.payload.toString()) as Reply;
      if (r.clientToken) replies.set(r.clientToken, { ...r, topic: p.topic });
    }
    const { accepted, limited } = split(replies, tokens);
    expect(accepted).toBeGreaterThanOrEqual(2);
    expect(limited.length).toBeGreaterThan(0);
    expect(accepted + limited.length).toBe(tokens.length);
    for (const r of limited) expect(r.message).toMatch(/Too many requests in flight \(limit 2\)/);
    // Slots are given back once replies are out: a later request passes.
    raw.sendBytes(
      generate({
        cmd: "publish",
        topic: update("inflight-a"),
        payload: Buffer.from(body(1, "f-late")),
        qos: 0,
        retain: false,
        dup: false,
      }),
    );
    const late = await raw.take(
      "publish",
      (p) => /\/(accepted|rejected)$/.test(p.topic) && p.payload.toString().includes('"f-late"'),
    );
    expect(late.topic).toBe(`${update("inflight-a")}/accepted`);
    await raw.disconnect();
  });
});

describe("max packet size and connect timeout", () => {
  const LIMIT = 2048;
  let node: TestNode;
  beforeAll(async () => {
    node = await secureNode({ maxPacketBytes: LIMIT, connectTimeoutMs: 300 });
  });
  afterAll(async () => {
    await node.stop();
  });

  /** A QoS 1 PUBLISH of exactly `total` bytes on the device's telemetry topic. */
  function publishOfTotal(thing: string, total: number, messageId: number): Buffer {
    const make = (n: number) =>
      generate({
        cmd: "publish",
        topic: `things/${thing}/t`,
        payload: Buffer.alloc(n, 0x61),
        qos: 1,
        messageId,
        retain: false,
        dup: false,
      });
    const bytes = make(total - (make(0).length + 1)); // the remaining length takes one byte more past 127
    expect(bytes.length).toBe(total);
    return bytes;
  }

  it("takes a packet of exactly the limit, closes the connection of one a byte larger, and others keep working", async () => {
    const healthy = await device(node, "pkt-healthy");
    const big = await rawDevice(node, "pkt-big");
    big.sendBytes(publishOfTotal("pkt-big", LIMIT, 7));
    expect((await big.next("puback")).messageId).toBe(7);
    big.sendBytes(publishOfTotal("pkt-big", LIMIT + 1, 8));
    await big.closed;
    expect(big.isOpen).toBe(false);
    await healthy.client.publishAsync(update("pkt-healthy"), body(1, "h-1"), { qos: 1 });
    await waitFor(() => healthy.replies.has("h-1"));
    expect(healthy.replies.get("h-1")?.topic).toBe(`${update("pkt-healthy")}/accepted`);
    expect(healthy.client.connected).toBe(true);
    await healthy.client.endAsync();
  });

  it("closes a connection as soon as an oversize length arrives, without waiting for the body", async () => {
    const raw = await rawDevice(node, "pkt-header");
    const started = Date.now();
    raw.sendBytes(Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]));
    await raw.closed;
    expect(Date.now() - started).toBeLessThan(1000);
    // Before CONNECT too: an unauthenticated peer cannot make the node buffer a big packet.
    const anon = await RawClient.open(node.mqttPort);
    anon.sendBytes(Buffer.from([0x10, 0x80, 0x80, 0x01]));
    await anon.closed;
  });

  it("closes a socket that never sends CONNECT after connectTimeoutMs", async () => {
    const started = Date.now();
    const socket = connect({ port: node.mqttPort, host: "127.0.0.1" });
    socket.on("error", () => {});
    await new Promise<void>((resolve) => socket.once("close", () => resolve()));
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(3000);
  });

  it("closes a socket that sent only part of a CONNECT after connectTimeoutMs", async () => {
    const raw = await RawClient.open(node.mqttPort);
    const started = Date.now();
    raw.sendBytes(Buffer.from([0x10, 0x20, 0x00, 0x04, 0x4d]));
    await raw.closed;
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(3000);
  });

  it("keeps a client that connected in time past connectTimeoutMs", async () => {
    const raw = await rawDevice(node, "timeout-ok");
    await new Promise((r) => setTimeout(r, 700));
    await raw.ping();
    expect(raw.isOpen).toBe(true);
    await raw.disconnect();
  });
});

describe("client id takeover across identities", () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await secureNode({});
  });
  afterAll(async () => {
    await node.stop();
  });

  it("refuses another identity a client id in use or held by a persistent session (CONNACK 2)", async () => {
    const pa = node.identities.add("own-a", "device", "own-a");
    const pb = node.identities.add("own-b", "device", "own-b");
    const op = node.identities.add("own-op", "operator", "*");
    const a1 = await rawLogin(node, "shared-id", "own-a", pa, false);
    expect(a1.connack.returnCode).toBe(0);
    await a1.raw.subscribe([{ topic: "things/own-a/#", qos: 1 }]);
    // Live: without the check, MQTT's takeover would kick a and hand b its session.
    const b1 = await rawLogin(node, "shared-id", "own-b", pb, false);
    expect(b1.connack.returnCode).toBe(2);
    await b1.raw.closed;
    await a1.raw.ping();
    // Offline: a's persistent session queues a message that b may not read.
    await a1.raw.destroy();
    const operator = await connectClient(node.mqttUrl, { username: "own-op", password: op });
    await operator.publishAsync("things/own-a/cmd", "for a only", { qos: 1 });
    await operator.endAsync();
    const b2 = await rawLogin(node, "shared-id", "own-b", pb, false);
    expect(b2.connack.returnCode).toBe(2);
    expect(b2.raw.drainPublishes()).toEqual([]);
    // The owner gets its session and the queued message back; its own takeover still works.
    const a2 = await rawLogin(node, "shared-id", "own-a", pa, false);
    expect(a2.connack).toMatchObject({ returnCode: 0, sessionPresent: true });
    expect((await a2.raw.nextPublish("things/own-a/cmd")).payload.toString()).toBe("for a only");
    const a3 = await rawLogin(node, "shared-id", "own-a", pa, true);
    expect(a3.connack.returnCode).toBe(0);
    await a2.raw.closed;
    // A clean session ends with its connection: then the id is free for anyone.
    await a3.raw.disconnect();
    const b3 = await rawLogin(node, "shared-id", "own-b", pb, true);
    expect(b3.connack.returnCode).toBe(0);
    await b3.raw.disconnect();
  });
});
