import { describe, expect, it } from "vitest";
import { isLoopbackAddress } from "../../broker/auth/login-throttle.ts";
import { RequestLimiter } from "../../broker/auth/request-limiter.ts";

/** A clock the test moves by hand (milliseconds, like performance.now). */
class FakeClock {
  t = 1_000;
  now = () => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

/** Acquires and immediately completes, as a request answered at once; returns how many got through. */
function burstOf(limiter: RequestLimiter, attempts: number): number {
  let ok = 0;
  for (let i = 0; i < attempts; i++) {
    if (limiter.acquire() === null) {
      ok++;
      limiter.done();
    }
  }
  return ok;
}

const RATE = /Rate limit exceeded \(\d+ requests per second\)/;
const INFLIGHT = /Too many requests in flight \(limit \d+\)/;

describe("RequestLimiter", () => {
  it("starts with a full bucket: exactly `burst` requests pass at one instant, then 429", () => {
    const clock = new FakeClock();
    const limiter = new RequestLimiter(5, 8, 100, clock.now);
    expect(burstOf(limiter, 8)).toBe(8);
    expect(limiter.acquire()).toMatch(/Rate limit exceeded \(5 requests per second\)/);
    expect(burstOf(limiter, 50)).toBe(0);
  });

  it("refills at `rate` per second, including fractions of a token", () => {
    const clock = new FakeClock();
    const limiter = new RequestLimiter(4, 4, 100, clock.now);
    expect(burstOf(limiter, 4)).toBe(4);
    clock.advance(249); // just under one token (250 ms at 4/s)
    expect(limiter.acquire()).toMatch(RATE);
    clock.advance(1);
    expect(burstOf(limiter, 3)).toBe(1);
    // Two half-periods add up to one token: refused attempts in between do not reset the refill.
    clock.advance(125);
    expect(limiter.acquire()).toMatch(RATE);
    clock.advance(125);
    expect(burstOf(limiter, 3)).toBe(1);
  });

  it("never holds more than `burst` tokens, however long the client was idle", () => {
    const clock = new FakeClock();
    const limiter = new RequestLimiter(10, 3, 100, clock.now);
    clock.advance(3_600_000);
    expect(burstOf(limiter, 10)).toBe(3);
  });

  it("sustains exactly `rate` per second after the burst", () => {
    const clock = new FakeClock();
    const limiter = new RequestLimiter(50, 20, 100, clock.now);
    let ok = 0;
    // One attempt every millisecond for 10 simulated seconds.
    for (let ms = 0; ms < 10_000; ms++) {
      ok += burstOf(limiter, 1);
      clock.advance(1);
    }
    // 20 from the bucket plus 50/s × 10 s (the last token may fall just past the loop).
    expect(ok).toBeGreaterThanOrEqual(20 + 499);
    expect(ok).toBeLessThanOrEqual(20 + 500);
  });

  it("recovers fully after a pause of burst/rate seconds", () => {
    const clock = new FakeClock();
    const limiter = new RequestLimiter(10, 30, 100, clock.now);
    expect(burstOf(limiter, 100)).toBe(30);
    clock.advance(1_500);
    expect(burstOf(limiter, 100)).toBe(15);
    clock.advance(3_000);
    expect(burstOf(limiter, 100)).toBe(30);
  });

  it("caps requests in flight: the next is refused until one is done", () => {
    const clock = new FakeClock();
    const limiter = new RequestLimiter(1000, 1000, 3, clock.now);
    for (let i = 0; i < 3; i++) expect(limiter.acquire()).toBeNull();
    expect(limiter.acquire()).toMatch(/Too many requests in flight \(limit 3\)/);
    expect(limiter.acquire()).toMatch(INFLIGHT);
    limiter.done();
    expect(limiter.acquire()).toBeNull();
    expect(limiter.acquire()).toMatch(INFLIGHT);
    for (let i = 0; i < 3; i++) limiter.done();
    for (let i = 0; i < 3; i++) expect(limiter.acquire()).toBeNull();
  });

  it("does not spend a token on a request refused for being over the in-flight cap", () => {
    const clock = new FakeClock();
    const limiter = new RequestLimiter(1, 2, 1, clock.now);
    expect(limiter.acquire()).toBeNull(); // token 1 of 2, in flight
    for (let i = 0; i < 10; i++) expect(limiter.acquire()).toMatch(INFLIGHT);
    limiter.done();
    expect(limiter.acquire()).toBeNull(); // token 2 is still there
    limiter.done();
    expect(limiter.acquire()).toMatch(RATE);
  });

  it("ignores extra done() calls: the in-flight count cannot go below zero", () => {
    const clock = new FakeClock();
    const limiter = new RequestLimiter(1000, 1000, 2, clock.now);
    for (let i = 0; i < 5; i++) limiter.done();
    expect(limiter.acquire()).toBeNull();
    expect(limiter.acquire()).toBeNull();
    expect(limiter.acquire()).toMatch(INFLIGHT);
  });
});

describe("isLoopbackAddress", () => {
  it("knows IPv4, IPv6 and IPv4-mapped loopback, and nothing else", () => {
    for (const a of ["127.0.0.1", "127.3.4.5", "::1", "::ffff:127.0.0.1"])
      expect(isLoopbackAddress(a), a).toBe(true);
    for (const a of ["10.0.0.1", "::ffff:10.0.0.1", "128.0.0.1", "fe80::1"])
      expect(isLoopbackAddress(a), a).toBe(false);
  });
});
