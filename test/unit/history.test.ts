import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  applyRecord,
  decodePatch,
  diffSections,
  EMPTY_STATE,
  encodePatch,
  FLAG_DESIRED,
  FLAG_EXISTS,
  FLAG_REPORTED,
  type HistoryRecord,
  type HistoryState,
  leafPatch,
  recordFlags,
} from "../../shared/history.ts";
import { HistoryParamError, parseListQuery, parsePoint } from "../../shared/history-query.ts";
import { selectHorizon } from "../../shared/history-retention.ts";
import { type JsonObject, type JsonValue, pruneEmpty } from "../../shared/json.ts";
import { applyPatchOps, planPatch, stripNulls } from "../../shared/shadow-patch.ts";
import { BlameWalk } from "../helpers/blame-walk.ts";
import { patchArbitrary } from "../helpers/json-arbitraries.ts";

const key = fc.constantFrom("a", "b", "c", "w");
const scalar = fc.oneof(
  fc.integer({ min: -5, max: 5 }),
  fc.constantFrom("on", "off"),
  fc.constant([1, 2] as JsonValue),
);
const section = patchArbitrary(key, scalar).map(stripNulls);

const rec = (
  version: number,
  patch: HistoryRecord["patch"],
  extra: Partial<HistoryRecord> = {},
): HistoryRecord => ({
  version,
  at: 1_800_000_000_000 + version * 1000,
  kind: "update",
  exists: true,
  patch,
  ...extra,
});

describe("leafPatch (what a merge did)", () => {
  it("turns before into after when applied, for any two sections", () => {
    fc.assert(
      fc.property(section, section, (before, after) => {
        expect(applyPatchOps(before, leafPatch(before, after))).toEqual(after);
      }),
    );
  });

  it("names only the leaves that changed", () => {
    expect(leafPatch({ a: 1, b: { c: 2, d: 3 } }, { a: 1, b: { c: 2, d: 4 }, e: "x" })).toEqual([
      { kind: "set", path: ["b", "d"], value: 4 },
      { kind: "set", path: ["e"], value: "x" },
    ]);
    expect(leafPatch({ a: { b: 1 } }, {})).toEqual([{ kind: "delete", path: ["a"] }]);
  });
});

describe("patch encoding", () => {
  it("round-trips sets (with object and array values) and deletes", () => {
    const patch = {
      desired: [{ kind: "set" as const, path: ["o", "p"], value: { x: [1, "y"] } }],
      reported: [
        { kind: "delete" as const, path: ["gone"] },
        { kind: "set" as const, path: ["w"], value: 231.5 },
      ],
    };
    const text = encodePatch(patch);
    expect(text).toBe('{"d":[[["o","p"],{"x":[1,"y"]}]],"r":[[["gone"]],[["w"],231.5]]}');
    expect(decodePatch(text)).toEqual(patch);
    expect(decodePatch(encodePatch({}))).toEqual({});
  });
});

describe("recordFlags (retention classes)", () => {
  it("puts desired writes and deletes in the desired class", () => {
    const set = (path: string) => [{ kind: "set" as const, path: [path], value: 1 }];
    expect(recordFlags(rec(1, { reported: set("w") }))).toBe(FLAG_EXISTS | FLAG_REPORTED);
    expect(recordFlags(rec(1, { desired: set("o") }))).toBe(FLAG_EXISTS | FLAG_DESIRED);
    expect(recordFlags(rec(1, {}, { kind: "delete", exists: false }))).toBe(FLAG_DESIRED);
  });
});

