import { describe, expect, it } from "vitest";
import { TelemetrySampler } from "../../device-agent/agent/telemetry.ts";
import {
  isValidMetricName,
  MAX_METRICS_PER_MESSAGE,
  parseTelemetryPayload,
  parseTelemetryTopic,
  parseTimestamp,
} from "../../shared/telemetry-payload.ts";
import { parseSummaryRules, reportedPatch } from "../../shared/telemetry-summary.ts";

const NOW = Date.UTC(2026, 0, 2, 3, 4, 5);
const obj = { thing: "pdu-1" };

describe("telemetry topics", () => {
  it("parses both forms and refuses look-alikes", () => {
    expect(parseTelemetryTopic("things/pdu-1/telemetry")).toEqual({ thing: "pdu-1" });
    expect(parseTelemetryTopic("things/pdu-1/telemetry/watts")).toEqual({ thing: "pdu-1", metric: "watts" });
    expect(parseTelemetryTopic("things/pdu-1/telemetry/psu/1/watts")).toEqual({
      thing: "pdu-1",
      metric: "psu/1/watts",
    });
    for (const t of [
      "things/pdu-1/telemetryx",
      "things/pdu 1/telemetry",
      "thing/pdu-1/telemetry",
      "things/pdu-1",
    ])
      expect(parseTelemetryTopic(t), t).toBeNull();
  });

  it("validates metric names", () => {
    expect(isValidMetricName("psu/1/in.volts")).toBe(true);
    expect(isValidMetricName("a//b")).toBe(false);
    expect(isValidMetricName("x".repeat(129))).toBe(false);
    expect(isValidMetricName("with space")).toBe(false);
  });
});

