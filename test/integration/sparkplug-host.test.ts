import type { MqttClient } from "mqtt";
import sparkplugPayload from "sparkplug-payload";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SparkplugHost } from "../../broker/sparkplug/host.ts";
import type { TelemetryIngest } from "../../shared/telemetry.ts";
import { connectClient, Inbox } from "../helpers/mqtt.ts";
import { startTestNode, type TestNode } from "../helpers/node.ts";

/**
 * The host application's protocol edges, driven by a plain MQTT client speaking raw Sparkplug
 * payloads (the Tahu interop test covers the happy path): rebirth triggers, stale deaths, bad input,
 * STATE defence, command refusal, pending commands after a birth, and the reported rate bound.
 */

const codec = sparkplugPayload.get("spBv1.0");
if (!codec) throw new Error("no spBv1.0 codec");
type M = { name?: string; alias?: number; type: string; value: unknown };
const payload = (seq: number | undefined, metrics: M[]) =>
  Buffer.from(
    codec.encodePayload({ timestamp: Date.now(), ...(seq === undefined ? {} : { seq }), metrics } as never),
  );

let node: TestNode;
let edge: MqttClient;
let inbox: Inbox;
let host: SparkplugHost;

async function until<T>(what: string, probe: () => T | undefined, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const pub = (topic: string, body: Buffer) => edge.publishAsync(topic, body, { qos: 1 });
type Reported = { metrics?: Record<string, unknown>; sparkplug?: unknown };
const reported = (thing: string) => node.service.peek({ thing, shadow: "" }).reported as Reported;
const decodeNext = async (topic: string) => codec.decodePayload(await inbox.next(topic, 3000));

async function nbirth(g: string, e: string, metrics: M[] = [], bdSeq = 1): Promise<void> {
  await pub(
    `spBv1.0/${g}/NBIRTH/${e}`,
    payload(0, [...metrics, { name: "bdSeq", type: "UInt64", value: bdSeq }]),
  );
  await until(`${g}:${e} birth`, () => (reported(`${g}:${e}`).sparkplug ? true : undefined));
}

beforeAll(async () => {
  node = await startTestNode({ sparkplugReportedIntervalMs: 400, sparkplugReportedMetrics: ["mirrored"] });
  host = (node.extensions.get("sparkplug") as unknown as { host: SparkplugHost }).host;
  edge = await connectClient(node.mqttUrl, { clientId: "raw-edge" });
  inbox = new Inbox(edge);
  await edge.subscribeAsync(["spBv1.0/+/NCMD/#", "spBv1.0/+/DCMD/#", "spBv1.0/STATE/#"], { qos: 1 });
});

afterAll(async () => {
  await edge?.endAsync(true);
  await node?.stop();
});

describe("Sparkplug host: rebirth requests", () => {
  it("asks for a rebirth on NDATA before NBIRTH", async () => {
    await pub("spBv1.0/g1/NDATA/e1", payload(5, [{ name: "x", type: "Int32", value: 1 }]));
    const cmd = await decodeNext("spBv1.0/g1/NCMD/e1");
    expect(cmd.metrics?.[0]).toMatchObject({ name: "Node Control/Rebirth", type: "Boolean", value: true });
    expect(node.service.peek({ thing: "g1:e1", shadow: "" }).exists).toBe(false);
  });

  it("asks for a rebirth on an unknown alias (dropping the data) and on DDATA before DBIRTH, once per hold", async () => {
    await nbirth("g2", "e2", [
      { name: "Node Control/Rebirth", alias: 7, type: "Boolean", value: false },
      { name: "mode", alias: 1, type: "String", value: "a" },
    ]);
    await pub("spBv1.0/g2/NDATA/e2", payload(1, [{ alias: 99, type: "String", value: "b" }]));
    const cmd = await decodeNext("spBv1.0/g2/NCMD/e2");
    expect(cmd.metrics?.[0]).toMatchObject({ name: "Node Control/Rebirth", value: true });
    expect(String(cmd.metrics?.[0]?.alias)).toBe("7"); // the birth's alias for the control
    await pub("spBv1.0/g2/DDATA/e2/d", payload(2, [{ name: "y", type: "Int32", value: 1 }]));
    // A known alias afterwards is applied; the second trigger fell inside the hold: no second NCMD.
    await pub("spBv1.0/g2/NDATA/e2", payload(3, [{ alias: 1, type: "String", value: "c" }]));
    await until("mode c", () => (reported("g2:e2").metrics?.mode === "c" ? true : undefined));
    expect(inbox.pending("spBv1.0/g2/NCMD/e2")).toBe(0);
    expect(reported("g2:e2").metrics?.mode).toBe("c");
  });
});

describe("Sparkplug host: deaths and bad input", () => {
  it("ignores an NDEATH whose bdSeq is not the birth's; a matching one ends the session", async () => {
    await nbirth("g3", "e3", [], 4);
    await pub("spBv1.0/g3/DBIRTH/e3/d1", payload(1, [{ name: "t", type: "Double", value: 1 }]));
    await until("device birth", () => (reported("g3:e3:d1").sparkplug ? true : undefined));
    await pub("spBv1.0/g3/NDEATH/e3", payload(undefined, [{ name: "bdSeq", type: "UInt64", value: 3 }]));
    await pub("spBv1.0/g3/NDATA/e3", payload(2, [{ name: "s", type: "String", value: "still-alive" }]));
    await until("data after stale death", () =>
      reported("g3:e3").metrics?.s === "still-alive" ? true : undefined,
    );
    expect(node.presence.get("g3:e3")?.connected).toBe(true);
    await pub("spBv1.0/g3/NDEATH/e3", payload(undefined, [{ name: "bdSeq", type: "UInt64", value: 4 }]));
    await until("offline", () => (node.presence.get("g3:e3")?.connected === false ? true : undefined));
    expect(node.presence.get("g3:e3:d1")?.connected).toBe(false);
  });

  it("disconnects devices a new NBIRTH is not followed by a DBIRTH of, without flapping the reborn ones", async () => {
    await nbirth("g5", "e5", [], 1);
    await pub("spBv1.0/g5/DBIRTH/e5/d1", payload(1, [{ name: "t", type: "Double", value: 1 }]));
    await pub("spBv1.0/g5/DBIRTH/e5/d2", payload(2, [{ name: "t", type: "Double", value: 1 }]));
    await until("devices online", () =>
      node.presence.get("g5:e5:d2")?.connected && node.presence.get("g5:e5:d1")?.connected ? true : undefined,
    );
    const announced: string[] = [];
    const onPublish = (packet: { topic: string; payload: Buffer }) => {
      if (packet.topic.startsWith("$umbra/things/g5:e5:"))
        announced.push(`${packet.topic} ${packet.payload}`);
    };
    const broker = node.broker as unknown as NodeJS.EventEmitter;
    broker.on("publish", onPublish);
    try {
      // The edge node restarts without its NDEATH reaching us (a lost will); d2 is gone from it.
      await pub("spBv1.0/g5/NBIRTH/e5", payload(0, [{ name: "bdSeq", type: "UInt64", value: 2 }]));
      await pub("spBv1.0/g5/DBIRTH/e5/d1", payload(1, [{ name: "t", type: "Double", value: 2 }]));
      await until("d2 offline", () =>
        node.presence.get("g5:e5:d2")?.connected === false ? true : undefined,
      );
      expect(node.presence.get("g5:e5:d1")?.connected).toBe(true);
      expect(announced.filter((a) => a.includes("g5:e5:d1") && a.includes('"connected":false'))).toEqual([]);
    } finally {
      broker.off("publish", onPublish);
    }
  });

  it("survives malformed payloads and ignores ids that cannot name a thing", async () => {
    const before = host.stats.malformed;
    await pub("spBv1.0/g4/NBIRTH/e4", Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]));
    await pub("spBv1.0/g.4/NBIRTH/e4", payload(0, [{ name: "x", type: "Int32", value: 1 }]));
    await nbirth("g4", "ok");
    expect(host.stats.malformed).toBe(before + 1);
    expect(node.service.peek({ thing: "g4:e4", shadow: "" }).exists).toBe(false);
  });

  it("publishes its STATE online again when someone overwrites it with offline", async () => {
    const topic = "spBv1.0/STATE/umbra-test";
    const first = JSON.parse((await inbox.next(topic, 3000)).toString());
    expect(first.online).toBe(true);
    await edge.publishAsync(topic, JSON.stringify({ online: false, timestamp: 1 }), { qos: 1, retain: true });
    expect(JSON.parse((await inbox.next(topic, 3000)).toString()).online).toBe(false); // the spoof itself
    expect(JSON.parse((await inbox.next(topic, 3000)).toString())).toEqual(first);
  });
});

