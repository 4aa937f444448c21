import { randomBytes } from "node:crypto";
import * as A from "@automerge/automerge";
import { describe, expect, it } from "vitest";
import { ChangeFramePacker, type PackOffer } from "../../broker/relay/change-packing.ts";
import { FlushScheduler } from "../../broker/relay/flush-scheduler.ts";
import { SendWindow } from "../../broker/relay/send-window.ts";
import { tipsOf } from "../../shared/relay/heads.ts";
import { TokenBucket } from "../../shared/token-bucket.ts";
import { FakeClock } from "../helpers/fake-clock.ts";

/** A shadow-like Automerge document with `n` changes after its first; its changes in causal order. */
function history(n: number, pad = 0): { changes: Uint8Array[]; heads: string[] } {
  let doc = A.from<{ v: number; pad?: string }>({ v: 0 });
  for (let i = 1; i <= n; i++)
    doc = A.change(doc, (d) => {
      d.v = i;
      if (pad) d.pad = `${i}`.repeat(pad);
    });
  return { changes: A.getAllChanges(doc), heads: A.getHeads(doc) };
}

function offer(key: string, h: { changes: Uint8Array[]; heads: string[] }, since = 0): PackOffer {
  return { key, since, changes: h.changes, base: [], heads: () => h.heads, hasAll: () => true };
}

describe("TokenBucket (shared/token-bucket.ts)", () => {
  it("refills at its rate up to its capacity and tells how long a debt takes to repay", () => {
    const b = new TokenBucket(1000, 1000, 0, 0);
    expect(b.waitMs(0)).toBe(0);
    b.spend(500);
    expect(b.waitMs(0)).toBe(500); // 500 bytes short at 1000 B/s
    expect(b.waitMs(250)).toBe(250);
    expect(b.waitMs(500)).toBe(0);
    expect(b.level(10_000)).toBe(1000); // capped
    expect(b.waitMs(10_000, 1001)).toBe(1);
    b.reset(10_000, 0);
    expect(b.level(10_000)).toBe(0);
  });
});

describe("FlushScheduler (broker/relay/flush-scheduler.ts)", () => {
  it("keeps one timer: within() keeps the earlier flush, asap() replaces a later one", () => {
    const clock = new FakeClock();
    let flushes = 0;
    const s = new FlushScheduler(clock, () => flushes++);
    s.within(100);
    s.within(10); // the earlier scheduled flush stands
    expect(clock.pending).toBe(1);
    clock.advance(50);
    expect(flushes).toBe(0);
    s.asap();
    expect(clock.pending).toBe(1);
    clock.advance(0);
    expect(flushes).toBe(1);
    expect(s.scheduled).toBe(false);
    clock.advance(1000); // the replaced timer never fires
    expect(flushes).toBe(1);
    s.within(-5); // a wait already over runs on the next turn
    s.stop();
    clock.advance(10);
    expect(flushes).toBe(1);
  });
});

describe("SendWindow (broker/relay/send-window.ts)", () => {
  it("matches acks by session epoch and sequence, and reports what is in flight", () => {
    const w = new SendWindow(2);
    w.restart(7);
    const s1 = w.nextSeq();
    w.add(s1, { bytes: new Uint8Array(10), heads: new Map([["a", ["h"]]]), since: 5, sentAt: 100 });
    const s2 = w.nextSeq();
    w.add(s2, { bytes: new Uint8Array(4), heads: new Map(), since: 9, sentAt: 200 });
    expect(w.full).toBe(true);
    expect(w.get(6, s1)).toBeUndefined(); // an ack of an earlier session
    expect(w.get(7, s1)?.since).toBe(5);
    expect(w.carries("a")).toBe(true);
    expect(w.load()).toEqual({ keys: new Set(["a"]), bytes: 14, oldest: 5 });
    expect(w.overdue(250, 100).length).toBe(1);
    w.remove(s1);
    expect(w.carries("a")).toBe(false);
    expect(w.restart(8).length).toBe(1);
    expect(w.nextSeq()).toBe(1);
  });
});

describe("ChangeFramePacker (broker/relay/change-packing.ts)", () => {
  it("packs whole shadows while they fit and sends heads only where tips do not tell them", () => {
    const a = history(3);
    const b = history(2);
    const p = new ChangeFramePacker(64 * 1024);
    expect(p.offer(offer("a", a, 30))).toBe("whole");
    expect(p.offer(offer("b", b, 20))).toBe("whole");
    expect(p.sets.map((s) => s.key)).toEqual(["a", "b"]);
    expect(p.heads.get("a")).toEqual(a.heads);
    expect(p.since(1000)).toBe(20);
    // The heads of whole histories are their tips: nothing explicit on the wire.
    expect(p.explicitHeads()).toEqual({});
  });

  it("slices a long history causally, naming the slice's tips", () => {
    const long = history(40, 200);
    const size = (cs: Uint8Array[]) => cs.reduce((n, c) => n + c.byteLength, 0);
    const budget = Math.floor(size(long.changes) / 3);
    const p = new ChangeFramePacker(budget);
    expect(p.offer(offer("long", long))).toBe("slice");
    const slice = p.sets[0]?.changes ?? [];
    expect(slice.length).toBeGreaterThan(0);
    expect(slice.length).toBeLessThan(long.changes.length);
    expect(size(slice)).toBeLessThanOrEqual(budget);
    expect(slice).toEqual(long.changes.slice(0, slice.length)); // a prefix applies on its own
    expect(p.heads.get("long")).toEqual(tipsOf(slice));
  });

  it("defers a shadow that does not fit at all once the frame holds another", () => {
    const a = history(2);
    const big = { changes: A.getAllChanges(A.from({ pad: randomBytes(2000).toString("hex") })), heads: [] };
    const p = new ChangeFramePacker(a.changes.reduce((n, c) => n + c.byteLength, 0) + 10);
    expect(p.offer(offer("a", a))).toBe("whole");
    expect(p.offer(offer("big", big))).toBe("deferred");
    expect(p.sets.map((s) => s.key)).toEqual(["a"]);
    expect(p.heads.has("big")).toBe(false);
  });

  it("sends one change larger than the budget alone rather than never", () => {
    const big = history(0, 0);
    const p = new ChangeFramePacker(1);
    expect(p.offer(offer("big", big))).toBe("whole");
    expect(p.full).toBe(true);
  });

  it("names the base heads it still holds when slicing from a base", () => {
    const h = history(10, 300);
    const base = [h.heads[0] as string];
    const p = new ChangeFramePacker(700);
    const o: PackOffer = { ...offer("k", { changes: h.changes.slice(5), heads: h.heads }), base };
    expect(p.offer(o)).toBe("slice");
    expect(p.heads.get("k")).toEqual(expect.arrayContaining(base));
    expect(Object.keys(p.explicitHeads())).toEqual(["k"]);
  });
});
