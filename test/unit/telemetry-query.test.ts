import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration, parseInstant } from "../../shared/telemetry-duration.ts";
import { parseTelemetryQuery } from "../../shared/telemetry-query.ts";
import { formatValue } from "../../shared/telemetry-render.ts";
import { chooseTier } from "../../shared/telemetry-rollup.ts";

const NOW = Date.UTC(2026, 5, 1, 12);
const H = 3_600_000;
const D = 24 * H;
const R = { rawMs: 48 * H, minuteMs: 30 * D, hourMs: 400 * D };

describe("durations and instants", () => {
  it("parses durations with units and formats them back", () => {
    expect(parseDuration("90s")).toBe(90_000);
    expect(parseDuration("1h")).toBe(H);
    expect(parseDuration("7d")).toBe(7 * D);
    expect(parseDuration("1.5m")).toBe(90_000);
    for (const bad of ["", "1", "h", "-1h", "0s", "1y"]) expect(parseDuration(bad), bad).toBeNull();
    expect(formatDuration(H)).toBe("1h");
    expect(formatDuration(90_000)).toBe("90s");
  });

  it("parses instants: ms, ISO, now, relative", () => {
    expect(parseInstant("1700000000000", NOW)).toBe(1_700_000_000_000);
    expect(parseInstant("now", NOW)).toBe(NOW);
    expect(parseInstant("-1h", NOW)).toBe(NOW - H);
    expect(parseInstant("2026-06-01T11:00:00Z", NOW)).toBe(NOW - H);
    for (const bad of ["yesterday", "-x", "12abc"]) expect(parseInstant(bad, NOW), bad).toBeNull();
  });
});

describe("query parameters", () => {
  it("defaults to the last hour of raw points", () => {
    expect(parseTelemetryQuery({}, NOW, R)).toEqual({
      ok: true,
      query: { metric: undefined, from: NOW - H, to: NOW, tier: "raw", step: 0 },
    });
  });

  it("picks the tier from the range, or from the step", () => {
    const q = (raw: Record<string, string>) => {
      const r = parseTelemetryQuery(raw, NOW, R);
      if (!r.ok) throw new Error(r.message);
      return [r.query.tier, r.query.step];
    };
    expect(q({ from: "-1d" })).toEqual(["1m", 60_000]);
    expect(q({ from: "-7d" })).toEqual(["1h", H]);
    expect(q({ from: "-1h", step: "5m" })).toEqual(["1m", 300_000]);
    expect(q({ from: "-1d", step: "2h" })).toEqual(["1h", 2 * H]);
    expect(q({ from: "-1h", step: "10s" })).toEqual(["raw", 10_000]);
    expect(q({ from: "-1d", step: "raw" })).toEqual(["raw", 0]);
    // Older than the raw window: rolled up even for a short range.
    expect(chooseTier(NOW - 3 * D, NOW - 3 * D + H, undefined, NOW, R)).toBe("1m");
    expect(chooseTier(NOW - 40 * D, NOW - 40 * D + H, undefined, NOW, R)).toBe("1h");
  });

  it("answers bad parameters with a message naming the parameter", () => {
    const msg = (raw: Record<string, string>) => {
      const r = parseTelemetryQuery(raw, NOW, R);
      return r.ok ? "ok" : r.message;
    };
    expect(msg({ from: "yesterday" })).toMatch(/^from must be/);
    expect(msg({ to: "soon" })).toMatch(/^to must be/);
    expect(msg({ from: "-1h", to: "-2h" })).toMatch(/from must be before to/);
    expect(msg({ step: "fast" })).toMatch(/^step must be/);
    expect(msg({ step: "500ms" })).toMatch(/^step must be/);
    expect(msg({ metric: "a b" })).toMatch(/not a valid metric/);
    expect(msg({ from: "-400d", step: "1m" })).toMatch(/more than 10000 steps of 1m/);
  });

  it("widens the chosen step for long ranges instead of refusing them (umbra telemetry --since 1000d)", () => {
    const r = parseTelemetryQuery({ from: "-1000d" }, NOW, R);
    if (!r.ok) throw new Error(r.message);
    expect(r.query.tier).toBe("1h");
    expect(r.query.step).toBe(3 * H); // 24,000 hours → the smallest whole number of hours under 10,000 points
    expect((r.query.to - r.query.from) / r.query.step).toBeLessThanOrEqual(10_000);
  });
});

describe("formatValue (the CLI's tables)", () => {
  it("keeps one plain decimal format and never rounds a fraction into another integer", () => {
    expect(formatValue(1210.5)).toBe("1210.5");
    expect(formatValue(230.1)).toBe("230.1");
    expect(formatValue(1 / 3)).toBe("0.333333");
    expect(formatValue(42)).toBe("42");
    expect(formatValue(123456.78)).toBe("123456.8");
    expect(formatValue(0)).toBe("0");
    expect(formatValue(2.5e12)).toBe("2.500e+12");
    expect(formatValue(0.0001234)).toBe("1.234e-4");
  });
});
