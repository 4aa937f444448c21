import { createConnection } from "node:net";
import * as mqttPacket from "mqtt-packet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { subscribeGranted } from "../helpers/connect-attempt.ts";
import { connectClient } from "../helpers/mqtt.ts";
import { connect5, Received, sleep } from "../helpers/mqtt5.ts";
import { startTestNode, type TestNode } from "../helpers/node.ts";

/**
 * MQTT 5 features the node serves through aedes 2 (and its fixes on top): user properties, topic
 * aliases, session expiry, message expiry, will delay, and 3.1.1 clients beside
 * them. Time-based features use intervals of 1-2 s and generous waits.
 */
let node: TestNode;
let url = "";
beforeAll(async () => {
  node = await startTestNode({ allowAnonymous: true });
  url = node.urls.mqtt ?? "";
});
afterAll(async () => {
  await node?.stop();
});

describe("MQTT 5 messages", () => {
  it("carries user properties and content type to v5 subscribers; a 3.1.1 subscriber gets the payload", async () => {
    const { client: sub5 } = await connect5(url, { clientId: "up-sub5" });
    const sub3 = await connectClient(url, { clientId: "up-sub3" });
    const got5 = new Received(sub5);
    const got3 = new Received(sub3);
    await sub5.subscribeAsync("up/t", { qos: 1 });
    await sub3.subscribeAsync("up/t", { qos: 1 });
    const { client: pub } = await connect5(url, { clientId: "up-pub" });
    await pub.publishAsync("up/t", "hello", {
      qos: 1,
      properties: { userProperties: { site: "dc1", rack: ["a", "b"] }, contentType: "text/plain" },
    });
    const [m5] = await got5.wait("up/t");
    expect(m5?.properties?.userProperties).toEqual({ site: "dc1", rack: ["a", "b"] });
    expect(m5?.properties?.contentType).toBe("text/plain");
    const [m3] = await got3.wait("up/t");
    expect(m3?.payload.toString()).toBe("hello");
    for (const c of [sub5, sub3, pub]) await c.endAsync();
  });

  it("shares a $share subscription: each message goes to exactly one member of the group", async () => {
    const members = await Promise.all(["sh-a", "sh-b"].map((id) => connect5(url, { clientId: id })));
    const v311 = await connectClient(url, { clientId: "sh-c" }); // mosquitto serves 3.1.1 members too
    const clients = [...members.map((m) => m.client), v311];
    const inboxes = clients.map((c) => new Received(c));
    for (const c of clients) await c.subscribeAsync("$share/workers/jobs/+", { qos: 1 });
    const { client: other } = await connect5(url, { clientId: "sh-other" });
    const unshared = new Received(other);
    await other.subscribeAsync("$share/audit/jobs/+", { qos: 0 });
    const { client: pub } = await connect5(url, { clientId: "sh-pub" });
    for (let i = 0; i < 30; i++) await pub.publishAsync(`jobs/${i}`, String(i), { qos: 1 });
    const all = Array.from({ length: 30 }, (_, i) => String(i));
    const total = () => inboxes.reduce((n, inbox) => n + inbox.packets.length, 0);
    const end = Date.now() + 10_000;
    while ((total() < 30 || unshared.packets.length < 30) && Date.now() < end) await sleep(25);
    await sleep(200);
    const payloads = inboxes.flatMap((inbox) => inbox.packets.map((p) => p.payload.toString()));
    expect(payloads.sort((a, b) => Number(a) - Number(b))).toEqual(all);
    for (const inbox of inboxes) expect(inbox.packets.length).toBeGreaterThan(0);
    // Another group gets every message too, at the QoS it was granted.
    expect(unshared.packets.map((p) => p.payload.toString()).sort((a, b) => Number(a) - Number(b))).toEqual(
      all,
    );
    expect(unshared.packets.every((p) => p.qos === 0)).toBe(true);
    // After unsubscribing, a member gets nothing more.
    await clients[0]?.unsubscribeAsync("$share/workers/jobs/+");
    const before = inboxes[0]?.packets.length;
    for (let i = 0; i < 6; i++) await pub.publishAsync(`jobs/x${i}`, "late", { qos: 1 });
    await sleep(500);
    expect(inboxes[0]?.packets.length).toBe(before);
    for (const c of [...clients, other, pub]) await c.endAsync();
  });

  it("checks the ACL against the shared filter", async () => {
    const secure = await startTestNode({ allowAnonymous: false });
    try {
      const pw = secure.identities.add("sh-dev", "device", "sh-dev");
      const { client } = await connect5(secure.mqttUrl, {
        clientId: "sh-dev",
        username: "sh-dev",
        password: pw,
      });
      expect(await subscribeGranted(client, "$share/g/things/sh-dev/telemetry")).toEqual([1]);
      expect(await subscribeGranted(client, "$share/g/things/other/telemetry")).toEqual([0x87]);
      await client.endAsync();
    } finally {
      await secure.stop();
    }
  });

  it("resolves a client's topic alias", async () => {
    const { client: sub } = await connect5(url, { clientId: "ta-sub" });
    const got = new Received(sub);
    await sub.subscribeAsync("alias/long/topic/name", { qos: 1 });
    const { client: pub, connack } = await connect5(url, { clientId: "ta-pub" });
    expect(connack.properties?.topicAliasMaximum).toBeGreaterThanOrEqual(1);
    await pub.publishAsync("alias/long/topic/name", "first", { qos: 1, properties: { topicAlias: 1 } });
    await pub.publishAsync("", "second", { qos: 1, properties: { topicAlias: 1 } });
    const msgs = await got.wait("alias/long/topic/name", 2);
    expect(msgs.map((m) => m.payload.toString())).toEqual(["first", "second"]);
    await sub.endAsync();
    await pub.endAsync();
  });
});

