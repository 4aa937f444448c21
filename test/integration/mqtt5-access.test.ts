import type { IClientOptions } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestPki, type TestPki } from "../helpers/certs.ts";
import { subscribeGranted } from "../helpers/connect-attempt.ts";
import { connectClient } from "../helpers/mqtt.ts";
import { connect5, Received, refusal5, sleep } from "../helpers/mqtt5.ts";
import { startTestNode, type TestNode } from "../helpers/node.ts";

/**
 * MQTT 5 beside 3.1.1 with authentication on: every listener, CONNACK reason codes, 0x87 for refused
 * subscriptions and publishes (the client stays connected), and shadow requests answered on their
 * Response Topic with their Correlation Data.
 */
const DEV = "m5-dev-1";
const OTHER = "m5-dev-2";
let pki: TestPki;
let node: TestNode;
let pw = "";

beforeAll(async () => {
  pki = createTestPki();
  node = await startTestNode({
    allowAnonymous: false,
    tlsPort: 0,
    wsPort: 0,
    wssPort: 0,
    tlsCert: pki.server.cert,
    tlsKey: pki.server.key,
    tlsCa: pki.ca.cert,
  });
  pw = node.identities.add(DEV, "device", DEV);
  node.identities.add(OTHER, "device", OTHER);
});
afterAll(async () => {
  await node?.stop();
  pki?.remove();
});

const login = (extra: IClientOptions = {}): IClientOptions => ({
  username: DEV,
  password: pw,
  clientId: DEV,
  ...extra,
});

describe("MQTT 5 on every listener", () => {
  it("accepts MQTT 5 and 3.1.1 devices on TCP, TLS, WebSocket and secure WebSocket", async () => {
    const urls = ["mqtt", "mqtts", "ws", "wss"].map((k) => node.urls[k] ?? "");
    expect(urls.every((u) => u !== "")).toBe(true);
    for (const url of urls) {
      const tls = { ca: pki.read(pki.ca.cert) };
      const { client, connack } = await connect5(url, login({ ...tls, clientId: `${DEV}` }));
      expect(connack.reasonCode ?? 0, url).toBe(0);
      expect(connack.properties?.topicAliasMaximum, url).toBeGreaterThan(0);
      await client.endAsync();
      const v311 = await connectClient(url, login(tls));
      await v311.endAsync();
    }
  });

  it("refuses bad credentials with MQTT 5 reason codes (0x86, 0x87)", async () => {
    expect(await refusal5(node.urls.mqtt ?? "", login({ password: "wrong" }))).toBe(0x86);
    expect(await refusal5(node.urls.mqtt ?? "", { clientId: "nobody" })).toBe(0x87);
  });
});

describe("MQTT 5 reason codes for what the ACL refuses", () => {
  it("answers a refused subscription with 0x87 and a refused QoS 1 publish with PUBACK 0x87; the client stays", async () => {
    const { client } = await connect5(node.urls.mqtt ?? "", login());
    try {
      expect(await subscribeGranted(client, `$aws/things/${OTHER}/shadow/update/accepted`)).toEqual([0x87]);

      const refused = await client.publishAsync(`things/${OTHER}/telemetry`, "{}", { qos: 1 }).then(
        () => 0,
        (err: { code?: number }) => err.code ?? -1,
      );
      expect(refused).toBe(0x87);

      // Still connected and served: its own topics work.
      const own = await client.subscribeAsync(`$aws/things/${DEV}/shadow/update/accepted`, { qos: 1 });
      expect(own.map((g) => g.qos)).toEqual([1]);
      await client.publishAsync(`things/${DEV}/telemetry`, JSON.stringify({ w: 1 }), { qos: 1 });
      expect(client.connected).toBe(true);
    } finally {
      await client.endAsync();
    }
  });

  it("a refused publish reaches no subscriber", async () => {
    const ops = node.identities.add("m5-ops", "operator", "*");
    const { client: watcher } = await connect5(node.urls.mqtt ?? "", {
      username: "m5-ops",
      password: ops,
      clientId: "m5-ops",
    });
    const seen = new Received(watcher);
    await watcher.subscribeAsync(`things/${OTHER}/telemetry`, { qos: 1 });
    const { client } = await connect5(node.urls.mqtt ?? "", login({ clientId: `${DEV}-b` }));
    await client.publishAsync(`things/${OTHER}/telemetry`, "{}", { qos: 1 }).catch(() => undefined);
    await client.publishAsync(`things/${OTHER}/telemetry`, "{}", { qos: 0 });
    await sleep(300);
    expect(seen.packets).toEqual([]);
    await client.endAsync();
    await watcher.endAsync();
  });
});

