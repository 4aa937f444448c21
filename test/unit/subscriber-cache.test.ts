import { createServer, type Server } from "node:net";
import { Aedes } from "aedes";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { liveClient, subscriptionDelivery } from "../../broker/mqtt/aedes-seam.ts";
import { SubscriberCache } from "../../broker/mqtt/subscriber-cache.ts";

/** The cache on a real aedes broker (in-memory persistence) with real MQTT clients. */
describe("SubscriberCache", () => {
  let broker: Aedes;
  let server: Server;
  let port = 0;
  const clients: MqttClient[] = [];

  function connect(clientId: string, clean = true): Promise<MqttClient> {
    const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, { clientId, clean, reconnectPeriod: 0 });
    clients.push(client);
    return new Promise((resolve, reject) => {
      client.once("connect", () => resolve(client));
      client.once("error", reject);
    });
  }

  beforeAll(async () => {
    broker = await Aedes.createBroker();
    server = createServer((socket) => broker.handle(socket));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const c of clients) c.end(true);
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("remembers that nobody subscribes, until a client subscribes to a matching filter", async () => {
    const cache = new SubscriberCache(broker);
    expect(await cache.has("sc/a/documents")).toBe(false);
    expect(cache.has("sc/a/documents")).toBe(false); // known now: no lookup, no promise
    const sub = await connect("sc-live");
    await sub.subscribeAsync("sc/+/documents", { qos: 1 });
    expect(await cache.has("sc/a/documents")).toBe(true);
    expect(cache.has("sc/a/documents")).toBe(true);
    // An unrelated topic found empty before the subscription is looked up again, and still empty.
    expect(await cache.has("sc/a/delta")).toBe(false);
  });

  it("sees the node's own subscriptions (broker.subscribe) and offline persistent sessions", async () => {
    const cache = new SubscriberCache(broker);
    expect(await cache.has("sc/own")).toBe(false);
    await new Promise<void>((resolve) => broker.subscribe("sc/own", (_p, cb) => cb(), resolve));
    expect(await cache.has("sc/own")).toBe(true);

    expect(await cache.has("sc/offline")).toBe(false);
    const persistent = await connect("sc-persistent", false);
    await persistent.subscribeAsync("sc/offline", { qos: 1 });
    await persistent.endAsync();
    // Gone from the live matcher, still wanted: aedes queues it for the session.
    for (let i = 0; i < 200 && broker.connectedClients > 1; i++) await new Promise((r) => setTimeout(r, 10));
    const fresh = new SubscriberCache(broker);
    expect(await fresh.has("sc/offline")).toBe(true);
    expect(await cache.has("sc/offline")).toBe(true);
  });

  it("names the only subscription that wants a topic, and stops once anyone else may want it", async () => {
    const cache = new SubscriberCache(broker);
    expect(await cache.sole("so/a/accepted")).toBeNull(); // nobody
    const device = await connect("so-device");
    await device.subscribeAsync("so/a/accepted", { qos: 1 });
    const own = subscriptionDelivery(liveClient(broker, "so-device") as never, "so/a/accepted");
    expect(own).toBeTypeOf("function");
    expect(await cache.sole("so/a/accepted")).toBe(own);
    expect(cache.sole("so/a/accepted")).toBe(own); // known now: no lookup, no promise
    // A second subscriber (a wildcard) anywhere: the reply is for both, so no sole subscriber.
    const watcher = await connect("so-watcher");
    await watcher.subscribeAsync("so/+/accepted", { qos: 1 });
    expect(await cache.sole("so/a/accepted")).toBeNull();
    await watcher.unsubscribeAsync("so/+/accepted");
    expect(await cache.sole("so/a/accepted")).toBe(own);
    // An offline persistent session that wants it.
    const persistent = await connect("so-persistent", false);
    await persistent.subscribeAsync("so/a/accepted", { qos: 1 });
    await persistent.endAsync();
    for (let i = 0; i < 200 && liveClient(broker, "so-persistent"); i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(await cache.sole("so/a/accepted")).toBeNull();
  });
});
