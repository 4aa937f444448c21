import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseBridgeConfig } from "../../firmware-bridge/config.ts";
import { toShadow } from "../../firmware-bridge/convert.ts";
import { DeviceRunner } from "../../firmware-bridge/engine.ts";
import {
  MeasurementSummary,
  metricOf,
  splitReadings,
  telemetryMessages,
} from "../../firmware-bridge/measurements.ts";
import { loadProfile, PROFILES_DIR, ProfileError, parseProfile } from "../../firmware-bridge/profile.ts";
import type { ShadowLink } from "../../firmware-bridge/runner-ports.ts";
import type { Driver, PointSpec, Profile, RawValue, Reading } from "../../firmware-bridge/types.ts";
import type { JsonObject, JsonValue } from "../../shared/json.ts";
import { parseTelemetryPayload } from "../../shared/telemetry-payload.ts";

/** Measurement points: telemetry on every poll, a rate-bounded summary in `reported`. */

const points: PointSpec[] = [
  { path: "outlets.1", type: "bool", enum: { on: true, off: false }, writable: true, address: {} },
  { path: "input.power", type: "float32", unit: "W", kind: "measurement", address: {} },
  { path: "input.voltage", type: "uint16", scale: 0.1, kind: "measurement", address: {} },
  { path: "temperatures.{index}", type: "float32", kind: "measurement", address: {} },
  { path: "name", type: "string", address: {} },
];

describe("splitReadings and telemetryMessages", () => {
  it("numbers of measurement points are samples; everything else, and non-numbers, stays state", () => {
    const values = new Map<string, JsonValue>([
      ["outlets.1", "on"],
      ["input.power", 1178.5],
      ["input.voltage", 230.4],
      ["temperatures.CPU1", 41],
      ["temperatures.PSU", "N/A"],
      ["name", "PDU-1"],
    ]);
    const { state, samples } = splitReadings(points, values);
    expect([...samples]).toEqual([
      ["input.power", 1178.5],
      ["input.voltage", 230.4],
      ["temperatures.CPU1", 41],
    ]);
    expect([...state.keys()]).toEqual(["outlets.1", "temperatures.PSU", "name"]);
    // A path too long for a metric name (128 characters) cannot be a sample either.
    const long = `temperatures.${"x".repeat(130)}`;
    expect(splitReadings(points, new Map([[long, 1]])).state.has(long)).toBe(true);
    expect(metricOf("temperatures.CPU1")).toBe("temperatures/CPU1");
  });

  it("one message per poll with the poll's ts, nested as in reported; the node reads the metrics back", () => {
    const samples = new Map([
      ["input.power", 1178.5],
      ["input.voltage", 230.4],
      ["temperatures.CPU1", 41],
    ]);
    const ts = Date.UTC(2026, 11, 7, 9);
    const [message, ...rest] = telemetryMessages(samples, ts);
    expect(rest).toEqual([]);
    expect(message).toEqual({ ts, input: { power: 1178.5, voltage: 230.4 }, temperatures: { CPU1: 41 } });
    const parsed = parseTelemetryPayload({ thing: "pdu-1" }, JSON.stringify(message), ts);
    expect(parsed).toEqual({
      ok: true,
      samples: [
        { metric: "input/power", value: 1178.5, ts },
        { metric: "input/voltage", value: 230.4, ts },
        { metric: "temperatures/CPU1", value: 41, ts },
      ],
    });
  });

  it("a poll of more values than one message may hold goes out in several the node accepts", () => {
    const samples = new Map(Array.from({ length: 1201 }, (_, i) => [`ports.${i}.inOctets`, i] as const));
    const messages = telemetryMessages(samples, 1_800_000_000_000);
    expect(messages.map((m) => Object.keys(m.ports as JsonObject).length)).toEqual([500, 500, 201]);
    for (const m of messages)
      expect(parseTelemetryPayload({ thing: "sw" }, JSON.stringify(m), 0).ok).toBe(true);
  });
});

