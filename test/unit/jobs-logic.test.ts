import { describe, expect, it } from "vitest";
import { type Claim, claimsOverlap, covers, isActive, parseClaimRequest } from "../../shared/jobs-claims.ts";
import {
  destructiveLeaves,
  hasConverged,
  patchLeaves,
  planThing,
  type ThingFacts,
} from "../../shared/jobs-plan.ts";
import {
  abortReason,
  afterStart,
  batchSize,
  type Counts,
  decide,
  emptyCounts,
  nextBatch,
  type RolloutCursor,
} from "../../shared/jobs-rollout.ts";
import { JobError, type JobSpec, parseJobSpec } from "../../shared/jobs-spec.ts";

const spec = (extra: Record<string, unknown> = {}): JobSpec =>
  parseJobSpec({ target: { things: ["a", "b"] }, patch: { cap: 500 }, ...extra } as never);
const facts = (over: Partial<ThingFacts> = {}): ThingFacts => ({
  thing: "a",
  desired: {},
  reported: {},
  accessDenial: null,
  claimDenial: null,
  serviceDenial: null,
  ...over,
});
const counts = (c: Partial<Counts>): Counts => ({ ...emptyCounts(), ...c });
const cursor: RolloutCursor = { batch: 0, startedInBatch: 0, nextWriteAt: 0 };

describe("job spec", () => {
  it("needs one target and one of patch/command, and says what is wrong", () => {
    expect(() => parseJobSpec({ target: { q: "x", system: "y" }, patch: { a: 1 } })).toThrow(
      /exactly one of q/,
    );
    expect(() => parseJobSpec({ target: { q: "x" } })).toThrow(/exactly one of patch/);
    expect(() => parseJobSpec({ target: { things: ["bad name"] }, patch: { a: 1 } })).toThrow(
      /invalid thing/,
    );
    expect(() =>
      parseJobSpec({ target: { q: "x" }, patch: { a: 1 }, rollout: { ramp: { factor: 1 } } }),
    ).toThrow(/factor must be above 1/);
    expect(() => parseJobSpec({ target: { q: "x" }, patch: { a: 1 }, bogus: 1 })).toThrow(JobError);
    expect(spec().target).toEqual({ things: ["a", "b"] });
  });
});

describe("planning a thing", () => {
  it("diffs each leaf against desired and reported", () => {
    const s = spec({ patch: { cap: 500, fan: { mode: "auto" }, old: null } });
    expect(patchLeaves(s.patch ?? {}).map((l) => l.path.join("."))).toEqual(["cap", "fan.mode", "old"]);
    const p = planThing(
      s,
      facts({ desired: { cap: 400, old: 1 }, reported: { cap: 400, fan: { mode: "auto" } } }),
    );
    expect(p.changes).toEqual([
      { path: "cap", desired: 400, reported: 400, to: 500 },
      { path: "fan.mode", reported: "auto", to: "auto" },
      { path: "old", desired: 1, to: null },
    ]);
    expect(p.refused).toBeUndefined();
    expect(p.noop).toBe(false);
  });

  it("is a no-op when desired and reported already hold the patch, pending when only desired does", () => {
    expect(planThing(spec(), facts({ desired: { cap: 500 }, reported: { cap: 500 } })).noop).toBe(true);
    const p = planThing(spec(), facts({ desired: { cap: 500 }, reported: { cap: 1 } }));
    expect(p).toMatchObject({ noop: false, changes: [], pending: [{ path: "cap" }] });
  });

  it("refuses for access, claim, destructive and limits, in that order", () => {
    expect(planThing(spec(), facts({ accessDenial: "no grant", claimDenial: "claimed" })).refused).toEqual({
      code: "access",
      reason: "no grant",
    });
    expect(planThing(spec(), facts({ claimDenial: "claimed" })).refused?.code).toBe("claim");
    const cycle = spec({ command: { power: "cycle" }, patch: undefined });
    expect(planThing(cycle, facts()).refused).toEqual({
      code: "destructive",
      reason: 'destructive without confirm: power="cycle"',
    });
    expect(planThing({ ...cycle, confirm: true }, facts()).refused).toBeUndefined();
    expect(planThing(spec(), facts({ serviceDenial: "too big" })).refused?.code).toBe("limits");
  });

  it("knows the shipped profiles' destructive values and a job's own rules", () => {
    const leaves = patchLeaves({ outlets: { "3": { power: "off" }, "4": "on", "5": "off" }, power: "on" });
    expect(
      destructiveLeaves(
        leaves,
        spec().destructive.concat(parseJobSpec({ target: { q: "x" }, patch: { a: 1 } }).destructive),
      ),
    ).toEqual([]);
    const s = spec({ destructive: [{ path: "mode", values: ["wipe"] }] });
    expect(planThing({ ...s, patch: { mode: "wipe" } }, facts()).refused?.code).toBe("destructive");
    expect(
      planThing({ ...s, patch: { outlets: { "3": { power: "off" } } } }, facts()).refused?.reason,
    ).toMatch(/outlets\.3\.power="off"/);
    expect(planThing({ ...s, patch: { outlets: { "4": "on" } } }, facts()).refused).toBeUndefined();
  });

  it("converges on reported (patch) or on the command being cleared (command)", () => {
    expect(hasConverged(spec(), { cap: 500 }, { cap: 400 })).toBe(false);
    expect(hasConverged(spec(), { cap: 500 }, { cap: 500 })).toBe(true);
    const cmd = spec({ patch: undefined, command: { power: "cycle" }, confirm: true });
    expect(hasConverged(cmd, { power: "cycle" }, { power: "on" })).toBe(false);
    expect(hasConverged(cmd, {}, { power: "on" })).toBe(true);
  });
});

