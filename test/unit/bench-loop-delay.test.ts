import { describe, expect, it } from "vitest";
import { loopDelayMs } from "../../bench/node-metrics.ts";

describe("bench: node event-loop delay from prom-client's lag figures", () => {
  it("subtracts the 10 ms sampling interval the histogram records whole", () => {
    // An idle loop: prom-client reports ~10.1 ms (its timer's interval), i.e. ~0.1 ms of delay.
    expect(loopDelayMs(0.0101)).toBeCloseTo(0.1, 5);
    expect(loopDelayMs(0.028)).toBeCloseTo(18, 5);
  });

  it("never reports a negative delay, and NaN when the node did not report one", () => {
    expect(loopDelayMs(0.0099)).toBe(0);
    expect(loopDelayMs(undefined)).toBeNaN();
  });
});
