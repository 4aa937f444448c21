import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FleetIndex } from "../../broker/fleet/fleet-index.ts";
import { countThings, findThings } from "../../broker/fleet/fleet-query.ts";
import type { JsonObject } from "../../shared/json.ts";
import { compileQuery, parseQuery } from "../../shared/query/index.ts";

const value = fc.oneof(
  fc.constantFrom("pdu", "ups", "5", "true"),
  fc.constantFrom(5, 7),
  fc.boolean(),
  fc.constant(["pdu", 5]),
);
const attrs = fc.record(
  { type: value, location: fc.record({ room: value }) },
  { requiredKeys: [] },
) as fc.Arbitrary<JsonObject>;
const query = fc.constantFrom(
  "attributes.type:pdu",
  "attributes.type:5",
  "attributes.type:true AND shadow.reported.n > 1",
  'attributes.type:"5" AND attributes.location.room:ups',
  "attributes.location.room:pdu OR attributes.type:ups",
  "attributes.type:p* AND NOT attributes.location.room:7",
);

describe("fleet index", () => {
  it("gives the same answers with the attribute equality index as a full scan, across attribute changes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 7 }), attrs), { minLength: 1, maxLength: 30 }),
        query,
        (writes, q) => {
          const index = new FleetIndex();
          const want = compileQuery(parseQuery(q));
          const check = () => {
            const all = [...index.all()]
              .filter(want)
              .map((r) => r.thing)
              .sort();
            const page = findThings(index, { q, limit: 1000 }).results.map((r) => r.thingName);
            expect(page).toEqual(all);
            expect(countThings(index, { q }).count).toBe(all.length);
          };
          for (const [i, [t, a]] of writes.entries()) {
            const thing = `t${t}`;
            index.setShadow(thing, "", {
              version: 1,
              desired: {},
              reported: { n: i },
              meta: { desired: {}, reported: {} },
            });
            index.setAttributes(thing, a, i + 1);
            if (i % 5 === 0) check(); // builds the index early, so later writes must maintain it
          }
          check();
        },
      ),
      { numRuns: 200 },
    );
  });

  it("pages by name through a cursor without repeats or gaps", () => {
    const index = new FleetIndex();
    for (let i = 0; i < 25; i++)
      index.setAttributes(`t${String(i).padStart(2, "0")}`, { type: i % 2 ? "a" : "b" }, 1);
    const seen: unknown[] = [];
    let cursor: string | undefined;
    for (let n = 0; n < 10; n++) {
      const page = findThings(index, { q: "attributes.type:a", limit: 4, ...(cursor ? { cursor } : {}) });
      seen.push(...page.results.map((r) => r.thingName));
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => `t${String(2 * i + 1).padStart(2, "0")}`));
  });
});