describe("rollout", () => {
  it("sizes batches fixed or as an exponential ramp", () => {
    expect([0, 1, 5].map((b) => batchSize({ batchSize: 5 }, b))).toEqual([5, 5, 5]);
    expect([0, 1, 2, 3, 4].map((b) => batchSize({ ramp: { start: 1, factor: 2, max: 10 } }, b))).toEqual([
      1, 2, 4, 8, 10,
    ]);
  });

  it("starts a batch, waits for it, then moves on", () => {
    const s = spec({ rollout: { batchSize: 2 } });
    expect(decide(s, "running", counts({ pending: 5 }), cursor, 0)).toEqual({ kind: "start", count: 2 });
    const c1 = afterStart(s, cursor, 2, 0);
    expect(decide(s, "running", counts({ pending: 3, waiting: 2 }), c1, 0)).toEqual({ kind: "wait" });
    expect(decide(s, "running", counts({ pending: 3, converged: 2 }), c1, 0)).toEqual({ kind: "next-batch" });
    expect(decide(s, "running", counts({ pending: 3, converged: 2 }), nextBatch(c1), 0)).toEqual({
      kind: "start",
      count: 2,
    });
    expect(decide(s, "paused", counts({ pending: 3 }), cursor, 0)).toEqual({ kind: "wait" });
    expect(decide(s, "running", counts({ converged: 4, failed: 1 }), c1, 0)).toEqual({
      kind: "end",
      state: "failed",
    });
    expect(decide(s, "running", counts({ converged: 4, skipped: 1 }), c1, 0)).toEqual({
      kind: "end",
      state: "succeeded",
    });
    expect(decide(s, "cancelled", counts({ waiting: 1 }), c1, 0)).toEqual({ kind: "wait" });
    expect(decide(s, "cancelled", counts({ cancelled: 1 }), c1, 0)).toEqual({ kind: "idle" });
  });

  it("paces writes by ratePerMinute", () => {
    const s = spec({ rollout: { batchSize: 100, ratePerMinute: 60 } });
    expect(decide(s, "running", counts({ pending: 10 }), cursor, 0)).toEqual({ kind: "start", count: 1 });
    const c1 = afterStart(s, cursor, 1, 0);
    expect(c1.nextWriteAt).toBe(1000);
    expect(decide(s, "running", counts({ pending: 9, waiting: 1 }), c1, 500)).toEqual({
      kind: "wait",
      untilMs: 1000,
    });
    // Idle for 2.5 intervals: a slow rate banks nothing, still one write.
    expect(decide(s, "running", counts({ pending: 9, waiting: 1 }), c1, 3500)).toEqual({
      kind: "start",
      count: 1,
    });
    expect(afterStart(s, c1, 1, 3500).nextWriteAt).toBe(4500);
    // A fast rate (every 10 ms) catches up at most a second's worth after a stall.
    const fast = spec({ rollout: { batchSize: 1000, ratePerMinute: 6000 } });
    expect(decide(fast, "running", counts({ pending: 500 }), cursor, 0)).toEqual({ kind: "start", count: 1 });
    expect(afterStart(fast, cursor, 1, 0).nextWriteAt).toBe(10);
    expect(decide(fast, "running", counts({ pending: 500 }), { ...cursor, nextWriteAt: 10 }, 5000)).toEqual({
      kind: "start",
      count: 100,
    });
  });

  it("aborts on a failure count or a failure percentage after minFinished", () => {
    expect(abortReason({ maxFailures: 3 }, counts({ failed: 2 }))).toBeNull();
    expect(abortReason({ maxFailures: 3 }, counts({ failed: 3 }))).toMatch(/3 things failed/);
    expect(
      abortReason({ maxFailurePercent: 20, minFinished: 10 }, counts({ failed: 5, converged: 0 })),
    ).toBeNull();
    expect(
      abortReason({ maxFailurePercent: 20, minFinished: 10 }, counts({ failed: 2, converged: 8 })),
    ).toMatch(/20\.0 %/);
    expect(
      abortReason({ maxFailurePercent: 20, minFinished: 10 }, counts({ failed: 1, converged: 9 })),
    ).toBeNull();
    const s = spec({ abort: { maxFailures: 1 } });
    expect(decide(s, "running", counts({ pending: 3, failed: 1 }), cursor, 0)).toMatchObject({
      kind: "abort",
    });
  });
});

