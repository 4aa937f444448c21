import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_SECURITY } from "../../shared/config.ts";
import { loginAs } from "../helpers/acl-clients.ts";
import { startTestNode, type TestNode, tempDir } from "../helpers/node.ts";

/**
 * Telemetry end to end on a real node with authentication: devices publish over MQTT (both topic
 * forms), the ACL keeps others out, HTTP answers raw and rolled-up queries, the summary reaches
 * `reported` rate-bounded, and a restart keeps the data.
 */

const SUMMARY = { watts: { path: "power.watts", minIntervalSeconds: 1 } };
const dataDir = tempDir("umbra-tel-int-");
const start = () =>
  startTestNode({
    dataDir,
    allowAnonymous: false,
    security: { ...DEFAULT_SECURITY, requestRate: 1_000_000, requestBurst: 1_000_000 },
    telemetrySummary: SUMMARY,
  });

let node: TestNode;
const tokens: Record<string, string> = {};
const passwords: Record<string, string> = {};
const clients: MqttClient[] = [];
const T = Date.now();

/** The fields of the answers this test reads. */
interface Body {
  version?: number;
  message?: string;
  tier?: string;
  metrics?: Record<string, { value: number; ts: number }>;
  series?: { metric: string; points: unknown[] }[];
  state?: { reported?: { power?: { watts?: number } } };
}