describe("MQTT 5 limits a client sets", () => {
  it("never sends a client a packet over its Maximum Packet Size (it is dropped for that client only)", async () => {
    const { client: small } = await connect5(url, {
      clientId: "mps-small",
      properties: { maximumPacketSize: 64 },
    });
    const { client: big } = await connect5(url, { clientId: "mps-big" });
    const gotSmall = new Received(small);
    const gotBig = new Received(big);
    for (const c of [small, big]) await c.subscribeAsync("mps/t", { qos: 1 });
    const { client: pub } = await connect5(url, { clientId: "mps-pub" });
    await pub.publishAsync("mps/t", ".".repeat(100), { qos: 1 });
    await pub.publishAsync("mps/t", "small", { qos: 1 });
    await gotBig.wait("mps/t", 2);
    const [m] = await gotSmall.wait("mps/t");
    await sleep(200);
    expect(m?.payload.toString()).toBe("small");
    expect(gotSmall.on("mps/t")).toHaveLength(1);
    for (const c of [small, big, pub]) await c.endAsync();
  });
});

describe("MQTT 5 Receive Maximum of a client", () => {
  it("has no more unacknowledged QoS 1 messages in flight to a client than its Receive Maximum", async () => {
    // A raw MQTT 5 client (mqtt-packet) that acknowledges only when the test says so.
    const socket = createConnection(node.mqttPort, "127.0.0.1");
    const parser = mqttPacket.parser({ protocolVersion: 5 });
    const publishes: { messageId?: number; payload: string }[] = [];
    parser.on("packet", (p) => {
      if (p.cmd === "publish") publishes.push({ messageId: p.messageId, payload: p.payload.toString() });
    });
    socket.on("data", (d) => parser.parse(d));
    const send = (p: object) =>
      socket.write(mqttPacket.generate(p as mqttPacket.Packet, { protocolVersion: 5 }));
    const until = async (n: number) => {
      const end = Date.now() + 10_000;
      while (publishes.length < n && Date.now() < end) await sleep(20);
      expect(publishes.length).toBeGreaterThanOrEqual(n);
    };
    send({
      cmd: "connect",
      protocolId: "MQTT",
      protocolVersion: 5,
      clientId: "rm-raw",
      clean: true,
      keepalive: 60,
      properties: { receiveMaximum: 2 },
    });
    send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "rm/t", qos: 1 }] });
    await sleep(300);
    const { client: pub } = await connect5(url, { clientId: "rm-pub" });
    for (let i = 0; i < 5; i++) await pub.publishAsync("rm/t", String(i), { qos: 1 }); // publisher not held up
    await until(2);
    await sleep(300);
    expect(publishes.map((p) => p.payload)).toEqual(["0", "1"]);
    for (let n = 3; n <= 5; n++) {
      send({ cmd: "puback", messageId: publishes[n - 3]?.messageId });
      await until(n);
    }
    await sleep(200);
    expect(publishes.map((p) => p.payload)).toEqual(["0", "1", "2", "3", "4"]);
    socket.destroy();
    await pub.endAsync();
  });
});

