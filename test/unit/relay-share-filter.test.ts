import { describe, expect, it } from "vitest";
import { compileThingPattern, matchesThing } from "../../shared/glob.ts";
import { patternSpec, peerFilter } from "../../shared/relay/share-filter.ts";

describe("relay share filter (announced in hello)", () => {
  it("turns a compiled grant back into the same globs", () => {
    for (const spec of ["*", "pdu-*", "pdu-1,ups-?", "rack.3-*,a_b", "x"]) {
      expect(patternSpec(compileThingPattern(spec))).toBe(spec);
    }
    const back = peerFilter(patternSpec(compileThingPattern("pdu-*,ups-1"))) ?? [];
    expect(matchesThing(back, "pdu-9")).toBe(true);
    expect(matchesThing(back, "ups-1")).toBe(true);
    expect(matchesThing(back, "ups-2")).toBe(false);
  });

  it("accepts no filter and refuses what is not a glob list", () => {
    expect(peerFilter(undefined)).toBeUndefined();
    expect(peerFilter("")).toEqual([]);
    expect(patternSpec([])).toBe("");
    for (const bad of [42, "a b", "(.*)+$", "x".repeat(5000), ["*"]]) {
      expect(() => peerFilter(bad)).toThrow(/invalid share filter/);
    }
  });
});