describe("MeasurementSummary", () => {
  const s = (entries: [string, number][]) => new Map(entries);

  it("writes at once, then the changed values at most once per interval, in one go", () => {
    const sum = new MeasurementSummary(60_000);
    sum.observe(
      s([
        ["w", 100],
        ["v", 230],
      ]),
      0,
    );
    expect([...sum.take(0, false)]).toEqual([
      ["w", 100],
      ["v", 230],
    ]);
    sum.observe(
      s([
        ["w", 101],
        ["v", 230],
      ]),
      5000,
    );
    expect(sum.take(5000, false).size).toBe(0);
    sum.observe(
      s([
        ["w", 102],
        ["v", 231],
      ]),
      55_000,
    );
    expect(sum.take(59_999, false).size).toBe(0);
    expect([...sum.take(60_000, false)]).toEqual([
      ["w", 102],
      ["v", 231],
    ]);
    // Nothing changed: nothing written, and the next change waits for the interval from the last write.
    sum.observe(s([["w", 102]]), 120_000);
    expect(sum.take(120_000, false).size).toBe(0);
    sum.observe(s([["w", 103]]), 125_000);
    expect([...sum.take(125_000, false)]).toEqual([["w", 103]]);
    sum.observe(s([["v", 232]]), 130_000);
    expect(sum.take(130_000, false).size).toBe(0);
  });

  it("a full report writes every latest value, changed or not", () => {
    const sum = new MeasurementSummary(60_000);
    sum.observe(
      s([
        ["w", 100],
        ["v", 230],
      ]),
      0,
    );
    sum.take(0, false);
    sum.observe(s([["w", 101]]), 1000);
    expect([...sum.take(1000, true)]).toEqual([
      ["w", 101],
      ["v", 230],
    ]);
    expect(sum.take(70_000, false).size).toBe(0); // 101 was written by the full report
  });

  it("a path that read as state is forgotten: its next number is written at the next summary", () => {
    const sum = new MeasurementSummary(10_000);
    sum.observe(s([["t", 40]]), 0);
    sum.take(0, false);
    sum.forget("t");
    sum.observe(s([["t", 40]]), 10_000);
    expect([...sum.take(10_000, false)]).toEqual([["t", 40]]);
  });
});

/** A device whose readings the test sets, and a link that records reports and telemetry. */
function rig(summaryMs?: number) {
  const raw = new Map<string, RawValue>([
    ["outlets.1", true],
    ["input.power", 1178.5],
    ["input.voltage", 2304],
    ["name", "PDU-1"],
  ]);
  const driver: Driver = {
    async read(ps: readonly PointSpec[]): Promise<Reading[]> {
      return ps.flatMap((p) =>
        raw.has(p.path) ? [{ path: p.path, value: raw.get(p.path) as RawValue }] : [],
      );
    },
    async write() {},
    async close() {},
  };
  const reports: JsonObject[] = [];
  const telemetry: JsonObject[] = [];
  const link: ShadowLink = {
    async report(patch) {
      reports.push(structuredClone(patch));
    },
    onDelta: () => () => undefined,
    async publishTelemetry(values) {
      telemetry.push(structuredClone(values));
      return true;
    },
  };
  let now = 1_800_000_000_000;
  const profile: Profile = { name: "m", driver: "modbus", points };
  const spec = {
    thing: "pdu-1",
    driver: "modbus" as const,
    address: "x",
    options: {},
    pollMs: 5000,
    timeoutMs: 100,
  };
  const runner = new DeviceRunner({ ...spec, ...(summaryMs ? { summaryMs } : {}) }, profile, driver, link, {
    fullReportMs: 3_600_000,
    now: () => now,
  });
  return { raw, reports, telemetry, runner, tick: (ms: number) => (now += ms), at: () => now };
}

describe("the runner with measurement points", () => {
  it("publishes telemetry every poll; reported changes per poll for state, per minute for measurements", async () => {
    const r = rig();
    const t0 = r.at();
    await r.runner.pollOnce();
    expect(r.reports[0]).toMatchObject({
      outlets: { 1: "on" },
      input: { power: 1178.5, voltage: 230.4 },
      name: "PDU-1",
    });
    expect(r.telemetry[0]).toEqual({ ts: t0, input: { power: 1178.5, voltage: 230.4 } });
    // 11 more polls at 5 s: the power moves every poll, an outlet switches once.
    for (let i = 1; i <= 11; i++) {
      r.tick(5000);
      r.raw.set("input.power", 1178.5 + i);
      if (i === 4) r.raw.set("outlets.1", false);
      await r.runner.pollOnce();
    }
    expect(r.telemetry).toHaveLength(12);
    expect(r.telemetry.map((m) => (m.input as JsonObject).power)).toEqual(
      Array.from({ length: 12 }, (_, i) => 1178.5 + i),
    );
    expect(r.telemetry.map((m) => m.ts)).toEqual(Array.from({ length: 12 }, (_, i) => t0 + i * 5000));
    expect(r.reports.slice(1)).toEqual([{ outlets: { 1: "off" } }]);
    r.tick(5000);
    r.raw.set("input.power", 1200);
    await r.runner.pollOnce(); // 60 s after the first summary
    expect(r.reports.slice(2)).toEqual([{ input: { power: 1200 } }]);
  });

  it("the summary interval is the device's setting", async () => {
    const r = rig(10_000);
    await r.runner.pollOnce();
    r.tick(5000);
    r.raw.set("input.power", 1);
    await r.runner.pollOnce();
    r.tick(5000);
    r.raw.set("input.power", 2);
    await r.runner.pollOnce();
    expect(r.reports.slice(1)).toEqual([{ input: { power: 2 } }]);
  });

  it("a measurement that stops being a number goes to reported as state, and back", async () => {
    const r = rig(10_000);
    await r.runner.pollOnce();
    r.tick(1000);
    r.raw.set("input.power", "N/A");
    await r.runner.pollOnce();
    expect(r.reports.at(-1)).toEqual({ input: { power: "N/A" } });
    expect(r.telemetry.at(-1)).toEqual({ ts: r.at(), input: { voltage: 230.4 } });
    // A number again: telemetry at once, reported at the next summary.
    r.tick(1000);
    r.raw.set("input.power", 1178.5);
    await r.runner.pollOnce();
    expect(r.telemetry.at(-1)).toEqual({ ts: r.at(), input: { power: 1178.5, voltage: 230.4 } });
    expect(r.reports.at(-1)).toEqual({ input: { power: "N/A" } });
    r.tick(8000);
    await r.runner.pollOnce();
    expect(r.reports.at(-1)).toEqual({ input: { power: 1178.5 } });
    r.tick(1000);
    r.raw.set("input.power", "N/A");
    await r.runner.pollOnce();
    expect(r.reports.at(-1)).toEqual({ input: { power: "N/A" } });
  });
});

