import { describe, expect, it } from "vitest";
import { conditionPatch, conditionsOf } from "../../device-agent/sdk/conditions.ts";
import { Reconciler } from "../../device-agent/sdk/reconcile.ts";
import { ShadowState } from "../../device-agent/sdk/shadow-state.ts";
import type { DeltaContext, DeltaHandler } from "../../device-agent/sdk/types.ts";
import type { JsonObject } from "../../shared/json.ts";
import { until } from "../helpers/device-sdk.ts";

/**
 * The reconcile loop against a ShadowState, with a fake transport: reports are applied to the state at once
 * and recorded, as the device does with its durable queue.
 */
function harness(opts: { initialMs?: number; maxMs?: number } = {}) {
  const state = new ShadowState();
  const reports: JsonObject[] = [];
  const calls: { delta: JsonObject; ctx: DeltaContext; at: number }[] = [];
  const reconciler = new Reconciler({
    state,
    report: async (patch) => {
      state.applyReport(patch);
      reports.push(patch);
    },
    retry: { initialMs: opts.initialMs ?? 20, maxMs: opts.maxMs ?? 40 },
    random: () => 0.999,
  });
  const record =
    (impl: DeltaHandler = () => undefined): DeltaHandler =>
    (delta, ctx) => {
      calls.push({ delta, ctx, at: Date.now() });
      return impl(delta, ctx);
    };
  /** Full state as get/accepted would bring it. */
  const full = (version: number, desired: JsonObject, reported: JsonObject = state.reported) =>
    state.applyFull({ version, desired, reported });
  const reconciled = () => conditionsOf(state.reported).find((c) => c.type === "Reconciled");
  return { state, reports, calls, reconciler, record, full, reconciled };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

describe("sdk reconcile loop", () => {
  it("does nothing before the first full state, then runs once for the whole delta", async () => {
    const h = harness();
    h.reconciler.setHandler(h.record());
    h.full(4, { power: "on", level: 3 }, { power: "off" });
    await tick();
    expect(h.calls).toEqual([]);
    h.reconciler.activate();
    await until("first call", () => h.calls.length === 1);
    expect(h.calls[0]?.delta).toEqual({ power: "on", level: 3 });
    expect(h.calls[0]?.ctx).toMatchObject({ version: 4, attempt: 1, desired: { power: "on", level: 3 } });
    await until("report", () => h.reports.length === 1);
    expect(h.state.delta).toBeUndefined();
    expect(h.reconciled()).toMatchObject({ status: "True", reason: "Applied", observedVersion: 4 });
  });

  it("ignores a delta older than the known state (stale version) and applies a newer one", async () => {
    const h = harness();
    h.reconciler.setHandler(h.record());
    h.full(7, { mode: "b" }, { mode: "b" });
    h.reconciler.activate();
    await tick();
    expect(h.reconciler.onDelta({ state: { mode: "a" }, version: 5 })).toBe(false);
    await tick();
    expect(h.calls).toEqual([]);
    expect(h.state.desired).toEqual({ mode: "b" });
    expect(h.reconciler.stats.staleDeltas).toBe(1);
    expect(h.reconciler.onDelta({ state: { mode: "c" }, version: 8 })).toBe(true);
    await until("call for v8", () => h.calls.length === 1);
    expect(h.calls[0]?.delta).toEqual({ mode: "c" });
    expect(h.calls[0]?.ctx.version).toBe(8);
  });

  it("a full state older than the known one is stale too; a re-created shadow (restart) is not", () => {
    const h = harness();
    h.full(9, { a: 1 });
    expect(h.full(3, { a: 2 })).toBe(false);
    expect(h.state.desired).toEqual({ a: 1 });
    expect(h.state.applyFull({ version: 1, desired: { a: 3 }, reported: {} }, true)).toBe(true);
    expect(h.state.version).toBe(1);
  });

  it("reports the handler's own values; a residual delta (clamped value) does not call it again", async () => {
    const h = harness();
    h.reconciler.setHandler(h.record((d) => ({ reported: { level: Math.min(Number(d.level), 10) } })));
    h.full(1, { level: 50 }, {});
    h.reconciler.activate();
    await until("report", () => h.reports.length === 1);
    expect(h.reports[0]).toMatchObject({ level: 10 });
    expect(h.state.delta).toEqual({ level: 50 });
    // The node answers our report with a new version and the same residual delta, several times.
    for (let v = 2; v <= 4; v++) h.reconciler.onDelta({ state: { level: 50 }, version: v });
    h.full(5, { level: 50 }, { level: 10 });
    h.reconciler.poke();
    await tick();
    expect(h.calls.length).toBe(1);
    // A new desired value is new work.
    h.reconciler.onDelta({ state: { level: 7 }, version: 6 });
    await until("second call", () => h.calls.length === 2);
    expect(h.calls[1]?.delta).toEqual({ level: 7 });
  });

  it("retries a failing handler with bounded backoff, reports the failure once, then succeeds", async () => {
    const h = harness({ initialMs: 20, maxMs: 40 });
    let n = 0;
    h.reconciler.setHandler(
      h.record(() => {
        if (++n < 4) throw new Error("relay stuck");
      }),
    );
    h.full(3, { outlet: "on" }, {});
    h.reconciler.activate();
    await until("four attempts", () => h.calls.length === 4, 3000);
    expect(h.calls.map((c) => c.ctx.attempt)).toEqual([1, 2, 3, 4]);
    const gaps = h.calls.slice(1).map((c, i) => c.at - (h.calls[i]?.at ?? 0));
    // random() = 0.999: just under the cap each time: 20, 40, 40 ms (capped), within timer slack.
    expect(gaps[0]).toBeGreaterThanOrEqual(15);
    expect(gaps[1]).toBeGreaterThanOrEqual(35);
    for (const g of gaps) expect(g).toBeLessThan(200);
    await until("success reported", () => h.reconciled()?.status === "True");
    const failures = h.reports.filter((r) => JSON.stringify(r).includes("HandlerFailed"));
    expect(failures.length).toBe(1); // the same failure again writes nothing new
    expect(failures[0]).toMatchObject({
      $status: { conditions: [{ status: "False", message: "relay stuck" }] },
    });
    expect(h.state.reported.outlet).toBe("on");
    expect(h.reconciler.stats.failures).toBe(3);
  });

  it("'cannot' becomes a False condition with the reason and is not retried for the same desired value", async () => {
    const h = harness();
    h.reconciler.setHandler(
      h.record((d) => (d.firmware ? { cannot: "firmware 9.9 is not signed" } : undefined)),
    );
    h.full(2, { firmware: "9.9" }, { firmware: "1.0" });
    h.reconciler.activate();
    await until("report", () => h.reports.length === 1);
    const c = h.reconciled();
    expect(c).toMatchObject({
      type: "Reconciled",
      status: "False",
      reason: "CannotApply",
      message: "firmware 9.9 is not signed",
      observedVersion: 2,
    });
    expect(typeof c?.lastTransitionTime).toBe("string");
    expect(h.state.reported.firmware).toBe("1.0");
    h.reconciler.onDelta({ state: { firmware: "9.9" }, version: 3 });
    await tick();
    expect(h.calls.length).toBe(1);
    h.reconciler.onDelta({ state: { firmware: "2.0" }, version: 4 });
    await until("call for 2.0", () => h.calls.length === 2);
  });

  it("a refused leaf still desired keeps Reconciled False after later work on other leaves succeeds", async () => {
    const h = harness();
    h.reconciler.setHandler(
      h.record((d) => (d.firmware === "9.9" ? { cannot: "firmware 9.9 is not signed" } : undefined)),
    );
    h.full(2, { firmware: "9.9" }, { firmware: "1.0" });
    h.reconciler.activate();
    await until("refused", () => h.reconciled()?.status === "False");
    h.reconciler.onDelta({ state: { firmware: "9.9", fan: 40 }, version: 3 });
    await until("fan applied", () => h.state.reported.fan === 40);
    expect(h.reconciled()).toMatchObject({
      status: "False",
      reason: "CannotApply",
      message: "firmware 9.9 is not signed",
      observedVersion: 3,
    });
    // A new desired firmware the handler accepts clears the refusal: everything is reconciled.
    h.reconciler.onDelta({ state: { firmware: "2.0" }, version: 5 });
    await until("True", () => h.reconciled()?.status === "True");
    expect(h.state.reported.firmware).toBe("2.0");
  });

  it("'cannot' with retry: true is retried", async () => {
    const h = harness();
    let n = 0;
    h.reconciler.setHandler(h.record(() => (++n < 3 ? { cannot: "busy", retry: true } : undefined)));
    h.full(1, { x: 1 }, {});
    h.reconciler.activate();
    await until("3 calls", () => h.calls.length === 3, 3000);
    await until("True", () => h.reconciled()?.status === "True");
  });

  it("a new desired value during a pending retry is acted on at once, as attempt 1", async () => {
    const h = harness({ initialMs: 60_000, maxMs: 60_000 });
    h.reconciler.setHandler(
      h.record((d) => {
        if (d.x === 1) throw new Error("no");
      }),
    );
    h.full(1, { x: 1 }, {});
    h.reconciler.activate();
    await until("first call", () => h.calls.length === 1);
    expect(h.reconciler.busy).toBe(true); // a retry is scheduled (a minute away)
    h.reconciler.onDelta({ state: { x: 2 }, version: 2 });
    await until("second call", () => h.calls.length === 2, 1000);
    expect(h.calls[1]?.ctx.attempt).toBe(1);
    expect(h.calls[1]?.delta).toEqual({ x: 2 });
    await until("idle", () => !h.reconciler.busy);
  });

  it("never runs the handler twice at once; work that arrives meanwhile is handled next, latest only", async () => {
    const h = harness();
    let inside = 0;
    let maxInside = 0;
    h.reconciler.setHandler(
      h.record(async () => {
        inside++;
        maxInside = Math.max(maxInside, inside);
        await new Promise((r) => setTimeout(r, 30));
        inside--;
      }),
    );
    h.full(1, { v: 0 }, {});
    h.reconciler.activate();
    await until("first call", () => h.calls.length === 1);
    for (let v = 1; v <= 5; v++) h.reconciler.onDelta({ state: { v }, version: 1 + v });
    await until(
      "settled",
      () => h.calls.length >= 2 && !h.reconciler.busy && h.state.delta === undefined,
      3000,
    );
    expect(maxInside).toBe(1);
    expect(h.calls.map((c) => c.delta.v)).toEqual([0, 5]);
  });

  it("an application report that changes a settled value makes the loop apply desired again (drift)", async () => {
    const h = harness();
    h.reconciler.setHandler(h.record());
    h.full(1, { power: "on" }, {});
    h.reconciler.activate();
    await until("applied", () => h.calls.length === 1 && h.state.delta === undefined);
    // The same value again changes nothing; a different one is drift.
    h.reconciler.noteReport({ power: "on" });
    h.state.applyReport({ power: "on" });
    h.reconciler.poke();
    await tick();
    expect(h.calls.length).toBe(1);
    h.reconciler.noteReport({ power: "off" });
    h.state.applyReport({ power: "off" });
    h.reconciler.poke();
    await until("re-applied", () => h.calls.length === 2);
    expect(h.calls[1]?.delta).toEqual({ power: "on" });
  });

  it("allows one handler at a time, and an unregistered handler is not called again", async () => {
    const h = harness();
    const off = h.reconciler.setHandler(h.record());
    expect(() => h.reconciler.setHandler(() => undefined)).toThrow(/already registered/);
    off();
    h.full(1, { a: 1 }, {});
    h.reconciler.activate();
    await tick();
    expect(h.calls).toEqual([]);
  });
});

describe("sdk conditions", () => {
  it("keeps lastTransitionTime while the status stays, moves it on a transition, keeps other types", () => {
    const t1 = new Date("2025-01-01T00:00:00Z");
    const t2 = new Date("2025-01-02T00:00:00Z");
    const base = { type: "Reconciled", reason: "HandlerFailed", message: "x", observedVersion: 1 };
    const other = { type: "Ready", status: "True" };
    let reported: JsonObject = { $status: { conditions: [other] } };
    reported = { ...reported, ...conditionPatch(reported, { ...base, status: "False" }, t1) };
    reported = { ...reported, ...conditionPatch(reported, { ...base, status: "False", message: "y" }, t2) };
    expect(conditionsOf(reported)).toEqual([
      other,
      { ...base, status: "False", message: "y", lastTransitionTime: t1.toISOString() },
    ]);
    reported = {
      ...reported,
      ...conditionPatch(reported, { ...base, status: "True", reason: "Applied" }, t2),
    };
    expect(conditionsOf(reported)[1]?.lastTransitionTime).toBe(t2.toISOString());
  });
});
