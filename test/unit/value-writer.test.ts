import { describe, expect, it } from "vitest";
import { rootsOf } from "../../broker/shadow/raw-doc.ts";
import { ShadowDocument } from "../../broker/shadow/shadow-doc.ts";
import { applyOps } from "../../broker/shadow/value-writer.ts";

const T = 1_700_000_000;

describe("applyOps (maps looked up once per call)", () => {
  it("writes several leaves under the same nested maps, and new maps beside them", () => {
    const doc = ShadowDocument.create("0c".repeat(16));
    doc.update({ reported: { power: { w: 1, va: 2 }, env: { t: { in: 20 } } } }, T);
    doc.update({ reported: { power: { w: 3, va: 4, pf: { x: 1 } }, env: { t: { in: 21, out: 5 } } } }, T + 1);
    expect(doc.materialize()).toEqual({ ...doc.view, meta: doc.view.meta });
    expect(doc.view.reported).toEqual({
      power: { w: 3, va: 4, pf: { x: 1 } },
      env: { t: { in: 21, out: 5 } },
    });
  });

  it("does not write under a map that an earlier op of the same call replaced", () => {
    // Raw ops, in an order the planner does not produce: write under `a`, replace `a`, write under it.
    const doc = ShadowDocument.create("0d".repeat(16));
    doc.update({ reported: { a: { b: 1 } } }, T);
    const raw = (doc as unknown as { raw: Parameters<typeof applyOps>[0] }).raw;
    applyOps(raw, rootsOf().reported, [
      { kind: "set", path: ["a", "b"], value: 2 },
      { kind: "set", path: ["a"], value: { c: 1 } },
      { kind: "set", path: ["a", "d"], value: 3 },
      { kind: "delete", path: ["a"] },
      { kind: "set", path: ["a", "e"], value: 4 },
    ]);
    raw.commit(null, T + 1);
    expect(doc.materialize().reported).toEqual({ a: { e: 4 } });
  });
});
