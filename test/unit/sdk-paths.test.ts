import { describe, expect, it } from "vitest";
import {
  changedLeaves,
  getLeaf,
  leavesOf,
  mergePatch,
  patchOf,
  pathKey,
  pathsOverlap,
  setLeaf,
} from "../../device-agent/sdk/paths.ts";
import type { JsonObject } from "../../shared/json.ts";

describe("sdk paths (leaves of shadow state)", () => {
  it("splits a patch into leaves; arrays and null are leaves, empty objects are nothing", () => {
    const patch: JsonObject = { a: { b: 1, c: [1, { x: 2 }] }, d: null, e: {}, f: { g: {} } };
    expect(leavesOf(patch)).toEqual([
      { path: ["a", "b"], value: 1 },
      { path: ["a", "c"], value: [1, { x: 2 }] },
      { path: ["d"], value: null },
    ]);
    expect(patchOf(leavesOf(patch))).toEqual({ a: { b: 1, c: [1, { x: 2 }] }, d: null });
  });

  it("merges like the node: objects recurse, null deletes, arrays replace, empty objects vanish", () => {
    const base: JsonObject = { a: { b: 1, c: 2 }, list: [1, 2], s: "x" };
    expect(mergePatch(base, { a: { b: null }, list: [3], s: { t: 1 } })).toEqual({
      a: { c: 2 },
      list: [3],
      s: { t: 1 },
    });
    expect(mergePatch(base, { a: { b: null, c: null } })).toEqual({ list: [1, 2], s: "x" });
    expect(base).toEqual({ a: { b: 1, c: 2 }, list: [1, 2], s: "x" }); // inputs untouched
  });

  it("tells overlapping paths apart from look-alike keys", () => {
    expect(pathsOverlap(["a"], ["a", "b"])).toBe(true);
    expect(pathsOverlap(["a", "b"], ["a"])).toBe(true);
    expect(pathsOverlap(["a"], ["ab"])).toBe(false);
    expect(pathsOverlap(["a.b"], ["a", "b"])).toBe(false);
    expect(pathKey(["a,b"])).not.toBe(pathKey(["a", "b"]));
  });

  it("sets and gets leaves, replacing scalars on the way", () => {
    const o: JsonObject = { a: 5 };
    setLeaf(o, ["a", "b", "c"], true);
    expect(o).toEqual({ a: { b: { c: true } } });
    expect(getLeaf(o, ["a", "b", "c"])).toBe(true);
    expect(getLeaf(o, ["a", "x", "c"])).toBeUndefined();
  });

  it("finds the leaves a report would actually change", () => {
    const reported: JsonObject = { a: 1, b: { c: [1] }, gone: 1 };
    expect(changedLeaves(reported, { a: 1, b: { c: [1] } })).toEqual([]);
    expect(
      changedLeaves(reported, { a: 2, b: { c: [1, 2] }, gone: null, never: null }).map((l) => l.path),
    ).toEqual([["a"], ["b", "c"], ["gone"]]);
  });
});
