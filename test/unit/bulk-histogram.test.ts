import { Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { BulkHistogram } from "../../broker/metrics/bulk-histogram.ts";

const BUCKETS = [0.001, 0.005, 0.01, 0.1, 1];

describe("BulkHistogram", () => {
  it("exposes what prom-client's Histogram exposes for the same observations, fed in bulk", async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const bulk = new BulkHistogram("x_seconds", "help text", BUCKETS, ours);
    const reference = new Histogram({
      name: "x_seconds",
      help: "help text",
      buckets: BUCKETS,
      registers: [theirs],
    });
    // Values on bucket bounds (once each), between them and above the last (several times: binary
    // fractions, so that value × times is the sum of the repeated additions exactly).
    const observations: [number, number][] = [
      [0.001, 1],
      [0.0009765625, 3],
      [0.005, 1],
      [0.015625, 5],
      [1, 1],
      [0.5, 4],
      [8, 2],
      [0, 4],
    ];
    for (const [value, times] of observations) {
      bulk.observe(value, times);
      for (let i = 0; i < times; i++) reference.observe(value);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    // Reset, it shows zeros (prom-client's shows no series until the next observation).
    ours.resetMetrics();
    const reset = await ours.metrics();
    expect(reset).toContain('x_seconds_bucket{le="+Inf"} 0');
    expect(reset).toContain("x_seconds_count 0");
  });

  it("counts one observation by default", async () => {
    const registry = new Registry();
    const h = new BulkHistogram("y_seconds", "h", BUCKETS, registry);
    h.observe(0.05);
    const text = await registry.metrics();
    expect(text).toContain('y_seconds_bucket{le="0.01"} 0');
    expect(text).toContain('y_seconds_bucket{le="0.1"} 1');
    expect(text).toContain("y_seconds_count 1");
  });
});