async function api(path: string, token = tokens.operator as string): Promise<{ status: number; body: Body }> {
  const res = await fetch(`${node.httpUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: await res.json() };
}

/** Polls until `check` passes (bounded), for data that arrives through the batched writer. */
async function eventually<T>(fn: () => Promise<T>, check: (v: T) => boolean, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (check(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function counter(name: string): Promise<Record<string, number>> {
  const metric = (await node.metrics.getMetricsAsJSON()).find((m) => m.name === name);
  const out: Record<string, number> = {};
  for (const v of (metric?.values ?? []) as { value: number; labels: Record<string, string> }[])
    out[v.labels.reason ?? "total"] = v.value;
  return out;
}

beforeAll(async () => {
  node = await start();
  for (const [name, role, things] of [
    ["dev-1", "device", "dev-1"],
    ["dev-2", "device", "dev-2"],
    ["gw-1", "bridge", "pdu-*"],
    ["op-1", "operator", "*"],
  ] as const) {
    passwords[name] = node.identities.add(name, role, things);
  }
  for (const role of ["operator", "viewer", "bridge", "site"] as const) {
    tokens[role] = node.identities.createToken(`${role}-t`, role, role === "bridge" ? "pdu-*" : "*").token;
  }
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await node?.stop();
});

describe("telemetry", () => {
  it("stores what a device and a bridge publish, and nothing from others", async () => {
    const dev1 = await loginAs(node.mqttUrl, "dev-1", passwords["dev-1"] as string);
    const dev2 = await loginAs(node.mqttUrl, "dev-2", passwords["dev-2"] as string);
    const gw = await loginAs(node.mqttUrl, "gw-1", passwords["gw-1"] as string);
    const op = await loginAs(node.mqttUrl, "op-1", passwords["op-1"] as string);
    clients.push(dev1, dev2, gw, op);
    // History: 12 samples over the last 10 minutes with explicit timestamps (ms and ISO).
    for (let i = 0; i < 12; i++) {
      const ts = T - 10 * 60_000 + i * 50_000;
      const stamp = i % 2 === 0 ? ts : new Date(ts).toISOString();
      await dev1.publishAsync(
        "things/dev-1/telemetry",
        JSON.stringify({ ts: stamp, temp: { inlet: 20 + i } }),
        { qos: 1 },
      );
    }
    // Refused: another device's thing, an operator, then a bad payload (acknowledged, not stored).
    await dev2.publishAsync("things/dev-1/telemetry", '{"watts":666}', { qos: 1 });
    await op.publishAsync("things/dev-1/telemetry/watts", "777", { qos: 1 });
    await dev1.publishAsync("things/dev-1/telemetry", "not json", { qos: 1 });
    // 20,000 levels of nesting (120 kB): refused like any bad payload, not a stack overflow that ends the node.
    await dev1.publishAsync("things/dev-1/telemetry", `${'{"a":'.repeat(20_000)}1${"}".repeat(20_000)}`, {
      qos: 1,
    });
    await gw.publishAsync("things/pdu-7/telemetry", '{"outlets":{"1":{"on":true}},"amps":3.5}', { qos: 1 });
    await dev1.publishAsync("things/dev-1/telemetry/volts", "230.5", { qos: 1 });
    await dev1.publishAsync("things/dev-1/telemetry", '{"watts":100,"ok":true,"label":"x"}', { qos: 1 });

    const latest = await eventually(
      () => api("/things/dev-1/telemetry/latest"),
      (r) => r.body.metrics?.ok !== undefined,
    );
    expect(latest.status).toBe(200);
    expect(Object.keys(latest.body.metrics!).sort()).toEqual(["ok", "temp/inlet", "volts", "watts"]);
    expect(latest.body.metrics?.watts?.value).toBe(100);
    expect(latest.body.metrics?.volts?.value).toBe(230.5);
    expect(latest.body.metrics!["temp/inlet"]).toEqual({ value: 31, ts: T - 10 * 60_000 + 11 * 50_000 });
    const pdu = await api("/things/pdu-7/telemetry/latest", tokens.bridge);
    expect(pdu.status).toBe(200);
    expect(pdu.body.metrics?.["outlets/1/on"]?.value).toBe(1);
    expect(pdu.body.metrics?.amps?.value).toBe(3.5);
    expect((await api("/things/dev-2/telemetry/latest")).body.metrics).toEqual({});
    // Only the bad payloads count: the ACL rerouted the other device's and the operator's publishes first.
    expect(await counter("umbra_telemetry_rejected_total")).toEqual({ payload: 2 });
    expect((await counter("umbra_telemetry_samples_total")).total).toBe(12 + 2 + 1 + 2);
  });

  it("answers raw and rolled-up queries, and refuses bad parameters and other readers", async () => {
    const raw = await api(`/things/dev-1/telemetry?metric=temp/inlet&from=-15m`);
    expect(raw.status).toBe(200);
    expect(raw.body.tier).toBe("raw");
    const points = raw.body.series![0]!.points as [number, number][];
    expect(points.map((p) => p[1])).toEqual(Array.from({ length: 12 }, (_, i) => 20 + i));

    const rolled = await api(`/things/dev-1/telemetry?metric=temp/inlet&from=-15m&step=1m`, tokens.viewer);
    expect(rolled.status).toBe(200);
    expect(rolled.body.tier).toBe("1m");
    const buckets = rolled.body.series![0]!.points as {
      count: number;
      min: number;
      max: number;
      last: number;
    }[];
    expect(buckets.reduce((n, b) => n + b.count, 0)).toBe(12);
    expect(Math.min(...buckets.map((b) => b.min))).toBe(20);
    expect(Math.max(...buckets.map((b) => b.max))).toBe(31);
    const hourly = await api(`/things/dev-1/telemetry?metric=temp/inlet&from=-1d&step=1d`);
    expect(
      (hourly.body.series![0]!.points as { count: number }[]).reduce(
        (n: number, b: { count: number }) => n + b.count,
        0,
      ),
    ).toBe(12);

    const all = await api(`/things/dev-1/telemetry?from=-1h`);
    expect(all.body.series!.map((s: { metric: string }) => s.metric).sort()).toEqual([
      "ok",
      "temp/inlet",
      "volts",
      "watts",
    ]);

    const bad = await api(`/things/dev-1/telemetry?from=yesterday`);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^from must be/);
    expect((await api(`/things/dev-1/telemetry?step=banana`)).status).toBe(400);
    expect((await api(`/things/dev-1/telemetry`, tokens.site)).status).toBe(403);
    expect((await api(`/things/dev-1/telemetry/latest`, tokens.bridge)).status).toBe(403);
    expect((await api(`/things/dev-1/telemetry/latest`, "nonsense")).status).toBe(401);
  });

  it("copies configured metrics into reported, at most once per interval", async () => {
    const dev1 = clients[0] as MqttClient;
    const before = (await api("/things/dev-1/shadow")).body.version ?? 0;
    const began = Date.now();
    for (let i = 1; i <= 25; i++) {
      await dev1.publishAsync("things/dev-1/telemetry/watts", String(200 + i), { qos: 1 });
      await new Promise((r) => setTimeout(r, 100));
    }
    const shadow = await eventually(
      () => api("/things/dev-1/shadow"),
      (r) => r.body.state?.reported?.power?.watts === 225,
      3000,
    );
    const elapsedS = (Date.now() - began) / 1000;
    expect(shadow.body.state?.reported?.power?.watts).toBe(225);
    const updates = (shadow.body.version ?? 0) - before;
    // 25 samples over ~2.5 s with a 1 s minimum interval: a handful of updates, never one per sample.
    expect(updates).toBeGreaterThanOrEqual(2);
    expect(updates).toBeLessThanOrEqual(Math.ceil(elapsedS) + 2);
  });

  it("keeps stored telemetry and latest values across a restart", async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    const before = await api(`/things/dev-1/telemetry?metric=temp/inlet&from=-15m&step=1m`);
    await node.stop({ keepData: true });
    node = await start();
    const after = await api(`/things/dev-1/telemetry?metric=temp/inlet&from=-15m&step=1m`);
    expect(after.body.series).toEqual(before.body.series);
    const latest = await api("/things/dev-1/telemetry/latest");
    expect(latest.body.metrics?.watts?.value).toBe(225);
    expect(latest.body.metrics?.volts?.value).toBe(230.5);
  });
});
