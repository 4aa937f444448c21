import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestNode, type TestNode } from "../helpers/node.ts";
import { RawClient } from "../helpers/raw-mqtt.ts";

/**
 * MQTT 3.1.1 conformance of the node, seen on the wire: a raw TCP socket and hand-built packets, so
 * no client library can hide (or retry around) what the broker actually sends.
 */
describe("raw-socket MQTT 3.1.1 conformance", () => {
  let node: TestNode;
  const open: RawClient[] = [];
  const connect = async (...args: Parameters<typeof RawClient.connect>) => {
    const r = await RawClient.connect(...args);
    open.push(r.client);
    return r;
  };

  beforeAll(async () => {
    // The bare broker: the Sparkplug host keeps a retained STATE topic, which a `#` subscriber would get.
    node = await startTestNode({ sparkplugEnabled: false });
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.destroy()));
    await node.stop();
  });

  it("refuses an empty client id with clean session 0: CONNACK 2, then closes [MQTT-3.1.3-8]", async () => {
    const { client, connack } = await connect(node.mqttPort, { clientId: "", clean: false });
    expect(connack.returnCode).toBe(2);
    expect(connack.sessionPresent).toBe(false);
    // [MQTT-3.2.2-5]: after a non-zero CONNACK the server must close the connection.
    await Promise.race([
      client.closed,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error("connection still open after CONNACK 2")), 3000),
      ),
    ]);
    expect(client.isOpen).toBe(false);
  });

  it("accepts an empty client id with clean session 1 (CONNACK 0) and serves it", async () => {
    const { client, connack } = await connect(node.mqttPort, { clientId: "", clean: true });
    expect(connack.returnCode).toBe(0);
    expect(connack.sessionPresent).toBe(false);
    await client.ping();
    expect(client.isOpen).toBe(true);
    await client.disconnect();
  });

  it("refuses a filter with SUBACK 0x80, grants the other filter of the same SUBSCRIBE, keeps the client", async () => {
    const { client, connack } = await connect(node.mqttPort, { clientId: "raw-sub-1" });
    expect(connack.returnCode).toBe(0);
    const suback = await client.subscribe([
      { topic: "$umbra/nonsense/#", qos: 1 },
      { topic: "raw/ok/+", qos: 1 },
      { topic: "$aws/bogus", qos: 0 },
      { topic: "$umbra/things/raw-sub-1/shadow/update/delta", qos: 0 },
    ]);
    // One return code per filter, in order [MQTT-3.9.3-1]; 0x80 is failure [MQTT-3.9.3-2].
    expect(suback.granted).toEqual([0x80, 1, 0x80, 0]);
    await client.ping();
    expect(client.isOpen).toBe(true);

    // The granted filter really delivers, at its granted QoS.
    const { client: pub } = await connect(node.mqttPort, { clientId: "raw-pub-1" });
    await pub.publish("raw/ok/a", "hello", { qos: 1 });
    const msg = await client.nextPublish("raw/ok/a");
    expect(msg.payload.toString()).toBe("hello");
    expect(msg.qos).toBe(1);
    expect(msg.retain).toBe(false);
    await pub.disconnect();
    await client.disconnect();
  });

  it("acknowledges a QoS 1 shadow update with PUBACK and answers on /accepted to a raw subscriber", async () => {
    const { client } = await connect(node.mqttPort, { clientId: "raw-thing-1" });
    const base = "$umbra/things/raw-thing-1/shadow/update";
    const suback = await client.subscribe([
      { topic: `${base}/accepted`, qos: 1 },
      { topic: `${base}/rejected`, qos: 1 },
    ]);
    expect(suback.granted).toEqual([1, 1]);

    const messageId = client.newMessageId();
    const body = { state: { reported: { temp: 21.5 } }, clientToken: "raw-token-1" };
    client.send({
      cmd: "publish",
      topic: base,
      payload: JSON.stringify(body),
      qos: 1,
      retain: false,
      dup: false,
      messageId,
    });
    const puback = await client.take("puback", (p) => p.messageId === messageId);
    expect(puback.messageId).toBe(messageId);

    const accepted = await client.nextPublish(`${base}/accepted`);
    expect(accepted.qos).toBe(1);
    const doc = JSON.parse(accepted.payload.toString()) as Record<string, unknown>;
    expect(doc).toMatchObject({
      state: { reported: { temp: 21.5 } },
      version: 1,
      clientToken: "raw-token-1",
    });
    expect(typeof doc.timestamp).toBe("number");
    // Nothing was rejected.
    await client.ping();
    expect(client.drainPublishes().map((p) => p.topic)).not.toContain(`${base}/rejected`);
    await client.disconnect();
  });

  it("does not send retained $umbra presence to a # subscriber [MQTT-4.7.2-1], but to a $umbra filter", async () => {
    // A client whose id is a thing name makes the node retain `$umbra/things/{id}/presence`.
    const { client: thing } = await connect(node.mqttPort, { clientId: "raw-presence-1" });
    const presence = "$umbra/things/raw-presence-1/presence";
    const { client: explicit } = await connect(node.mqttPort, { clientId: "" });
    await explicit.subscribe([{ topic: "$umbra/things/+/presence", qos: 1 }]);
    const p = await explicit.take("publish", (m) => m.topic === presence && m.retain);
    expect(JSON.parse(p.payload.toString())).toMatchObject({ connected: true });

    const { client: pub } = await connect(node.mqttPort, { clientId: "" });
    await pub.publish("raw/plain", "kept", { qos: 1, retain: true });
    const { client: all } = await connect(node.mqttPort, { clientId: "" });
    await all.subscribe([
      { topic: "#", qos: 1 },
      { topic: "+/things/+/presence", qos: 1 },
    ]);
    // The retained plain message proves retained delivery ran; no $ topic may come with it.
    await all.take("publish", (m) => m.topic === "raw/plain");
    await all.ping();
    await new Promise((r) => setTimeout(r, 100));
    expect(all.drainPublishes().map((m) => m.topic)).toEqual([]);
    await pub.publish("raw/plain", "", { qos: 1, retain: true });
    await Promise.all([thing, explicit, pub, all].map((c) => c.disconnect()));
  });

  it("answers a malformed shadow update on /rejected with 400 and keeps the connection", async () => {
    const { client } = await connect(node.mqttPort, { clientId: "raw-thing-2" });
    const base = "$aws/things/raw-thing-2/shadow/update";
    await client.subscribe([{ topic: `${base}/rejected`, qos: 1 }]);
    await client.publish(base, "{not json", { qos: 1 });
    const rejected = JSON.parse((await client.nextPublish(`${base}/rejected`)).payload.toString());
    expect(rejected.code).toBe(400);
    await client.ping();
    await client.disconnect();
  });
});
