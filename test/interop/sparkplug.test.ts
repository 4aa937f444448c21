import type { MqttClient } from "mqtt";
import sparkplugClient from "sparkplug-client";
import sparkplugPayload from "sparkplug-payload";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectClient, Inbox } from "../helpers/mqtt.ts";
import { startTestNode, type TestNode } from "../helpers/node.ts";

/**
 * The node's Sparkplug B host application against the Eclipse Tahu edge client from npm
 * (`sparkplug-client`, its own mqtt 4 connection) acting as edge node `plant1/gw1` with devices
 * `dev1` and `dev2`, logged in as a bridge identity granted `plant1:gw1*`.
 */

type SpClient = ReturnType<typeof sparkplugClient.newClient>;
type Payload = { metrics?: { name?: string; alias?: unknown; type?: string; value?: unknown }[] };
type Json = Record<string, unknown>;

const HOST_ID = "umbra-test";
const STATE = `spBv1.0/STATE/${HOST_ID}`;
let node: TestNode;
let token = "";
let edge: SpClient;
let viewer: MqttClient;
let viewerInbox: Inbox;
const ncmds: Payload[] = [];
const dcmds: { device: string; payload: Payload }[] = [];

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  ms = 5000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function api(path: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${node.httpUrl}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

async function shadow(thing: string): Promise<Json | undefined> {
  const r = await api(`/things/${encodeURIComponent(thing)}/shadow`);
  return r.status === 200 ? r.body : undefined;
}

const reportedOf = (doc: Json | undefined) => ((doc?.state as Json | undefined)?.reported ?? {}) as Json;
const metricsOf = (doc: Json | undefined) => (reportedOf(doc).metrics ?? {}) as Json;

function births(): void {
  edge.publishNodeBirth({
    timestamp: Date.now(),
    metrics: [
      { name: "Node Control/Rebirth", type: "Boolean", value: false },
      { name: "firmware", type: "String", value: "1.2.3" },
      { name: "uptime", alias: 1, type: "UInt64", value: "18446744073709551615" },
    ],
  } as never);
  edge.publishDeviceBirth("dev1", {
    timestamp: Date.now(),
    metrics: [
      {
        name: "temperature",
        alias: 10,
        type: "Double",
        value: 20.5,
        properties: { engUnit: { type: "String", value: "C" } },
      },
      { name: "setpoint", alias: 12, type: "Int32", value: 10 },
      { name: "gain", alias: 14, type: "Float", value: 0.5 },
      { name: "Outputs/LED", alias: 13, type: "Boolean", value: false },
    ],
  } as never);
  edge.publishDeviceBirth("dev2", {
    timestamp: Date.now(),
    metrics: [{ name: "status", alias: 20, type: "String", value: "idle" }],
  } as never);
}

beforeAll(async () => {
  node = await startTestNode({ allowAnonymous: false, sparkplugReportedIntervalMs: 200 });
  token = node.identities.createToken("ops", "operator", "plant1:*").token;
  const password = node.identities.add("gw1-bridge", "bridge", "plant1:gw1*");
  const viewerPassword = node.identities.add("watcher", "viewer", "*");
  viewer = await connectClient(node.mqttUrl, { username: "watcher", password: viewerPassword });
  viewerInbox = new Inbox(viewer);
  await viewer.subscribeAsync(STATE, { qos: 1 });
  edge = sparkplugClient.newClient({
    serverUrl: node.mqttUrl,
    username: "gw1-bridge",
    password,
    clientId: "gw1",
    groupId: "plant1",
    edgeNode: "gw1",
    version: "spBv1.0",
    publishDeath: true,
    mqttOptions: { reconnectPeriod: 0 },
  } as never) as SpClient;
  (edge as unknown as NodeJS.EventEmitter).on("ncmd", (p: Payload) => {
    ncmds.push(p);
    // A real edge node answers a rebirth request with its births.
    if (p.metrics?.some((m) => m.name === "Node Control/Rebirth" && m.value === true)) births();
  });
  (edge as unknown as NodeJS.EventEmitter).on("dcmd", (device: string, payload: Payload) =>
    dcmds.push({ device, payload }),
  );
  await new Promise<void>((resolve, reject) => {
    edge.once("birth", () => resolve());
    edge.once("error", reject);
  });
  births();
}, 10_000);

afterAll(async () => {
  await viewer?.endAsync(true);
  await node?.stop();
});

describe("Sparkplug B host application with the Tahu edge client", () => {
  it("publishes its STATE retained and online", async () => {
    const late = await connectClient(node.mqttUrl, {
      username: "late-watcher",
      password: node.identities.add("late-watcher", "viewer", "*"),
    });
    const retained = new Promise<{ payload: Buffer; retain: boolean }>((resolve) =>
      late.on("message", (_t, payload, packet) => resolve({ payload, retain: packet.retain })),
    );
    await late.subscribeAsync(STATE, { qos: 1 });
    const msg = await retained;
    await late.endAsync(true);
    expect(msg.retain).toBe(true);
    const state = JSON.parse(msg.payload.toString());
    expect(state.online).toBe(true);
    expect(typeof state.timestamp).toBe("number");
  });

  it("turns births into things with reported metrics, certificates and presence", async () => {
    const gw = await until("edge node shadow", async () => {
      const doc = await shadow("plant1:gw1");
      return metricsOf(doc).firmware === "1.2.3" ? doc : undefined;
    });
    expect(metricsOf(gw).uptime).toBe("18446744073709551615"); // unsafe UInt64 kept exact, as a string
    const sp = reportedOf(gw).sparkplug as Json;
    expect(sp).toMatchObject({ group: "plant1", edge: "gw1", bdSeq: "0" });
    expect((sp.metrics as Json).uptime).toEqual({ datatype: "UInt64", alias: 1 });
    expect(gw?.connection).toMatchObject({ connected: true });

    const dev1 = await until("dev1 shadow", async () => {
      const doc = await shadow("plant1:gw1:dev1");
      return metricsOf(doc).setpoint === 10 ? doc : undefined;
    });
    expect(metricsOf(dev1)).toMatchObject({ temperature: 20.5, "Outputs/LED": false });
    expect(((reportedOf(dev1).sparkplug as Json).metrics as Json).temperature).toEqual({
      datatype: "Double",
      alias: 10,
      properties: { engUnit: "C" },
    });
    expect((reportedOf(dev1).sparkplug as Json).device).toBe("dev1");
    await until("dev2 shadow", async () => ((await shadow("plant1:gw1:dev2")) ? true : undefined));
  });

  it("sends numeric DATA (by alias) to telemetry and strings to reported", async () => {
    edge.publishDeviceData("dev1", {
      timestamp: Date.now(),
      metrics: [{ alias: 10, type: "Double", value: 21.75 }],
    } as never);
    edge.publishDeviceData("dev2", {
      timestamp: Date.now(),
      metrics: [{ alias: 20, type: "String", value: "running" }],
    } as never);
    await until("dev2 status in reported", async () =>
      metricsOf(await shadow("plant1:gw1:dev2")).status === "running" ? true : undefined,
    );
    expect(node.extensions.has("telemetry")).toBe(true);
    const latest = await until("dev1 temperature in telemetry", async () => {
      const r = await api(`/things/${encodeURIComponent("plant1:gw1:dev1")}/telemetry/latest`);
      const t = (r.body.metrics as Json | undefined)?.temperature as Json | undefined;
      return t?.value === 21.75 ? t : undefined;
    });
    expect(latest.value).toBe(21.75);
  });

  it("asks for a rebirth (NCMD Node Control/Rebirth) on a skipped seq", async () => {
    const before = ncmds.length;
    (edge as unknown as { seq: number }).seq += 1; // one message "lost"
    edge.publishDeviceData("dev1", {
      timestamp: Date.now(),
      metrics: [{ alias: 10, type: "Double", value: 22 }],
    } as never);
    const cmd = await until("rebirth NCMD", () => ncmds.slice(before).find((p) => p.metrics?.length));
    expect(cmd.metrics?.[0]).toMatchObject({ name: "Node Control/Rebirth", type: "Boolean", value: true });
    // The edge answered with fresh births; the host is in sequence again.
    await until("rebirth recorded", async () => {
      const doc = await shadow("plant1:gw1:dev2");
      return metricsOf(doc).status === "idle" ? true : undefined;
    });
  });

  it("turns desired over HTTP into a DCMD with alias and datatype; the next DDATA closes the delta", async () => {
    const before = dcmds.length;
    const set = await api(`/things/${encodeURIComponent("plant1:gw1:dev1")}/shadow`, {
      state: { desired: { metrics: { setpoint: 42 } } },
    });
    expect(set.status).toBe(200);
    const cmd = await until("DCMD", () => dcmds.slice(before)[0]);
    expect(cmd.device).toBe("dev1");
    const m = cmd.payload.metrics?.[0];
    expect(m).toMatchObject({ name: "setpoint", type: "Int32", value: 42 });
    expect(String(m?.alias)).toBe("12");
    const pending = await shadow("plant1:gw1:dev1");
    expect((pending?.state as Json | undefined)?.delta).toEqual({ metrics: { setpoint: 42 } });

    edge.publishDeviceData("dev1", {
      timestamp: Date.now(),
      metrics: [{ alias: 12, type: "Int32", value: 42 }],
    } as never);
    const closed = await until("delta closed", async () => {
      const doc = await shadow("plant1:gw1:dev1");
      return metricsOf(doc).setpoint === 42 ? doc : undefined;
    });
    expect((closed.state as Json).delta).toBeUndefined();
  });

  it("closes a delta on a Float metric when the device echoes the commanded value (float32 round trip)", async () => {
    const before = dcmds.length;
    const thing = encodeURIComponent("plant1:gw1:dev1");
    expect(
      (await api(`/things/${thing}/shadow`, { state: { desired: { metrics: { gain: 1.1 } } } })).status,
    ).toBe(200);
    const cmd = await until("DCMD", () => dcmds.slice(before)[0]);
    const m = cmd.payload.metrics?.[0];
    expect(m).toMatchObject({ name: "gain", type: "Float" });
    // A device echoes what it received: the float32 nearest 1.1.
    edge.publishDeviceData("dev1", {
      timestamp: Date.now(),
      metrics: [{ alias: 14, type: "Float", value: m?.value }],
    } as never);
    const closed = await until("delta closed", async () => {
      const doc = await shadow("plant1:gw1:dev1");
      return metricsOf(doc).gain !== 0.5 ? doc : undefined;
    });
    expect(metricsOf(closed).gain).toBe(1.1);
    expect((closed.state as Json).delta).toBeUndefined();
  });

  it("ignores births from an identity not granted the edge node", async () => {
    const intruder = await connectClient(node.mqttUrl, {
      username: "intruder",
      password: node.identities.add("intruder", "bridge", "plant2:*"),
    });
    const codec = sparkplugPayload.get("spBv1.0");
    const birth = (value: string) =>
      Buffer.from(
        codec?.encodePayload({ seq: 0, metrics: [{ name: "firmware", type: "String", value }] }) ?? [],
      );
    await expect(intruder.subscribeAsync("spBv1.0/plant1/NCMD/gw1/#")).rejects.toThrow(/Subscribe error/);
    await intruder.publishAsync("spBv1.0/plant1/NBIRTH/gw9", birth("forged"), { qos: 1 });
    await intruder.publishAsync("spBv1.0/plant2/NBIRTH/gwx", birth("own"), { qos: 1 });
    // Same connection, in order: once its own birth landed, the forged one would have too.
    await until("the intruder's own edge node", async () =>
      metricsOf(await shadow("plant2:gwx")).firmware === "own" ? true : undefined,
    );
    expect(await shadow("plant1:gw9")).toBeUndefined();
    await intruder.endAsync(true);
  });

  it("counts births, rebirth requests and commands on /metrics", async () => {
    const res = await fetch(`${node.httpUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    const text = await res.text();
    const count = (event: string) =>
      Number(new RegExp(`umbra_sparkplug_events_total\\{event="${event}"\\} (\\d+)`).exec(text)?.[1]);
    expect(count("birth")).toBeGreaterThanOrEqual(7);
    expect(count("rebirth_request")).toBeGreaterThanOrEqual(1);
    expect(count("command")).toBeGreaterThanOrEqual(2);
    expect(text).toMatch(/umbra_sparkplug_edge_nodes_online 2/);
  });

  it("marks the edge node and its devices offline on NDEATH", async () => {
    edge.stop(); // publishDeath: NDEATH with the birth's bdSeq, then disconnect
    for (const thing of ["plant1:gw1", "plant1:gw1:dev1", "plant1:gw1:dev2"]) {
      await until(`${thing} offline`, async () => {
        const doc = await shadow(thing);
        return (doc?.connection as Json | undefined)?.connected === false ? true : undefined;
      });
    }
  });

  it("publishes STATE offline (same timestamp, retained) when the node closes", async () => {
    const online = await viewerInbox.nextJson(STATE);
    expect(online.online).toBe(true);
    const offline = viewerInbox.nextJson(STATE);
    const closing = node.close();
    const msg = await offline;
    await closing;
    expect(msg).toEqual({ online: false, timestamp: online.timestamp });
  });
});
