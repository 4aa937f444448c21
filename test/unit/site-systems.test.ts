import { describe, expect, it } from "vitest";
import type { JsonObject } from "../../shared/json.ts";
import { cutCycles, entryOf, newer, resolveSystem, stampEdit } from "../../shared/site-systems.ts";

const core = (at: number) => ({ at, site: "core" });
const edge = (at: number) => ({ at, site: "edge-1" });

describe("systems across sites (pure)", () => {
  it("orders stamps by time, then site name", () => {
    expect(newer(core(2), edge(1))).toBe(true);
    expect(newer(edge(1), core(1))).toBe(true);
    expect(newer(core(1), edge(1))).toBe(false);
    expect(newer(core(1), undefined)).toBe(true);
  });

  it("resolves a system from its carriers: members, newest header, subsystems key by key", () => {
    const a = stampEdit(
      { name: "s", things: ["t1"], systems: ["x"], description: "old" },
      undefined,
      core(1),
    );
    const carriers: [string, JsonObject][] = [
      ["t1", { s: entryOf(a, true) }],
      // t2 carries a newer header (edge) and removed x, added y; it is not a direct member.
      [
        "t2",
        {
          s: {
            member: false,
            ...edge(5),
            description: "new",
            systems: { x: { ...edge(5), in: false }, y: { ...edge(5), in: true } },
          },
        },
      ],
      ["t3", {}],
      ["t4", { other: entryOf(a, true) }],
    ];
    const r = resolveSystem("s", carriers);
    expect(r?.spec).toEqual({ name: "s", things: ["t1"], systems: ["y"], description: "new" });
    expect(r?.about).toEqual(edge(5));
    expect(r?.subsystems.x).toEqual({ ...edge(5), in: false });
    expect(resolveSystem("gone", carriers)).toBeUndefined();
  });

  it("keeps stamps of unchanged fields (copying a system onward never makes it newer)", () => {
    const held = stampEdit(
      { name: "s", things: ["t1"], systems: ["x"], query: "attributes.type:pdu" },
      undefined,
      core(1),
    );
    const same = stampEdit(
      { name: "s", things: ["t1", "t2"], systems: ["x"], query: "attributes.type:pdu" },
      held,
      edge(9),
    );
    expect(same.about).toEqual(core(1));
    expect(same.subsystems.x).toEqual({ ...core(1), in: true });
    const changed = stampEdit({ name: "s", things: [], systems: ["z"] }, held, edge(9));
    expect(changed.about).toEqual(edge(9));
    expect(changed.subsystems).toEqual({ x: { ...edge(9), in: false }, z: { ...edge(9), in: true } });
    expect(entryOf(changed, false)).toEqual({
      member: false,
      ...edge(9),
      systems: { x: { ...edge(9), in: false }, z: { ...edge(9), in: true } },
    });
  });

  it("cuts the edges that close cycles, the same way whatever the input order", () => {
    const g = new Map([
      ["b", ["a"]],
      ["a", ["b", "c", "unknown"]],
      ["c", ["c"]],
    ]);
    const { kept, cycles } = cutCycles(g);
    expect(kept).toEqual(
      new Map([
        ["a", ["b", "c"]],
        ["b", []],
        ["c", []],
      ]),
    );
    expect(cycles).toEqual([
      ["b", "a", "b"],
      ["c", "c"],
    ]);
    expect(cutCycles(new Map([...g].reverse()))).toEqual({ kept, cycles });
    // Acyclic graphs keep everything.
    expect(
      cutCycles(
        new Map([
          ["p", ["q"]],
          ["q", []],
        ]),
      ).cycles,
    ).toEqual([]);
  });
});

describe("carrier entries", () => {
  it("leave out an empty subsystem map (a shadow keeps none, so the entry would never match)", () => {
    const r = stampEdit({ name: "s", things: ["t1"], systems: [] }, undefined, core(1));
    expect(entryOf(r, true)).toEqual({ member: true, ...core(1) });
  });
});