describe("MQTT 5 request/response for shadow requests", () => {
  it("answers a shadow request on its Response Topic with its Correlation Data", async () => {
    const { client } = await connect5(node.urls.mqtt ?? "", login({ clientId: `${DEV}-rr` }));
    try {
      const inbox = new Received(client);
      const responseTopic = `things/${DEV}/replies/1`;
      expect((await client.subscribeAsync(responseTopic, { qos: 1 })).map((g) => g.qos)).toEqual([1]);
      const correlationData = Buffer.from("req-42");
      await client.publishAsync(
        `$aws/things/${DEV}/shadow/update`,
        JSON.stringify({ state: { reported: { rr: 1 } }, clientToken: "rr-1" }),
        { qos: 1, properties: { responseTopic, correlationData } },
      );
      const [reply] = await inbox.wait(responseTopic);
      expect(reply?.properties?.correlationData?.toString()).toBe("req-42");
      expect(reply?.properties?.userProperties).toMatchObject({
        "shadow-topic": `$aws/things/${DEV}/shadow/update/accepted`,
      });
      expect(JSON.parse(reply?.payload.toString() ?? "")).toMatchObject({
        state: { reported: { rr: 1 } },
        clientToken: "rr-1",
      });

      // A rejected request is answered there too, with the AWS error body.
      await client.publishAsync(`$aws/things/${DEV}/shadow/update`, "not json", {
        qos: 1,
        properties: { responseTopic, correlationData: Buffer.from("req-43") },
      });
      const [, rejected] = await inbox.wait(responseTopic, 2);
      expect(rejected?.properties?.correlationData?.toString()).toBe("req-43");
      expect(rejected?.properties?.userProperties).toMatchObject({
        "shadow-topic": `$aws/things/${DEV}/shadow/update/rejected`,
      });
      expect(JSON.parse(rejected?.payload.toString() ?? "")).toMatchObject({ code: 400 });
    } finally {
      await client.endAsync();
    }
  });

  it("never publishes a response where the requester may not publish", async () => {
    const opsPw = node.identities.add("m5-ops-2", "operator", "*");
    const { client: victim } = await connect5(node.urls.mqtt ?? "", {
      username: "m5-ops-2",
      password: opsPw,
      clientId: "m5-ops-2",
    });
    const seen = new Received(victim);
    const foreign = `things/${OTHER}/telemetry`;
    await victim.subscribeAsync(foreign, { qos: 1 });
    const { client } = await connect5(node.urls.mqtt ?? "", login({ clientId: `${DEV}-rr2` }));
    const mine = new Received(client);
    await client.subscribeAsync(`$aws/things/${DEV}/shadow/get/accepted`, { qos: 1 });
    await client.publishAsync(`$aws/things/${DEV}/shadow/get`, JSON.stringify({ clientToken: "g" }), {
      qos: 1,
      properties: { responseTopic: foreign, correlationData: Buffer.from("x") },
    });
    // The standard reply still comes; the foreign topic gets nothing.
    await mine.wait(`$aws/things/${DEV}/shadow/get/accepted`);
    await sleep(300);
    expect(seen.packets).toEqual([]);
    await client.endAsync();
    await victim.endAsync();
  });
});
