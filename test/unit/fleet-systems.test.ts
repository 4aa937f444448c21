import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FleetIndex } from "../../broker/fleet/fleet-index.ts";
import { SystemRegistry } from "../../broker/fleet/system-registry.ts";
import { findCycle, parseSystemSpec, SystemError } from "../../shared/fleet-systems.ts";
import type { FleetShadow } from "../../shared/query/index.ts";
import { memoryDb } from "../helpers/memory-db.ts";

const view = (
  desired: Record<string, unknown>,
  reported: Record<string, unknown>,
  stamp = 100,
): FleetShadow => ({
  version: 1,
  desired: desired as FleetShadow["desired"],
  reported: reported as FleetShadow["reported"],
  meta: {
    desired: Object.fromEntries(Object.keys(desired).map((k) => [k, stamp])),
    reported: Object.fromEntries(Object.keys(reported).map((k) => [k, stamp])),
  },
});

function registry() {
  const index = new FleetIndex();
  const systems = new SystemRegistry(memoryDb(), index);
  return { index, systems };
}

describe("systems", () => {
  it("finds the cycle a new edge would close, with its path", () => {
    const children: Record<string, string[]> = { b: ["c"], c: ["a"], d: [] };
    expect(findCycle("a", ["b"], (s) => children[s] ?? [])).toEqual(["a", "b", "c", "a"]);
    expect(findCycle("a", ["d"], (s) => children[s] ?? [])).toBeNull();
    expect(() => parseSystemSpec("a", { systems: ["a"] })).toThrow("cycle: a → a");
    expect(() => parseSystemSpec("a", { query: "systems:x" })).toThrow(SystemError);
    expect(() => parseSystemSpec("a", { query: "attributes.x:" })).toThrow("query: at 13");
    expect(() => parseSystemSpec("a b", {})).toThrow("Invalid system name");
  });

  it("refuses cycles through many levels and keeps the graph unchanged", () => {
    const { systems } = registry();
    systems.put("leaf", { things: ["t1"] });
    systems.put("mid", { systems: ["leaf"] });
    systems.put("top", { systems: ["mid"] });
    expect(() => systems.put("leaf", { systems: ["top"] })).toThrow("cycle: leaf → top → mid → leaf");
    expect(systems.get("leaf").systems).toEqual([]);
    expect(() => systems.delete("mid")).toThrow("is a member of top");
  });

  it("rolls up distinct things per level, many-to-many, with static and dynamic members", () => {
    const { index, systems } = registry();
    index.setShadow("a", "", view({ p: "on" }, { p: "off" }, 1000));
    index.setShadow("b", "", view({}, { $bridge: { reachable: false } }));
    index.setShadow("c", "", view({}, { x: 1 }));
    index.setAttributes("c", { type: "ups" }, 1);
    index.setPresence("a", { connected: true, since: 1, site: "core" });
    systems.put("s1", { things: ["a", "b"] });
    systems.put("s2", { things: ["b"], query: "attributes.type:ups" });
    systems.put("top", { systems: ["s1", "s2"], things: ["a", "ghost"] });
    const r = systems.rollup("top", 1, 1060);
    expect(r).toEqual({
      name: "top",
      things: 4, // a, b, c, ghost (declared, never seen): b and a counted once
      connected: 1,
      presenceUnknown: 0,
      notConverged: 1,
      oldestDeltaSeconds: 60,
      conflicts: 0,
      unreachable: 1,
      systems: [
        {
          name: "s1",
          things: 2,
          connected: 1,
          presenceUnknown: 0,
          notConverged: 1,
          oldestDeltaSeconds: 60,
          conflicts: 0,
          unreachable: 1,
          systems: [],
        },
        {
          name: "s2",
          things: 2,
          connected: 0,
          presenceUnknown: 0,
          notConverged: 0,
          oldestDeltaSeconds: 0,
          conflicts: 0,
          unreachable: 1,
          systems: [],
        },
      ],
    });
    expect(systems.rollup("top", 0, 1060).systems).toEqual([{ name: "s1" }, { name: "s2" }]);
    expect([...(index.get("c")?.systems ?? [])].sort()).toEqual(["s2", "top"]);
    expect([...(index.get("b")?.systems ?? [])].sort()).toEqual(["s1", "s2", "top"]);
  });
});

describe("roll-up (property)", () => {
  it("equals a brute-force count of distinct things below every level, overlapping or not", () => {
    const spec = fc.record({
      systems: fc.array(
        fc.record({
          things: fc.subarray(["t0", "t1", "t2", "t3", "t4", "t5"]),
          children: fc.subarray([1, 2, 3, 4]),
        }),
        { minLength: 5, maxLength: 5 },
      ),
      health: fc.array(
        fc.record({ connected: fc.boolean(), pending: fc.boolean(), unreachable: fc.boolean() }),
        {
          minLength: 6,
          maxLength: 6,
        },
      ),
    });
    fc.assert(
      fc.property(spec, ({ systems: specs, health }) => {
        const { index, systems } = registry();
        health.forEach((h, i) => {
          index.setShadow(
            `t${i}`,
            "",
            view(h.pending ? { p: 1 } : {}, h.unreachable ? { $bridge: { reachable: false } } : {}),
          );
          if (h.connected) index.setPresence(`t${i}`, { connected: true, since: 0, site: "x" });
        });
        // Children only point to higher numbers: a DAG, created bottom-up.
        const childrenOf = (i: number) => (specs[i]?.children ?? []).filter((c) => c > i);
        for (let i = specs.length - 1; i >= 0; i--) {
          systems.put(`s${i}`, {
            things: specs[i]?.things ?? [],
            systems: childrenOf(i).map((c) => `s${c}`),
          });
        }
        const below = (i: number): Set<string> =>
          new Set([...(specs[i]?.things ?? []), ...childrenOf(i).flatMap((c) => [...below(c)])]);
        const check = (r: {
          name: string;
          things?: number;
          connected?: number;
          notConverged?: number;
          unreachable?: number;
          systems: unknown[];
        }) => {
          const i = Number(r.name.slice(1));
          const things = [...below(i)].map((t) => health[Number(t.slice(1))] as (typeof health)[number]);
          expect([r.things, r.connected, r.notConverged, r.unreachable]).toEqual([
            things.length,
            things.filter((h) => h.connected).length,
            things.filter((h) => h.pending).length,
            things.filter((h) => h.unreachable).length,
          ]);
          for (const c of r.systems) check(c as Parameters<typeof check>[0]);
        };
        check(systems.rollup("s0", 5));
      }),
      { numRuns: 150 },
    );
  });
});
