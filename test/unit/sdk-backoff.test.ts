import { describe, expect, it } from "vitest";
import { Backoff, backoffCap, backoffDelay, backoffSettings } from "../../device-agent/sdk/backoff.ts";

describe("sdk backoff (exponential, full jitter)", () => {
  const s = { initialMs: 100, maxMs: 1000 };

  it("doubles the cap per attempt up to maxMs, and stays finite for huge attempts", () => {
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffCap(a, s))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(backoffCap(10_000, s)).toBe(1000);
    expect(backoffCap(0, s)).toBe(100);
  });

  it("draws uniformly in [0, cap): the extremes of the random source map to 0 and just under the cap", () => {
    expect(backoffDelay(3, s, () => 0)).toBe(0);
    expect(backoffDelay(3, s, () => 0.999999)).toBe(399);
    expect(backoffDelay(3, s, () => 0.5)).toBe(200);
  });

  it("spreads real draws over the whole window (full jitter, not equal jitter)", () => {
    const draws = Array.from({ length: 2000 }, () => backoffDelay(4, s));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(800);
    // Full jitter: a good share of draws below a quarter of the cap, and some above three quarters.
    expect(draws.filter((d) => d < 200).length).toBeGreaterThan(300);
    expect(draws.filter((d) => d >= 600).length).toBeGreaterThan(300);
  });

  it("counts failures and starts over after reset", () => {
    const b = new Backoff(s, () => 0.999999);
    expect([b.next(), b.next(), b.next()]).toEqual([99, 199, 399]);
    expect(b.attempts).toBe(3);
    b.reset();
    expect(b.next()).toBe(99);
  });

  it("normalises settings: defaults fill gaps, maxMs is never below initialMs, negatives become 0", () => {
    expect(backoffSettings(undefined, s)).toEqual(s);
    expect(backoffSettings({ initialMs: 5000 }, s)).toEqual({ initialMs: 5000, maxMs: 5000 });
    expect(backoffSettings({ initialMs: -1, maxMs: 10 }, s)).toEqual({ initialMs: 0, maxMs: 10 });
  });
});
