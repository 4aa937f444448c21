import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer, type Server } from "node:net";
import { dirname, join } from "node:path";
import { Aedes, type Client } from "aedes";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AEDES_VERSION,
  beforeClientPackets,
  canLimitInflight,
  cleanStartOf,
  composeHooks,
  type HookLayer,
  isGeneratedClientId,
  liveClient,
  liveClients,
  liveMatcher,
  maximumPacketSizeOf,
  type ParsedPacket,
  persistenceOf,
  receiveMaximumOf,
  restoredSubscriptions,
  skipRouting,
  subscribesTo,
} from "../../broker/mqtt/aedes-seam.ts";

/**
 * Every reach past aedes' documented API, checked on a real broker with a real MQTT 5 client, and
 * pinned to the installed aedes version: an upgrade fails here before it fails in the node.
 */

const calls: string[] = [];
const seen: ParsedPacket[] = [];
let broker: Aedes;
let server: Server;
let port = 0;
let serverClient: Client | undefined;

/** Records each hook call as `layer:hook`, then passes it on. */
function recorder(name: string): HookLayer {
  return {
    name,
    preConnect(_c, _p, _d, next) {
      calls.push(`${name}:preConnect`);
      next();
    },
    authenticate(_c, _u, _p, _d, next) {
      calls.push(`${name}:authenticate`);
      next();
    },
    authorizePublish(_c, packet, _d, next) {
      if (packet.topic.startsWith("seam/")) calls.push(`${name}:publish`);
      next();
    },
    authorizeSubscribe(_c, sub, done, next) {
      calls.push(`${name}:subscribe`);
      next(sub, done);
    },
    authorizeForward(_c, packet, next) {
      if (packet.topic.startsWith("seam/")) calls.push(`${name}:forward`);
      return next();
    },
  };
}

function connect(): Promise<MqttClient> {
  const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
    protocolVersion: 5,
    clientId: "seam-1",
    clean: false,
    reconnectPeriod: 0,
    properties: { receiveMaximum: 7, maximumPacketSize: 4096, sessionExpiryInterval: 60 },
  });
  return new Promise((resolve, reject) => {
    client.once("connect", () => resolve(client));
    client.once("error", reject);
  });
}