describe("reconstruction by replay", () => {
  it("replaying the planned patches of any update sequence yields the final state", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ desired: fc.option(section), reported: fc.option(section) }), { maxLength: 12 }),
        (updates) => {
          let plain = { desired: {} as JsonObject, reported: {} as JsonObject };
          let state: HistoryState = { ...EMPTY_STATE };
          updates.forEach((u, i) => {
            const d = u.desired ? planPatch(plain.desired, u.desired) : [];
            const r = u.reported ? planPatch(plain.reported, u.reported) : [];
            plain = { desired: applyPatchOps(plain.desired, d), reported: applyPatchOps(plain.reported, r) };
            state = applyRecord(state, rec(i + 1, { desired: d, reported: r }));
          });
          expect({ desired: state.desired, reported: state.reported }).toEqual(plain);
        },
      ),
    );
  });

  it("a delete empties the shadow; the next update starts from nothing", () => {
    let s = applyRecord(EMPTY_STATE, rec(1, { desired: [{ kind: "set", path: ["a"], value: 1 }] }));
    expect(s.meta.desired).toEqual({ a: 1_800_000_001 });
    s = applyRecord(s, rec(2, {}, { kind: "delete", exists: false }));
    expect(s).toMatchObject({ exists: false, version: 2, desired: {}, reported: {} });
    s = applyRecord(s, rec(3, { reported: [{ kind: "set", path: ["b"], value: 2 }] }));
    expect(s).toMatchObject({ exists: true, version: 3, desired: {}, reported: { b: 2 } });
  });
});

describe("diffSections", () => {
  it("lists changed, added and removed leaves in path order", () => {
    expect(diffSections({ a: 1, b: { c: 2 }, z: [1] }, { a: 1, b: { c: 3, d: 4 }, z: [1, 2] })).toEqual([
      { path: ["b", "c"], before: 2, after: 3 },
      { path: ["b", "d"], after: 4 },
      { path: ["z"], before: [1], after: [1, 2] },
    ]);
    expect(diffSections({ a: { b: 1 } }, { a: 5 })).toEqual([
      { path: ["a"], after: 5 },
      { path: ["a", "b"], before: 1 },
    ]);
    // Empty objects are not state.
    expect(diffSections({ a: {} }, {})).toEqual([]);
  });

  it("is empty exactly when the sections are equal", () => {
    fc.assert(
      fc.property(section, section, (a, b) => {
        const same =
          JSON.stringify(sortKeys(pruneEmpty(a) ?? {})) === JSON.stringify(sortKeys(pruneEmpty(b) ?? {}));
        expect(diffSections(a, b).length === 0).toBe(same);
      }),
    );
  });
});

function sortKeys(o: JsonObject): unknown {
  return Object.fromEntries(
    Object.keys(o)
      .sort()
      .map((k) => {
        const v = o[k];
        return [k, v !== null && typeof v === "object" && !Array.isArray(v) ? sortKeys(v) : v];
      }),
  );
}

describe("BlameWalk", () => {
  const set = (path: string[], value: unknown) => ({ kind: "set" as const, path, value: value as never });

  it("attributes each leaf to the newest record that wrote it (a set of a parent covers its leaves)", () => {
    const walk = new BlameWalk({ desired: { o: "off" }, reported: { w: 3, fan: { rpm: 9 } } });
    const records = [
      rec(5, { reported: [set(["w"], 3)] }, { clientToken: "five" }),
      rec(4, { desired: [set(["o"], "off")] }, { identity: { name: "ops", role: "operator" } }),
      rec(3, { reported: [set(["w"], 2), set(["fan"], { rpm: 9 })] }),
      rec(2, { desired: [set(["o"], "on")] }),
    ];
    for (const r of records) if (!walk.feed(r)) break;
    expect(walk.done).toBe(true);
    const out = walk.result();
    expect(out.desired.map((l) => [l.path, l.record?.version])).toEqual([[["o"], 4]]);
    expect(out.reported.map((l) => [l.path, l.value, l.record?.version])).toEqual([
      [["fan", "rpm"], 9, 3],
      [["w"], 3, 5],
    ]);
  });

  it("leaves a leaf unattributed when its writer is gone, and ignores reported writes below the horizon", () => {
    const walk = new BlameWalk({ desired: { o: 1 }, reported: { w: 1 } }, 10);
    walk.feed(rec(12, { desired: [] }));
    // Below the horizon only desired-class records remain: its reported op may be stale.
    walk.feed(rec(8, { desired: [set(["o"], 1)], reported: [set(["w"], 1)] }));
    const out = walk.result();
    expect(out.desired[0]?.record?.version).toBe(8);
    expect(out.reported[0]?.record).toBeUndefined();
    // Desired attributed and below the horizon: nothing older can attribute the reported leaf.
    expect(walk.done).toBe(true);
  });

  it("stops at a delete of the shadow", () => {
    const walk = new BlameWalk({ desired: { o: 1 }, reported: {} });
    expect(walk.feed(rec(3, {}, { kind: "delete", exists: false }))).toBe(false);
    expect(walk.result().desired[0]?.record).toBeUndefined();
  });
});

