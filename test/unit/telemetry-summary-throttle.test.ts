import { describe, expect, it } from "vitest";
import { SummaryThrottle } from "../../shared/telemetry-summary.ts";

/** The rate bound shared by the node's telemetrySummary and the bridge's measurement summary. */
describe("SummaryThrottle", () => {
  const every = (ms: number) => () => ms;

  it("hands out a value at once, then only changed values once their interval passed", () => {
    const t = new SummaryThrottle();
    t.observe("watts", 100, 1000);
    expect(t.take(1000, every(60_000))).toEqual({ due: [{ metric: "watts", value: 100 }], waiting: false });
    t.observe("watts", 101, 2000);
    expect(t.take(2000, every(60_000))).toEqual({ due: [], waiting: true });
    t.observe("watts", 102, 3000);
    // The latest value is the one written when the interval has passed.
    expect(t.take(61_000, every(60_000))).toEqual({ due: [{ metric: "watts", value: 102 }], waiting: false });
  });

  it("an unchanged value is never written again; a value back to the written one is dropped", () => {
    const t = new SummaryThrottle();
    t.observe("v", 230, 0);
    t.take(0, every(10));
    t.observe("v", 230, 100);
    expect(t.take(100, every(10))).toEqual({ due: [], waiting: false });
    t.observe("v", 231, 105);
    t.observe("v", 230, 106);
    expect(t.take(200, every(10))).toEqual({ due: [], waiting: false });
  });

  it("an older sample does not replace a newer pending one", () => {
    const t = new SummaryThrottle();
    t.observe("temp", 21, 5000);
    t.observe("temp", 19, 4000);
    expect(t.take(6000, every(1)).due).toEqual([{ metric: "temp", value: 21 }]);
  });

  it("intervals are per metric, and wrote() counts a value written by other means", () => {
    const t = new SummaryThrottle();
    t.observe("a", 1, 0);
    t.observe("b", 1, 0);
    t.wrote("a", 1, 0);
    expect(t.take(0, (m) => (m === "a" ? 100 : 0)).due).toEqual([{ metric: "b", value: 1 }]);
    t.observe("a", 2, 50);
    t.observe("b", 2, 50);
    expect(t.take(50, (m) => (m === "a" ? 100 : 0))).toEqual({
      due: [{ metric: "b", value: 2 }],
      waiting: true,
    });
    expect(t.take(100, (m) => (m === "a" ? 100 : 0)).due).toEqual([{ metric: "a", value: 2 }]);
  });
});
