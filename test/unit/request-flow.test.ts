import { describe, expect, it } from "vitest";
import { RequestFlow } from "../../broker/mqtt/request-flow.ts";

/** A request that starts when let through and finishes when the test says so. */
function requests(flow: RequestFlow) {
  const started: number[] = [];
  const submit = (id: number) =>
    flow.admit(() => {
      flow.started();
      started.push(id);
    });
  return { started, submit };
}

describe("RequestFlow", () => {
  it("lets requests through up to the limit, holds the rest in arrival order, releases from resumeAt", () => {
    const flow = new RequestFlow(4, 2);
    const { started, submit } = requests(flow);
    for (let i = 1; i <= 7; i++) submit(i);
    expect(started).toEqual([1, 2, 3, 4]);
    expect(flow.waiting).toBe(3);
    flow.finished(); // 3 in work: above resumeAt, nothing released
    expect(started).toEqual([1, 2, 3, 4]);
    flow.finished(); // 2 in work: up to the limit again
    expect(started).toEqual([1, 2, 3, 4, 5, 6]);
    expect(flow.inWork).toBe(4);
    // A request arriving while others are held waits behind them, even when there is room.
    flow.finished();
    submit(8);
    expect(started).toEqual([1, 2, 3, 4, 5, 6]);
    flow.finished();
    expect(started).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(flow.waiting).toBe(0);
    expect(flow.heldTotal).toBe(4);
  });

  it("never holds with limit 0", () => {
    const flow = new RequestFlow(0);
    const { started, submit } = requests(flow);
    for (let i = 0; i < 10_000; i++) submit(i);
    expect(started).toHaveLength(10_000);
    expect(flow.waiting).toBe(0);
  });

  it("a held request that finishes at once (refused) lets the next one through in the same release", () => {
    const flow = new RequestFlow(1, 0);
    const order: string[] = [];
    flow.admit(() => {
      flow.started();
      order.push("a");
    });
    flow.admit(() => {
      flow.started();
      order.push("b");
      flow.finished(); // answered synchronously: no reentrant release, the loop goes on
    });
    flow.admit(() => {
      flow.started();
      order.push("c");
    });
    flow.finished();
    expect(order).toEqual(["a", "b", "c"]);
    expect(flow.inWork).toBe(1);
    expect(flow.waiting).toBe(0);
  });

  it("keeps its queue small over a long run (no unbounded growth of released slots)", () => {
    const flow = new RequestFlow(10, 5);
    const { started, submit } = requests(flow);
    let finished = 0;
    for (let round = 0; round < 2_000; round++) {
      for (let i = 0; i < 25; i++) submit(round * 25 + i);
      while (flow.inWork > 0) {
        flow.finished();
        finished++;
      }
    }
    expect(started).toHaveLength(50_000);
    expect(finished).toBe(50_000);
    expect(flow.waiting).toBe(0);
    // biome-ignore lint/complexity/useLiteralKeys: the private queue's length is what is checked
    expect((flow as unknown as { held: unknown[] })["held"].length).toBeLessThan(2_048);
  });
});