describe("selectHorizon (retention)", () => {
  // Checkpoints every 10 records at versions 1, 11, 21, …; record i is i seconds old at t=100 s.
  const cps = Array.from({ length: 10 }, (_, i) => ({
    version: i * 10 + 1,
    at: (i * 10 + 1) * 1000,
    ordinal: i * 10 + 1,
  }));
  const appended = 100;

  it("keeps everything within both limits", () => {
    expect(selectHorizon(cps, appended, 1, { maxAgeMs: 1e9, maxRecords: 1000 }, 100_000)).toBe(1);
  });

  it("cuts at the first checkpoint that leaves at most maxRecords", () => {
    expect(selectHorizon(cps, appended, 1, { maxAgeMs: 1e9, maxRecords: 35 }, 100_000)).toBe(71);
    expect(selectHorizon(cps, appended, 1, { maxAgeMs: 1e9, maxRecords: 30 }, 100_000)).toBe(71);
    expect(selectHorizon(cps, appended, 1, { maxAgeMs: 1e9, maxRecords: 29 }, 100_000)).toBe(81);
  });

  it("cuts at the newest checkpoint older than maxAge, and never below the current horizon", () => {
    // cutoff = 100 s - 45 s = 55 s: checkpoint 51 (at 51 s) is the newest older than that.
    expect(selectHorizon(cps, appended, 1, { maxAgeMs: 45_000, maxRecords: 1000 }, 100_000)).toBe(51);
    expect(selectHorizon(cps, appended, 61, { maxAgeMs: 45_000, maxRecords: 1000 }, 100_000)).toBe(61);
  });

  it("keeps the last checkpoint of an idle shadow", () => {
    expect(selectHorizon(cps, appended, 1, { maxAgeMs: 1, maxRecords: 1000 }, 10_000_000)).toBe(91);
  });
});

describe("history query parameters", () => {
  it("reads versions and ISO times (no zone: UTC)", () => {
    expect(parsePoint("at", "42")).toEqual({ version: 42 });
    expect(parsePoint("at", "2026-12-07T10:00:00Z")).toEqual({ time: Date.UTC(2026, 11, 7, 10) });
    expect(parsePoint("at", "2026-12-07T10:00:00")).toEqual({ time: Date.UTC(2026, 11, 7, 10) });
    expect(parsePoint("at", "2026-12-07")).toEqual({ time: Date.UTC(2026, 11, 7) });
  });

  it("refuses anything else with a message naming the parameter", () => {
    for (const bad of ["-1", "1.5", "yesterday", "", "99999999999999999999"]) {
      expect(() => parsePoint("from", bad)).toThrow(HistoryParamError);
    }
    expect(() => parsePoint("from", "x")).toThrow(/from must be a version/);
  });

  it("checks limit, order, cursor and backwards ranges", () => {
    expect(parseListQuery({})).toEqual({ limit: 100, order: "desc" });
    expect(parseListQuery({ from: "3", to: "9", limit: "5", order: "asc", cursor: "4" })).toEqual({
      from: { version: 3 },
      to: { version: 9 },
      limit: 5,
      order: "asc",
      cursor: 4,
    });
    expect(() => parseListQuery({ limit: "0" })).toThrow(/limit/);
    expect(() => parseListQuery({ limit: "1001" })).toThrow(/limit/);
    expect(() => parseListQuery({ order: "up" })).toThrow(/order/);
    expect(() => parseListQuery({ cursor: "abc" })).toThrow(/cursor/);
    expect(() => parseListQuery({ from: "9", to: "3" })).toThrow(/after to/);
    expect(() => parseListQuery({ from: "2026-12-08", to: "2026-12-07" })).toThrow(/after to/);
  });
});
