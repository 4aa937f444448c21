import { describe, expect, it } from "vitest";
import type { JsonObject } from "../../shared/json.ts";
import { computeDelta } from "../../shared/shadow-delta.ts";
import { renderShadow, renderUpdateAccepted } from "../../shared/shadow-document.ts";
import { applyPatchOps, planMetadata, planPatch } from "../../shared/shadow-patch.ts";

describe("planPatch", () => {
  it("plans nothing for a patch that repeats the state", () => {
    const state = { a: 1, b: { c: "x", d: [1, 2] } };
    expect(planPatch(state, { a: 1, b: { d: [1, 2] } })).toEqual([]);
  });
  it("merges objects, replaces arrays, deletes with null", () => {
    const state = { a: 1, b: { c: "x", d: [1, 2] }, e: true };
    const ops = planPatch(state, { b: { d: [3], f: 2 }, e: null, g: { h: null, i: 1 } });
    expect(applyPatchOps(state, ops)).toEqual({ a: 1, b: { c: "x", d: [3], f: 2 }, g: { i: 1 } });
  });
  it("clears a section with null and ignores deletes of absent keys", () => {
    expect(applyPatchOps({ a: 1, b: 2 }, planPatch({ a: 1, b: 2 }, null))).toEqual({});
    expect(planPatch({ a: 1 }, { z: null })).toEqual([]);
  });
  it("replaces a scalar by an object and back", () => {
    expect(applyPatchOps({ a: 1 }, planPatch({ a: 1 }, { a: { b: 2 } }))).toEqual({ a: { b: 2 } });
    expect(applyPatchOps({ a: { b: 2 } }, planPatch({ a: { b: 2 } }, { a: 3 }))).toEqual({ a: 3 });
  });
  it("stamps metadata for written leaves", () => {
    const ops = planPatch({}, { a: { b: 1, c: [1] } });
    expect(planMetadata(ops, 42)).toEqual([{ kind: "set", path: ["a"], value: { b: 42, c: 42 } }]);
  });
});

describe("applyPatchOps", () => {
  const deepFreeze = <T>(v: T): T => {
    if (typeof v === "object" && v !== null) for (const x of Object.values(v)) deepFreeze(x);
    return Object.freeze(v);
  };

  it("never changes its input, copies only the edited maps and matches a deep-copy reference", () => {
    const before = deepFreeze({ a: { b: 1, c: { d: 2 } }, e: [1, 2], f: { g: 3 } }) as JsonObject;
    const patch = { a: { c: { d: null, x: [4] }, n: { m: 1 } }, e: null, z: "new" } as JsonObject;
    const ops = planPatch(before, patch);
    // Frozen input: any write to it would throw here.
    const after = applyPatchOps(before, ops);
    expect(after).toEqual({ a: { b: 1, c: { x: [4] }, n: { m: 1 } }, f: { g: 3 }, z: "new" });
    expect(before).toEqual({ a: { b: 1, c: { d: 2 } }, e: [1, 2], f: { g: 3 } });
    // The untouched map is shared, the edited ones are new.
    expect(after.f).toBe(before.f);
    expect(after.a).not.toBe(before.a);
    // Written values are copies: changing the patch later does not reach the result.
    ((patch.a as JsonObject).c as { x: number[] }).x.push(5);
    expect(after).toMatchObject({ a: { c: { x: [4] } } });
  });
});

describe("delta", () => {
  it("contains only the differing desired leaves, arrays compared whole", () => {
    expect(
      computeDelta({ a: 1, b: { c: 2, d: 3 }, e: [1, 2] }, { a: 1, b: { c: 2, d: 4 }, e: [1, 2], x: 9 }),
    ).toEqual({
      b: { d: 3 },
    });
    expect(computeDelta({ e: [1, 2] }, { e: [2, 1] })).toEqual({ e: [1, 2] });
    expect(computeDelta({ a: 1 }, { a: 1 })).toBeUndefined();
    expect(computeDelta({ a: {} }, {})).toBeUndefined();
  });
});

describe("documents", () => {
  it("renders get/accepted with delta and metadata, omitting empty sections", () => {
    const doc = renderShadow(
      {
        exists: true,
        version: 4,
        desired: { a: 1, empty: {} },
        reported: {},
        meta: { desired: { a: 10, empty: {} }, reported: {} },
      },
      99,
      "tok",
    );
    expect(doc).toEqual({
      state: { desired: { a: 1 }, delta: { a: 1 } },
      metadata: { desired: { a: { timestamp: 10 } } },
      version: 4,
      timestamp: 99,
      clientToken: "tok",
    });
  });
  it("renders update/accepted with a timestamp for every named leaf", () => {
    expect(renderUpdateAccepted({ desired: { a: null, b: { c: 1 } }, reported: null }, 2, 7)).toEqual({
      state: { desired: { a: null, b: { c: 1 } }, reported: null },
      metadata: { desired: { a: { timestamp: 7 }, b: { c: { timestamp: 7 } } }, reported: { timestamp: 7 } },
      version: 2,
      timestamp: 7,
    });
  });
});
