import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { OfflineQueue } from "../../device-agent/sdk/offline-queue.ts";
import { tempDir } from "../helpers/node.ts";

/** Drains a queue batch by batch, as the reporter does. */
function drain(q: OfflineQueue, maxBytes?: number) {
  const out = [];
  for (let b = q.nextBatch(maxBytes); b; b = q.nextBatch(maxBytes)) {
    out.push(b.patch);
    q.remove(b.seqs);
  }
  return out;
}

describe("sdk offline queue (SQLite, coalescing, ordered)", () => {
  const dir = tempDir("umbra-sdk-queue-");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps only the latest value per key, in the order the latest values were produced", () => {
    const q = new OfflineQueue(undefined, "t");
    for (let i = 1; i <= 50; i++) q.enqueue({ temp: i });
    q.enqueue({ fan: "low" });
    q.enqueue({ temp: 99 });
    expect(q.size).toBe(2);
    const b = q.nextBatch();
    expect(b?.patch).toEqual({ fan: "low", temp: 99 });
    expect(Object.keys(b?.patch ?? {})).toEqual(["fan", "temp"]);
    q.close();
  });

  it("a newer ancestor replaces queued descendants; the replaced rows are reported", () => {
    const q = new OfflineQueue(undefined, "t");
    const first = q.enqueue({ a: { x: 1, y: 2 }, b: 1 });
    const second = q.enqueue({ a: null });
    expect(second.superseded.map(([old]) => old).sort()).toEqual(first.seqs.slice(0, 2).sort());
    expect(second.superseded.every(([, seq]) => seq === second.seqs[0])).toBe(true);
    expect(drain(q)).toEqual([{ b: 1, a: null }]);
    q.close();
  });

  it("an older ancestor and a newer descendant go out in two updates, in order", () => {
    const q = new OfflineQueue(undefined, "t");
    q.enqueue({ a: null });
    q.enqueue({ a: { y: 2 }, z: 1 });
    expect(drain(q)).toEqual([{ a: null }, { a: { y: 2 }, z: 1 }]);
    q.close();
  });

  it("keys that look like paths are not prefixes of each other", () => {
    const q = new OfflineQueue(undefined, "t");
    q.enqueue({ "a,b": 1, 'a"': 2, a: { b: 3 } });
    q.enqueue({ a: 4 });
    expect(drain(q)).toEqual([{ "a,b": 1, 'a"': 2, a: 4 }]);
    q.close();
  });

  it("splits by size but never below one row, and an empty patch queues nothing", () => {
    const q = new OfflineQueue(undefined, "t");
    expect(q.enqueue({ nothing: {} }).seqs).toEqual([]);
    q.enqueue({ big: "x".repeat(500), k1: 1, k2: 2, k3: 3 });
    const batches = drain(q, 100);
    expect(batches[0]).toEqual({ big: "x".repeat(500) });
    expect(batches.slice(1)).toEqual([{ k1: 1, k2: 2, k3: 3 }]);
    q.close();
  });

  it("survives a reopen of its file, and scopes (things) do not see each other's rows", () => {
    const file = join(dir, "queue.db");
    const a = new OfflineQueue(file, "thing-a");
    const b = new OfflineQueue(file, "thing-b");
    a.enqueue({ x: 1 });
    a.enqueue({ x: 2, y: [1, 2] });
    b.enqueue({ x: "b" });
    a.close();
    b.close();
    const again = new OfflineQueue(file, "thing-a");
    expect(again.size).toBe(2);
    expect(drain(again)).toEqual([{ x: 2, y: [1, 2] }]);
    const otherAgain = new OfflineQueue(file, "thing-b");
    expect(drain(otherAgain)).toEqual([{ x: "b" }]);
    again.close();
    otherAgain.close();
  });
});