describe("telemetry payloads", () => {
  it("flattens nested objects with /, maps booleans to 0/1 and skips strings and nulls", () => {
    const r = parseTelemetryPayload(
      obj,
      '{"watts":120.5,"on":true,"off":false,"psu":{"1":{"v":12}},"name":"x","n":null}',
      NOW,
    );
    expect(r).toEqual({
      ok: true,
      samples: [
        { metric: "watts", value: 120.5, ts: NOW },
        { metric: "on", value: 1, ts: NOW },
        { metric: "off", value: 0, ts: NOW },
        { metric: "psu/1/v", value: 12, ts: NOW },
      ],
    });
  });

  it("flattens arrays by index and splits keys holding / (the host agent's mount points)", () => {
    const r = parseTelemetryPayload(
      obj,
      JSON.stringify({
        thing: "h",
        load: [0.5, 0.25],
        disks: { "/": { used: 1 }, "/var/lib": { used: 2 } },
        "bad key": 3,
        cpu: { percent: null },
      }),
      NOW,
    );
    expect(r.ok && r.samples.map((s) => [s.metric, s.value])).toEqual([
      ["load/0", 0.5],
      ["load/1", 0.25],
      ["disks/used", 1],
      ["disks/var/lib/used", 2],
    ]);
  });

  it("accepts what the host agent publishes on this machine", async () => {
    const sample = await new TelemetrySampler().sample("host-1");
    const r = parseTelemetryPayload({ thing: "host-1" }, JSON.stringify(sample), NOW);
    expect(r.ok).toBe(true);
    const metrics = r.ok ? r.samples.map((s) => s.metric) : [];
    expect(metrics).toEqual(
      expect.arrayContaining(["uptimeSeconds", "load/0", "cpu/count", "memory/percent"]),
    );
    expect(r.ok && r.samples[0]?.ts).toBe(sample.ts);
  });

  it("takes ts or timestamp as Unix ms or ISO 8601", () => {
    const ts = NOW - 5000;
    const a = parseTelemetryPayload(obj, JSON.stringify({ ts, t: 1 }), NOW);
    const b = parseTelemetryPayload(
      obj,
      JSON.stringify({ timestamp: new Date(ts).toISOString(), t: 1 }),
      NOW,
    );
    expect(a.ok && a.samples[0]?.ts).toBe(ts);
    expect(b.ok && b.samples[0]?.ts).toBe(ts);
    // Seconds are a unit mistake: refused, not guessed.
    expect(parseTimestamp(Math.floor(ts / 1000))).toBeNull();
    expect(parseTelemetryPayload(obj, '{"ts":"yesterday","t":1}', NOW).ok).toBe(false);
  });

  it("reads an ISO timestamp without a zone as UTC, whatever the node's time zone", () => {
    const saved = process.env.TZ;
    process.env.TZ = "America/New_York";
    try {
      expect(parseTimestamp("2026-11-22T10:00:00")).toBe(Date.UTC(2026, 10, 22, 10));
      expect(parseTimestamp("2026-11-22T10:00:00.250")).toBe(Date.UTC(2026, 10, 22, 10, 0, 0, 250));
      expect(parseTimestamp("2026-11-22T10:00")).toBe(Date.UTC(2026, 10, 22, 10));
      // An explicit zone is kept.
      expect(parseTimestamp("2026-11-22T10:00:00+02:00")).toBe(Date.UTC(2026, 10, 22, 8));
      expect(parseTimestamp("2026-11-22T10:00:00Z")).toBe(Date.UTC(2026, 10, 22, 10));
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });

  it("reads a bare number (or true/false) on the single-metric topic", () => {
    const topic = { thing: "pdu-1", metric: "temp/c" };
    expect(parseTelemetryPayload(topic, " 21.5 ", NOW)).toEqual({
      ok: true,
      samples: [{ metric: "temp/c", value: 21.5, ts: NOW }],
    });
    expect(parseTelemetryPayload(topic, "true", NOW).ok).toBe(true);
    for (const bad of ["", "abc", "NaN", "Infinity", '{"v":1}'])
      expect(parseTelemetryPayload(topic, bad, NOW).ok, bad).toBe(false);
  });

  it("refuses what is not telemetry with a reason", () => {
    const cases: [string, RegExp][] = [
      ["not json", /not JSON/],
      ["[1,2]", /JSON object/],
      ["42", /JSON object/],
      ['{"name":"x"}', /no numeric/],
      ['{"bad name":1}', /no usable metrics \(invalid metric name 'bad name'\)/],
      [
        JSON.stringify(
          Object.fromEntries(Array.from({ length: MAX_METRICS_PER_MESSAGE + 1 }, (_, i) => [`m${i}`, i])),
        ),
        /more than/,
      ],
    ];
    for (const [payload, reason] of cases) {
      const r = parseTelemetryPayload(obj, payload, NOW);
      expect(r.ok, payload.slice(0, 20)).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(reason);
    }
  });
});

describe("hostile payloads", () => {
  it("refuses deep nesting instead of overflowing the stack (one message must not crash the node)", () => {
    const deep = `${'{"a":'.repeat(20_000)}1${"}".repeat(20_000)}`;
    const r = parseTelemetryPayload(obj, deep, NOW);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/invalid metric name/);
    // The deepest nesting a valid name allows (64 one-character levels: 127 characters) still works.
    const levels = 64;
    const ok = parseTelemetryPayload(obj, `${'{"a":'.repeat(levels)}1${"}".repeat(levels)}`, NOW);
    expect(ok.ok && ok.samples[0]?.metric).toBe(Array(levels).fill("a").join("/"));
  });
});

describe("telemetry summary setting", () => {
  it("defaults the path and interval and builds nested reported patches", () => {
    const rules = parseSummaryRules({ "psu/watts": {}, temp: { path: "env.temp", minIntervalSeconds: 5 } });
    expect(rules).toEqual([
      { metric: "psu/watts", path: ["telemetry", "psu", "watts"], minIntervalMs: 60_000 },
      { metric: "temp", path: ["env", "temp"], minIntervalMs: 5000 },
    ]);
    expect(
      reportedPatch([
        { path: ["env", "temp"], value: 3 },
        { path: ["env", "rh"], value: 4 },
      ]),
    ).toEqual({ env: { temp: 3, rh: 4 } });
  });

  it("names the metric and field that is wrong", () => {
    expect(() => parseSummaryRules({ t: 5 })).toThrow(/telemetrySummary\["t"\] must be an object/);
    expect(() => parseSummaryRules({ t: { path: "a..b" } })).toThrow(/\.path must be/);
    expect(() => parseSummaryRules({ t: { minIntervalSeconds: 0 } })).toThrow(/minIntervalSeconds/);
  });
});
