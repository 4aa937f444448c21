import { describe, expect, it } from "vitest";
import { type AgreedCutOptions, AgreedCuts } from "../../broker/relay/agreed-cuts.ts";

/** A shadow the cutter may cut once `lagging` is false, with a hand-driven sweep timer. */
function harness(options: AgreedCutOptions = {}) {
  const state = { lagging: true, due: true, epoch: 0, cutsTried: 0, failNextCut: false };
  const timers: (() => void)[] = [];
  /** The shadows the cutter looked at, in order. */
  const looked: string[] = [];
  const cuts = new AgreedCuts(
    {
      ready: (key) => {
        looked.push(key);
        return state.due && !state.lagging;
      },
      due: () => state.due,
      cut: async () => {
        await Promise.resolve(); // through the group commit
        state.cutsTried++;
        if (state.failNextCut) {
          state.failNextCut = false;
          return false;
        }
        if (state.lagging) return false; // the policy decides again at write time
        state.epoch++;
        state.due = false;
        return true;
      },
      onCut: () => undefined,
      onError: () => undefined,
      after: (_ms, f) => {
        timers.push(f);
        return () => timers.splice(timers.indexOf(f), 1);
      },
    },
    options,
  );
  const tick = () => {
    for (const f of timers.splice(0)) f();
  };
  const settle = () => new Promise((r) => setTimeout(r, 5));
  return { state, cuts, timers, looked, tick, settle };
}

describe("AgreedCuts", () => {
  it("cuts on the ack that finds every peer holding the heads", async () => {
    const h = harness();
    h.state.lagging = false;
    h.cuts.acked("k");
    await h.settle();
    expect(h.state.epoch).toBe(1);
    expect(h.cuts.sweeping).toBe(0);
    expect(h.timers).toHaveLength(0);
  });

  it("looks again without an ack when the peers caught up after the last one (no cut left waiting)", async () => {
    const h = harness();
    h.cuts.acked("k"); // a peer lags: not ready
    expect(h.cuts.sweeping).toBe(1);
    h.tick();
    await h.settle();
    expect(h.state.epoch).toBe(0);
    h.state.lagging = false; // caught up, and no further ack comes
    h.tick();
    await h.settle();
    expect(h.state.epoch).toBe(1);
    expect(h.cuts.sweeping).toBe(0);
    expect(h.timers).toHaveLength(0);
  });

  it("sweeps again after a cut the commit refused, beyond the immediate retries", async () => {
    const h = harness();
    h.state.lagging = false;
    h.state.failNextCut = true;
    h.cuts.acked("k");
    await h.settle();
    // The immediate retry cut it.
    expect(h.state.epoch).toBe(1);
    const g = harness();
    g.state.lagging = false;
    g.cuts.acked("k");
    g.state.lagging = true; // lagging again at write time and after it
    await g.settle();
    expect(g.state.epoch).toBe(0);
    expect(g.cuts.sweeping).toBe(1);
    g.state.lagging = false;
    g.tick();
    await g.settle();
    expect(g.state.epoch).toBe(1);
  });

  it("gives up after maxSweeps and starts again on the next ack; never watches a shadow that is not due", async () => {
    const h = harness({ maxSweeps: 3 });
    h.cuts.acked("k");
    for (let i = 0; i < 5; i++) h.tick();
    expect(h.cuts.sweeping).toBe(0);
    expect(h.timers).toHaveLength(0);
    h.cuts.acked("k");
    expect(h.cuts.sweeping).toBe(1);
    h.state.due = false; // e.g. a parent shares it, or it has not grown enough
    h.tick();
    expect(h.cuts.sweeping).toBe(0);
    h.cuts.acked("other");
    expect(h.cuts.sweeping).toBe(0);
    expect(h.state.cutsTried).toBe(0);
  });

  it("looks at no more than perSweep shadows per sweep, taking turns", () => {
    const h = harness({ perSweep: 2 });
    for (const k of ["a", "b", "c"]) h.cuts.acked(k);
    h.looked.length = 0;
    h.tick();
    expect(h.looked).toEqual(["a", "b"]);
    h.tick();
    expect(h.looked).toEqual(["a", "b", "c", "a"]);
    expect(h.cuts.sweeping).toBe(3);
    h.cuts.close();
  });

  it("close cancels the sweep", () => {
    const h = harness();
    h.cuts.acked("k");
    expect(h.timers).toHaveLength(1);
    h.cuts.close();
    expect(h.timers).toHaveLength(0);
    expect(h.cuts.sweeping).toBe(0);
  });
});
