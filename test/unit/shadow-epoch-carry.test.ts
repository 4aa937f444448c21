import { describe, expect, it } from "vitest";
import { epochActor } from "../../broker/shadow/epoch-base.ts";
import { coveredClock, findBase, leafDiff, parseCutMessage } from "../../broker/shadow/epoch-carry.ts";
import { ShadowDocument, skeletonHeads } from "../../broker/shadow/shadow-doc.ts";

const KEY = "pdu-1";
const T = 1_700_000_000;
const A = "0a".repeat(16);
const B = "0b".repeat(16);

/** Sends everything `from` has that `to` lacks (same epoch). */
function sync(from: ShadowDocument, to: ShadowDocument): void {
  to.applyRemote(from.changesSince(to.heads()), T);
}

const plainView = (d: ShadowDocument) => {
  const { meta: _m, ...v } = d.view;
  return v;
};

describe("agreed cuts: base record, adoption and carry-over (docs/shadow-engine.md)", () => {
  it("records cut heads and a cumulative covered clock in the base", () => {
    const a = ShadowDocument.create(A, "a");
    const b = ShadowDocument.create(B, "b");
    a.update({ desired: { x: 1 } }, T);
    b.update({ reported: { y: 1 } }, T);
    b.update({ reported: { y: 2 } }, T);
    sync(b, a);
    const heads = a.heads();
    expect(a.cutAgreed(KEY)).toBe(true);
    expect(a.epoch).toBe(1);
    const sent = a.changesSince(skeletonHeads());
    const base = findBase(sent, epochActor(KEY, 1));
    const record = parseCutMessage(base?.message ?? null);
    expect(record.heads.sort()).toEqual([...heads].sort());
    expect(record.clock).toEqual({ [A]: [0, 1], [B]: [0, 2] });
    // The next cut keeps B's entry (no change of B in epoch 1) and adds A's epoch-1 change.
    a.update({ desired: { x: 2 } }, T);
    expect(coveredClock(getRaw(a), KEY, 1, "0".repeat(32))).toEqual({ [A]: [1, 1], [B]: [0, 2] });
  });

  it("adopts at exactly the cut heads without carrying anything", () => {
    const a = ShadowDocument.create(A, "a");
    const b = ShadowDocument.create(B, "b");
    a.update({ desired: { x: 1 } }, T);
    b.update({ reported: { y: 1 } }, T);
    sync(b, a);
    sync(a, b);
    a.cutAgreed(KEY);
    expect(b.adopt(KEY, 1, a.changesSince(b.heads()), T)).toBe(0);
    expect(b.heads()).toEqual(a.heads());
    expect(plainView(b)).toEqual(plainView(a));
  });

  it("carries over the writes the base does not hold, a concurrent desired write included", () => {
    const a = ShadowDocument.create(A, "a");
    const b = ShadowDocument.create(B, "b");
    a.update({ desired: { x: 1, gone: true } }, T);
    sync(a, b);
    b.update({ reported: { y: 1 } }, T); // reaches a before the cut: covered
    sync(b, a);
    a.update({ desired: { x: 2 } }, T);
    a.cutAgreed(KEY);
    a.update({ desired: { x: 3 } }, T); // epoch 1
    // b, cut off: a concurrent desired write, a nested one, and a removal.
    b.update({ desired: { mine: "kept", nest: { k: 1 } } }, T + 5);
    b.update({ desired: { gone: null } }, T + 6);
    const version = a.view.version;
    expect(b.adopt(KEY, 1, a.changesSince(b.heads()), T)).toBe(2);
    expect(b.epoch).toBe(1);
    expect(b.view.desired).toEqual({ x: 3, mine: "kept", nest: { k: 1 } });
    expect(b.view.reported).toEqual({ y: 1 });
    expect(b.view.version).toBe(version + 2);
    sync(b, a);
    expect(plainView(a)).toEqual(plainView(b));
  });

  it("asks for a resend when the base is not among the changes", () => {
    const a = ShadowDocument.create(A, "a");
    const b = ShadowDocument.create(B, "b");
    a.update({ desired: { x: 1 } }, T);
    a.cutAgreed(KEY);
    const base = a.heads();
    a.update({ desired: { x: 2 } }, T);
    expect(b.adopt(KEY, 1, a.changesSince(base), T)).toBeUndefined();
    expect(b.epoch).toBe(0);
  });

  it("leafDiff: changed leaves, nested objects and removals", () => {
    expect(leafDiff({ a: 1, b: { c: 1, d: 2 }, e: [1] }, { a: 1, b: { c: 2, d: 2 }, f: "x" })).toEqual({
      b: { c: 2 },
      f: "x",
      e: null,
    });
    expect(leafDiff({ a: 1 }, { a: 1 })).toBeUndefined();
  });
});

function getRaw(doc: ShadowDocument): Parameters<typeof coveredClock>[0] {
  return (doc as unknown as { raw: Parameters<typeof coveredClock>[0] }).raw;
}