describe("the aedes seam", () => {
  let client: MqttClient;
  let names: string[];

  beforeAll(async () => {
    broker = await Aedes.createBroker();
    names = composeHooks(broker, [
      recorder("outer"),
      {
        name: "rewrite",
        authorizeSubscribe: (_c, sub, done, next) =>
          next({ ...sub, topic: sub.topic.replace("x/", "seam/") }, done),
      },
      recorder("inner"),
    ]);
    server = createServer((socket) => {
      const c = broker.handle(socket);
      serverClient = c;
      beforeClientPackets(c, (p) => seen.push(p));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as { port: number }).port;
    client = await connect();
  }, 60_000);

  afterAll(async () => {
    client?.end(true);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await new Promise<void>((resolve) => broker.close(() => resolve()));
  });

  it("is written against the installed aedes version", () => {
    const main = createRequire(import.meta.url).resolve("aedes");
    const version = JSON.parse(readFileSync(join(dirname(main), "package.json"), "utf8")).version;
    expect(version).toBe(AEDES_VERSION);
  });

  it("reads a connection's private fields where this aedes keeps them", () => {
    const c = serverClient as Client;
    expect(c).toBeDefined();
    expect(canLimitInflight(c)).toBe(true);
    expect(cleanStartOf(c)).toBe(false);
    expect(receiveMaximumOf(c)).toBe(7);
    expect(maximumPacketSizeOf(c)).toBe(4096);
    expect(liveClient(broker, "seam-1")).toBe(c);
    expect(liveClients(broker)).toContain(c);
    const persistence = persistenceOf<Record<string, unknown>>(broker);
    for (const method of ["createRetainedStreamCombi", "storeRetained", "subscriptionsByTopic"])
      expect(typeof persistence[method], method).toBe("function");
  });

  it("composes the hook layers in list order, each able to change what the next sees", async () => {
    expect(names).toEqual(["outer", "rewrite", "inner"]);
    expect(calls.slice(0, 4)).toEqual([
      "outer:preConnect",
      "inner:preConnect",
      "outer:authenticate",
      "inner:authenticate",
    ]);
    const granted = await client.subscribeAsync("x/+", { qos: 1 });
    expect(granted[0]?.qos).toBe(1);
    // The rewrite layer changed the filter the inner layers and aedes saw: the subscription is seam/+.
    const c = serverClient as Client;
    expect(Object.keys(restoredSubscriptions(c))).toEqual(["seam/+"]);
    expect(subscribesTo(c, "seam/+")).toBe(true);
    expect(subscribesTo(c, "seam/a")).toBe(false); // exact filters only, no matching
    expect(liveMatcher(broker)?.match("seam/a").length).toBeGreaterThan(0);
    await client.publishAsync("seam/a", "1", { qos: 1 });
    // The forward hooks run when aedes hands the message to the subscriber (bounded wait).
    for (let i = 0; i < 200 && !calls.includes("inner:forward"); i++)
      await new Promise((r) => setTimeout(r, 25));
    expect(calls.filter((x) => !x.endsWith("preConnect") && !x.endsWith("authenticate"))).toEqual([
      "outer:subscribe",
      "inner:subscribe",
      "outer:publish",
      "inner:publish",
      "outer:forward",
      "inner:forward",
    ]);
  });

  it("recognises the client id aedes makes up for an empty one", async () => {
    const anon = mqtt.connect(`mqtt://127.0.0.1:${port}`, { clientId: "", clean: true, reconnectPeriod: 0 });
    await new Promise<void>((resolve, reject) => {
      anon.once("connect", () => resolve());
      anon.once("error", reject);
    });
    const made = liveClients(broker).find((c) => c.id !== "seam-1");
    anon.end(true);
    expect(made && isGeneratedClientId(made.id)).toBe(true);
    expect(isGeneratedClientId("seam-1")).toBe(false);
  });

  it("sees a client's packets before aedes handles them", () => {
    expect(seen.map((p) => p.cmd)).toEqual(expect.arrayContaining(["connect", "subscribe", "publish"]));
    const sub = seen.find((p) => p.cmd === "subscribe");
    expect(sub?.subscriptions?.[0]?.topic).toBe("x/+");
  });
});

describe("skipRouting", () => {
  it("finishes a client's publish that `skip` marks with its publish event only, and routes the rest", async () => {
    const b = await Aedes.createBroker();
    expect(skipRouting(b, (packet) => packet.topic.startsWith("skip/"))).toBe(true);
    const srv = createServer((socket) => b.handle(socket));
    await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
    const url = `mqtt://127.0.0.1:${(srv.address() as { port: number }).port}`;
    const watcher = await mqtt.connectAsync(url, { clientId: "watcher", reconnectPeriod: 0 });
    const sender = await mqtt.connectAsync(url, { clientId: "sender", reconnectPeriod: 0 });
    try {
      const received: string[] = [];
      const events: string[] = [];
      watcher.on("message", (topic) => received.push(topic));
      b.on("publish", (packet, client) => {
        if (client) events.push(packet.topic);
      });
      await watcher.subscribeAsync("#", { qos: 1 });
      await sender.publishAsync("skip/a", "1", { qos: 1 }); // acknowledged: aedes' callback was called
      await sender.publishAsync("skip/b", "2", { qos: 0 });
      await sender.publishAsync("route/a", "3", { qos: 1 });
      for (let i = 0; i < 200 && !received.includes("route/a"); i++)
        await new Promise((r) => setTimeout(r, 10));
      expect(received).toEqual(["route/a"]);
      expect(events).toEqual(["skip/a", "skip/b", "route/a"]);
      // The node's own publishes (no client) are always routed.
      await new Promise<void>((resolve) =>
        b.publish(
          { cmd: "publish", topic: "skip/own", payload: Buffer.from("4"), qos: 0, retain: false, dup: false },
          () => resolve(),
        ),
      );
      for (let i = 0; i < 200 && !received.includes("skip/own"); i++)
        await new Promise((r) => setTimeout(r, 10));
      expect(received).toEqual(["route/a", "skip/own"]);
    } finally {
      watcher.end(true);
      sender.end(true);
      await new Promise<void>((resolve) => srv.close(() => resolve()));
      await new Promise<void>((resolve) => b.close(() => resolve()));
    }
  });
});