describe("bridge.yaml: summaryInterval", () => {
  const config = (defaults: string, device: string) =>
    parseBridgeConfig(
      [
        "node: { url: 'mqtt://127.0.0.1:1883', username: b }",
        ...(defaults ? [`defaults: { ${defaults} }`] : []),
        "devices:",
        `  - { thing: pdu-1, driver: modbus, address: 10.0.0.1, profile: generic-modbus-pdu${device} }`,
        "  - { thing: pdu-2, driver: modbus, address: 10.0.0.1, profile: generic-modbus-pdu }",
      ].join("\n"),
      "bridge.yaml",
      {},
    ).devices.map((d) => d.spec.summaryMs);

  it("defaults to 60 s; a default and a per-device value override it; a bad one names its key", () => {
    expect(config("", "")).toEqual([60_000, 60_000]);
    expect(config("summaryInterval: 5m", ", summaryInterval: 10s")).toEqual([10_000, 300_000]);
    expect(() => config("", ", summaryInterval: soon")).toThrow(
      /devices\[0\]\.summaryInterval: must be a duration/,
    );
  });
});

describe("profiles: kind", () => {
  const base = { name: "p", driver: "modbus" };
  const one = (point: Record<string, unknown>) =>
    parseProfile({ ...base, points: [{ path: "x", address: {}, ...point }] }, "p.yaml");

  it("accepts state and measurement, refuses other kinds and measurements that are state", () => {
    expect(one({ kind: "measurement", type: "uint16" }).points[0]?.kind).toBe("measurement");
    expect(one({ kind: "state" }).points[0]?.kind).toBe("state");
    expect(() => one({ kind: "metric" })).toThrow(/\/points\/0\/kind: must be one of state, measurement/);
    expect(() => one({ kind: "measurement", type: "uint16", writable: true })).toThrow(
      /\/points\/0\/kind: a measurement is writable/,
    );
    expect(() => one({ kind: "measurement", enum: { on: 1 } })).toThrow(ProfileError);
    expect(() => one({ kind: "measurement", type: "bool" })).toThrow(/is a bool/);
    expect(() => one({ kind: "measurement", type: "string" })).toThrow(/is a string/);
    expect(() =>
      parseProfile({ ...base, points: [{ path: "ts", kind: "measurement", address: {} }] }, "p"),
    ).toThrow(/named ts\/timestamp/);
  });

  it("a 64-bit measurement beyond 2^53 is a number (telemetry is doubles), a state counter keeps its digits", () => {
    const big = 2n ** 60n + 1n;
    const measured = toShadow({ path: "c", type: "uint64", kind: "measurement", address: {} }, big);
    expect(typeof measured).toBe("number");
    expect(Math.abs((measured as number) / 2 ** 60 - 1)).toBeLessThan(1e-14);
    expect(toShadow({ path: "c", type: "uint64", address: {} }, big)).toBe("1152921504606846977");
  });

  it("every shipped profile marks its measurements and keeps writable and enum points as state", () => {
    const kinds: Record<string, string[]> = {};
    for (const file of readdirSync(PROFILES_DIR)) {
      const profile = loadProfile(join(PROFILES_DIR, file));
      kinds[profile.name] = profile.points.filter((p) => p.kind === "measurement").map((p) => p.path);
      for (const p of profile.points) if (p.writable || p.enum) expect(p.kind ?? "state").toBe("state");
    }
    expect(kinds["generic-modbus-pdu"]).toEqual([
      "input.voltage",
      "input.current",
      "input.power",
      "input.energy",
      "input.frequency",
      "temperature",
    ]);
    for (const name of Object.keys(kinds)) expect(kinds[name]?.length, name).toBeGreaterThan(0);
  });
});