describe("MQTT 5 sessions", () => {
  it("keeps a session for its expiry interval, delivers what was queued, then forgets it", async () => {
    const id = "se-dev";
    const first = await connect5(url, {
      clientId: id,
      clean: true,
      properties: { sessionExpiryInterval: 30 },
    });
    await first.client.subscribeAsync("se/t", { qos: 1 });
    await first.client.endAsync();
    const { client: pub } = await connect5(url, { clientId: "se-pub" });
    await pub.publishAsync("se/t", "while away", { qos: 1 });

    // Clean Start 0 with the default interval 0: the queue is delivered, and the session ends with this connection.
    const back = await connect5(url, { clientId: id, clean: false, manualConnect: false });
    expect(back.connack.sessionPresent).toBe(true);
    const got = new Received(back.client);
    const [m] = await got.wait("se/t");
    expect(m?.payload.toString()).toBe("while away");
    await back.client.endAsync();
    const again = await connect5(url, { clientId: id, clean: false });
    expect(again.connack.sessionPresent).toBe(false);
    await again.client.endAsync();

    // A short interval runs out.
    const short = await connect5(url, {
      clientId: id,
      clean: true,
      properties: { sessionExpiryInterval: 1 },
    });
    await short.client.subscribeAsync("se/t", { qos: 1 });
    await short.client.endAsync();
    await sleep(2500);
    const late = await connect5(url, { clientId: id, clean: false });
    expect(late.connack.sessionPresent).toBe(false);
    await late.client.endAsync();
    await pub.endAsync();
  });

  it("drops a queued message whose expiry interval ran out and counts down the others", async () => {
    const id = "me-dev";
    const s = await connect5(url, { clientId: id, clean: true, properties: { sessionExpiryInterval: 60 } });
    await s.client.subscribeAsync("me/t", { qos: 1 });
    await s.client.endAsync();
    const { client: pub } = await connect5(url, { clientId: "me-pub" });
    await pub.publishAsync("me/t", "short", { qos: 1, properties: { messageExpiryInterval: 1 } });
    await pub.publishAsync("me/t", "long", { qos: 1, properties: { messageExpiryInterval: 60 } });
    await sleep(2200);
    const back = await connect5(url, {
      clientId: id,
      clean: false,
      properties: { sessionExpiryInterval: 60 },
    });
    const got = new Received(back.client);
    const [m] = await got.wait("me/t");
    await sleep(300);
    expect(got.on("me/t").map((p) => p.payload.toString())).toEqual(["long"]);
    expect(m?.properties?.messageExpiryInterval).toBeLessThan(60);
    await back.client.endAsync();
    await pub.endAsync();
  });

  it("publishes a will after its delay, and not at all if the client is back in time", async () => {
    const { client: watcher } = await connect5(url, { clientId: "wd-watch" });
    const seen = new Received(watcher);
    await watcher.subscribeAsync("wd/+", { qos: 1 });
    const will = (topic: string) => ({
      topic,
      payload: Buffer.from("gone"),
      qos: 1 as const,
      retain: false,
      properties: { willDelayInterval: 2 },
    });
    const a = await connect5(url, {
      clientId: "wd-a",
      will: will("wd/a"),
      properties: { sessionExpiryInterval: 30 },
    });
    a.client.stream.destroy(); // connection lost without DISCONNECT
    const lostAt = Date.now();
    await sleep(1000);
    expect(seen.on("wd/a")).toEqual([]);
    const [w] = await seen.wait("wd/a", 1, 10_000);
    expect(Date.now() - lostAt).toBeGreaterThanOrEqual(1500);
    expect(w?.payload.toString()).toBe("gone");
    expect(w?.properties ?? {}).not.toHaveProperty("willDelayInterval");

    const b = await connect5(url, {
      clientId: "wd-b",
      will: will("wd/b"),
      properties: { sessionExpiryInterval: 30 },
    });
    b.client.stream.destroy();
    await sleep(500);
    const back = await connect5(url, {
      clientId: "wd-b",
      clean: false,
      properties: { sessionExpiryInterval: 30 },
    });
    await sleep(3000);
    expect(seen.on("wd/b")).toEqual([]);
    await back.client.endAsync();
    await watcher.endAsync();
  });
});
