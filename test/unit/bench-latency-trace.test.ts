import { describe, expect, it } from "vitest";
import { attribute, blockers } from "../../bench/latency-trace.ts";
import type { TraceEvent } from "../../broker/metrics/latency-trace.ts";

describe("bench/latency-trace: what overlapped the slow requests", () => {
  const events: TraceEvent[] = [
    // A checkpoint on the commit worker 100–110 ms.
    ["checkpoint", 100, 10, 1400],
    // A batch prepared at 200 whose fsync took 12 ms (holds 200–215), one with a fast fsync (ignored).
    ["batch", 200, 0.5, 14.5, 0.5, 12, 4, 1],
    ["batch", 230, 0.1, 1, 0.2, 0.5, 2, 0.3],
    // A 6-ms scavenge at 300 with the stall it caused, and a stall with no GC at 400.
    ["gc", 300, 6, 1],
    ["stall", 299, 7],
    ["stall", 400, 8],
    // A view flush slice of 9 ms at 800 and the stall it caused (the slice's, not a stall of its own).
    ["task", 800, 9, "views"],
    ["stall", 800, 9],
    // Too short to count.
    ["gc", 500, 1, 1],
    ["stall", 600, 2],
  ];

  it("turns events into the intervals they held; a stall containing a GC pause or a traced task is theirs", () => {
    expect(blockers(events).map((i) => [i.cause, i.from, i.to])).toEqual([
      ["checkpoint", 100, 110],
      ["slow fsync", 200, 215],
      ["gc", 300, 306],
      ["stall", 400, 408],
      ["view flush", 800, 809],
    ]);
  });

  it("counts each slow request under the blockers it overlapped, the longest overlap as dominant", () => {
    const requests: [number, number][] = [
      [95, 20], // 95–115: the checkpoint
      [205, 20], // 205–225: the slow fsync
      [298, 20], // 298–318: the GC
      [398, 20], // 398–418: the stall
      [105, 300], // 105–405: all four; the fsync overlaps longest (15 ms)
      [700, 20], // nothing
      [805, 20], // 805–825: the view flush
      [100, 5], // fast: not counted
    ];
    const a = attribute(requests, blockers(events), 10);
    expect(a.slow).toBe(7);
    const none = { "slow sql": 0, retention: 0 };
    expect(a.overlapped).toEqual({
      ...none,
      checkpoint: 2,
      "slow fsync": 2,
      gc: 2,
      "view flush": 1,
      stall: 2,
    });
    expect(a.dominant).toEqual({ ...none, checkpoint: 1, "slow fsync": 2, gc: 1, "view flush": 1, stall: 1 });
    expect(a.none).toBe(1);
  });
});
