import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestNode, type TestNode } from "../helpers/node.ts";

/**
 * How a shadow reply reaches its subscribers (shadow-adapter.ts `deliverOwn`): straight to the
 * requester when its own subscription is the only one anywhere that wants the reply, through aedes'
 * publish (seen as the broker's `publish` event) as soon as anyone else may want it. Either way every
 * subscriber gets it, with its subscription's options.
 */
describe("shadow reply routing", () => {
  let node: TestNode;
  const clients: MqttClient[] = [];
  /** Topics the node published through aedes (the broker's `publish` event for its own messages). */
  const routed: string[] = [];

  async function connect(clientId: string, opts: IClientOptions = {}): Promise<MqttClient> {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${node.mqttPort}`, {
      clientId,
      reconnectPeriod: 0,
      ...opts,
    });
    clients.push(client);
    return client;
  }

  /**
   * How many times `topic` was routed, once at least `atLeast` were (aedes' `publish` event comes after
   * the delivery's write, so a client may see the message first; waited for up to 10 s) and a further
   * 100 ms passed without more.
   */
  async function routedCount(topic: string, atLeast: number): Promise<number> {
    const count = () => routed.filter((t) => t === topic).length;
    for (let i = 0; i < 400 && count() < atLeast; i++) await new Promise((r) => setTimeout(r, 25));
    await new Promise((r) => setTimeout(r, 100));
    return count();
  }

  /** Publishes an update and waits for its accepted reply on `client`. */
  async function update(client: MqttClient, thing: string, n: number): Promise<void> {
    const topic = `$aws/things/${thing}/shadow/update/accepted`;
    const got = nextMessage(client, topic, `t${n}`);
    await client.publishAsync(
      `$aws/things/${thing}/shadow/update`,
      JSON.stringify({ state: { reported: { n } }, clientToken: `t${n}` }),
      { qos: 1 },
    );
    await got;
  }

  beforeAll(async () => {
    node = await startTestNode();
    node.broker.on("publish", (packet, client) => {
      if (!client) routed.push(packet.topic);
    });
  });
  afterAll(async () => {
    for (const c of clients) c.end(true);
    await node.stop();
  });

  it("answers a device subscribed to its own reply topic directly, and routes once anyone else listens", async () => {
    const accepted = "$aws/things/route-a/shadow/update/accepted";
    const device = await connect("route-a");
    await device.subscribeAsync(accepted, { qos: 1 });
    routed.length = 0;
    await update(device, "route-a", 1);
    await update(device, "route-a", 2);
    expect(await routedCount(accepted, 0)).toBe(0);

    // An operator watching every shadow's replies: both get the reply, through aedes.
    const watcher = await connect("route-watch");
    await watcher.subscribeAsync("$aws/things/+/shadow/update/accepted", { qos: 1 });
    const seen = nextMessage(watcher, accepted, "t3");
    await update(device, "route-a", 3);
    await seen;
    expect(await routedCount(accepted, 1)).toBe(1);

    // Gone again: direct again.
    await watcher.unsubscribeAsync("$aws/things/+/shadow/update/accepted");
    await update(device, "route-a", 4);
    expect(await routedCount(accepted, 1)).toBe(1);
  });

  it("routes the reply of a device with a persistent session through aedes (its session queue)", async () => {
    const accepted = "$aws/things/route-p/shadow/update/accepted";
    const device = await connect("route-p", { clean: false });
    await device.subscribeAsync(accepted, { qos: 1 });
    routed.length = 0;
    await update(device, "route-p", 1);
    expect(await routedCount(accepted, 1)).toBe(1);
  });

  it("keeps the subscription's options on a direct reply (MQTT 5 subscription identifier)", async () => {
    const accepted = "$aws/things/route-5/shadow/update/accepted";
    const device = await connect("route-5", { protocolVersion: 5 });
    await device.subscribeAsync(accepted, { qos: 1, properties: { subscriptionIdentifier: 42 } });
    routed.length = 0;
    const got = new Promise<mqtt.IPublishPacket>((resolve) =>
      device.on("message", (topic, _payload, packet) => {
        if (topic === accepted) resolve(packet);
      }),
    );
    await device.publishAsync(
      "$aws/things/route-5/shadow/update",
      JSON.stringify({ state: { reported: { n: 1 } } }),
      { qos: 1 },
    );
    const packet = await got;
    expect(packet.properties?.subscriptionIdentifier).toBe(42);
    expect(packet.qos).toBe(1);
    expect(await routedCount(accepted, 0)).toBe(0);
  });
});

/** The next message on `topic` whose payload contains `token`, within 10 s. */
function nextMessage(client: MqttClient, topic: string, token: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${token} on ${topic}`)), 10_000);
    const onMessage = (t: string, payload: Buffer) => {
      if (t !== topic || !payload.toString().includes(`"${token}"`)) return;
      clearTimeout(timer);
      client.off("message", onMessage);
      resolve();
    };
    client.on("message", onMessage);
  });
}