describe("claims", () => {
  const claim = (over: Partial<Claim> = {}): Claim => ({
    id: "c1",
    owner: "alice",
    reason: "fan swap",
    things: ["pdu-*"],
    systems: [],
    from: 100,
    until: 200,
    createdAt: 100,
    ...over,
  });

  it("validates a request", () => {
    expect(parseClaimRequest({ things: ["pdu-1"], reason: "x", durationSeconds: 60 }, 1000)).toEqual({
      things: ["pdu-1"],
      systems: [],
      reason: "x",
      from: 1000,
      until: 1060,
    });
    expect(() => parseClaimRequest({ reason: "x", durationSeconds: 60 }, 0)).toThrow(/things or systems/);
    expect(() => parseClaimRequest({ things: ["a"], durationSeconds: 60 }, 0)).toThrow(/reason/);
    expect(() => parseClaimRequest({ things: ["a"], reason: "x", until: 5 }, 10)).toThrow(/after from|past/);
  });

  it("is active in its window until released, and covers things and system members", () => {
    expect([99, 100, 199, 200].map((t) => isActive(claim(), t))).toEqual([false, true, true, false]);
    expect(isActive(claim({ releasedAt: 150 }), 150)).toBe(false);
    const inRack = (t: string, s: string) => s === "rack-1" && t === "host-1";
    expect(covers(claim(), "pdu-9", inRack)).toBe(true);
    expect(covers(claim(), "host-1", inRack)).toBe(false);
    expect(covers(claim({ systems: ["rack-1"] }), "host-1", inRack)).toBe(true);
  });

  it("overlaps when windows and things or systems meet", () => {
    expect(claimsOverlap(claim(), claim({ things: ["pdu-3"] }))).toBe(true);
    expect(claimsOverlap(claim(), claim({ things: ["pdu-3"], from: 200, until: 300 }))).toBe(false);
    expect(claimsOverlap(claim(), claim({ things: ["host-1"] }))).toBe(false);
    expect(claimsOverlap(claim({ things: [], systems: ["r"] }), claim({ things: [], systems: ["r"] }))).toBe(
      true,
    );
  });
});