describe("Sparkplug host: commands and reported", () => {
  it("refuses values the datatype cannot take, sends the rest, and resends open deltas after a birth", async () => {
    await nbirth("g5", "e5", [
      { name: "limit", alias: 3, type: "UInt8", value: 1 },
      { name: "label", type: "String", value: "x" },
    ]);
    const res = await node.service.update(
      { thing: "g5:e5", shadow: "" },
      { state: { desired: { metrics: { limit: 300, label: "y" } } } },
    );
    expect(res.ok).toBe(true);
    const cmd = await decodeNext("spBv1.0/g5/NCMD/e5");
    expect(cmd.metrics?.map((m) => [m.name, m.value])).toEqual([["label", "y"]]); // 300 is not a UInt8
    // Offline: the next desired value waits for the birth.
    await pub("spBv1.0/g5/NDEATH/e5", payload(undefined, [{ name: "bdSeq", type: "UInt64", value: 1 }]));
    await until("offline", () => (node.presence.get("g5:e5")?.connected === false ? true : undefined));
    await node.service.update(
      { thing: "g5:e5", shadow: "" },
      { state: { desired: { metrics: { limit: 9 } } } },
    );
    await new Promise((r) => setTimeout(r, 100));
    expect(inbox.pending("spBv1.0/g5/NCMD/e5")).toBe(0);
    await pub(
      "spBv1.0/g5/NBIRTH/e5",
      payload(0, [
        { name: "limit", alias: 3, type: "UInt8", value: 1 },
        { name: "label", type: "String", value: "y" },
        { name: "bdSeq", type: "UInt64", value: 2 },
      ]),
    );
    const resent = await decodeNext("spBv1.0/g5/NCMD/e5");
    expect(resent.metrics?.map((m) => [m.name, m.type, m.value])).toEqual([["limit", "UInt8", 9]]);
  });

  it("bounds reported updates per thing and mirrors only chosen numeric metrics", async () => {
    await nbirth("g6", "e6", [
      { name: "s", type: "String", value: "v0" },
      { name: "n", type: "Int32", value: 0 },
      { name: "mirrored", type: "Int32", value: 0 },
    ]);
    const v0 = node.service.peek({ thing: "g6:e6", shadow: "" }).version;
    for (let i = 1; i <= 30; i++)
      await pub(
        "spBv1.0/g6/NDATA/e6",
        payload(i, [
          { name: "s", type: "String", value: `v${i}` },
          { name: "n", type: "Int32", value: i },
          { name: "mirrored", type: "Int32", value: i },
        ]),
      );
    await until("last value", () => (reported("g6:e6").metrics?.s === "v30" ? true : undefined), 3000);
    const m = reported("g6:e6").metrics ?? {};
    expect(m.mirrored).toBe(30);
    expect(m.n).toBe(0); // numeric, not chosen: birth value; live values are in telemetry
    const writes = node.service.peek({ thing: "g6:e6", shadow: "" }).version - v0;
    expect(writes).toBeGreaterThanOrEqual(1);
    expect(writes).toBeLessThanOrEqual(4);
    const telemetry = node.extensions.get("telemetry") as unknown as TelemetryIngest;
    await until("telemetry of n", () => (telemetry.latest("g6:e6").n?.value === 30 ? true : undefined));
  });
});
