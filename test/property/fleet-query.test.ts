import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { JsonObject, JsonValue } from "../../shared/json.ts";
import type { Literal, Query } from "../../shared/query/ast.ts";
import { compileQuery, type FleetRecord, type FleetShadow, parseQuery } from "../../shared/query/index.ts";
import { referenceMatches } from "../helpers/fleet-query-reference.ts";
import { patchArbitrary } from "../helpers/json-arbitraries.ts";

// Small domains, so that fields exist and literals hit values (and their neighbours) often.
const key = fc.constantFrom("a", "b");
const word = fc.constantFrom("on", "pdu", "pdu-1", "x y", "1", "true");
const scalar: fc.Arbitrary<JsonValue> = fc.oneof(
  word,
  fc.integer({ min: 0, max: 3 }),
  fc.constant(0.5),
  fc.boolean(),
  fc.array(fc.oneof(word, fc.integer({ min: 0, max: 3 })), { maxLength: 3 }),
);
const section = patchArbitrary(key, scalar).map(
  (o) => JSON.parse(JSON.stringify(o, (_k, v) => (v === null ? undefined : v))) as JsonObject,
);

const shadow: fc.Arbitrary<FleetShadow> = fc
  .record({
    version: fc.integer({ min: 1, max: 20 }),
    desired: section,
    reported: section,
    meta: fc.record({ desired: section, reported: section }),
    conflicts: fc.option(fc.record({ desired: section }), { nil: undefined }),
  })
  .map(({ conflicts, ...s }) => (conflicts ? { ...s, conflicts } : s));

const record: fc.Arbitrary<FleetRecord> = fc
  .record({
    thing: fc.constantFrom("pdu-1", "pdu-2", "bmc-1", "1"),
    attributes: section,
    shadows: fc.dictionary(fc.constantFrom("", "power", "net"), shadow, { maxKeys: 3 }),
    presence: fc.option(
      fc.record({
        connected: fc.boolean(),
        since: fc.integer({ min: 0, max: 100 }),
        site: fc.constantFrom("core", "edge-1"),
      }),
      { nil: undefined },
    ),
    systems: fc.subarray(["storage", "power", "1"]),
  })
  .map(({ presence, ...r }) => (presence ? { ...r, presence } : r));

const path = fc.oneof(
  key.map((k) => [k]),
  fc.array(key, { minLength: 2, maxLength: 2 }),
);
const field: fc.Arbitrary<string[]> = fc.oneof(
  fc.constant<string[]>(["thingName"]),
  fc.constant<string[]>(["systems"]),
  fc.constant<string[]>(["conflicts"]),
  fc.constantFrom("connected", "timestamp", "site").map((f) => ["connectivity", f]),
  path.map((p) => ["attributes", ...p]),
  fc.tuple(fc.constantFrom("reported", "desired", "delta"), path).map(([s, p]) => ["shadow", s, ...p]),
  fc.tuple(fc.constantFrom("reported", "desired"), path).map(([s, p]) => ["shadow", "metadata", s, ...p]),
  fc.constantFrom("version", "hasDelta", "hasConflicts").map((f) => ["shadow", f]),
  fc
    .tuple(fc.constantFrom("power", "*", "none"), fc.constantFrom("reported", "delta"), path)
    .map(([n, s, p]) => ["shadow", "name", n, s, ...p]),
);

const literal: fc.Arbitrary<Literal> = fc.oneof(
  fc
    .constantFrom("on", "pdu", "pdu-*", "*-1", "p*u*")
    .map((text): Literal => ({ kind: "string", text, quoted: false })),
  fc
    .constantFrom("x y", "pdu-*", "1", "true")
    .map((text): Literal => ({ kind: "string", text, quoted: true })),
  fc
    .oneof(fc.integer({ min: 0, max: 3 }), fc.constant(0.5))
    .map((value): Literal => ({ kind: "number", value, text: String(value) })),
  fc.boolean().map((value): Literal => ({ kind: "boolean", value, text: String(value) })),
);
const ordered = literal.filter((l) => l.kind !== "boolean");

const query: fc.Arbitrary<Query> = fc.letrec<{ q: Query }>((tie) => ({
  q: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.record({ type: fc.constant("eq" as const), field, value: literal }),
    fc.record({ type: fc.constant("exists" as const), field }),
    fc.record({
      type: fc.constant("cmp" as const),
      field,
      op: fc.constantFrom(">", ">=", "<", "<=" as const),
      value: ordered,
    }),
    fc
      .tuple(field, ordered, ordered)
      .filter(([, a, b]) => a.kind === b.kind)
      .map(([f, low, high]): Query => ({ type: "range", field: f, low, high })),
    fc.record({ type: fc.constant("not" as const), term: tie("q") }),
    fc.record({
      type: fc.constantFrom("and" as const, "or" as const),
      terms: fc.array(tie("q"), { minLength: 2, maxLength: 3 }),
    }),
  ),
})).q;

/** Prints a query in the grammar, fully parenthesised. */
function print(q: Query): string {
  const lit = (l: Literal) => (l.kind === "string" && l.quoted ? JSON.stringify(l.text) : l.text);
  switch (q.type) {
    case "all":
      return "";
    case "eq":
      return `${q.field.join(".")}:${lit(q.value)}`;
    case "exists":
      return `${q.field.join(".")}:*`;
    case "cmp":
      return `${q.field.join(".")} ${q.op} ${lit(q.value)}`;
    case "range":
      return `${q.field.join(".")}:[${lit(q.low)} TO ${lit(q.high)}]`;
    case "not":
      return `NOT (${print(q.term)})`;
    case "and":
    case "or":
      return q.terms.map((t) => `(${print(t)})`).join(q.type === "and" ? " AND " : " OR ");
  }
}

describe("fleet query evaluator (property)", () => {
  it("agrees with the reference evaluator on random records and queries", () => {
    const seen = { yes: 0, no: 0 };
    fc.assert(
      fc.property(query, fc.array(record, { minLength: 1, maxLength: 6 }), (q, records) => {
        const parsed = parseQuery(print(q));
        const matches = compileQuery(parsed);
        for (const r of records) {
          const want = referenceMatches(q, r);
          seen[want ? "yes" : "no"]++;
          expect(matches(r)).toBe(want);
        }
      }),
      { numRuns: 600 },
    );
    // The generators must exercise both outcomes, or agreement would mean little.
    expect(seen.yes).toBeGreaterThan(300);
    expect(seen.no).toBeGreaterThan(300);
  });

  it("parses what it prints back to the same tree", () => {
    const strip = (q: Query): unknown => JSON.parse(JSON.stringify(q));
    fc.assert(
      fc.property(query, (q) => {
        const again = parseQuery(print(q));
        expect(print(again)).toBe(print(q));
        expect(compileQuery(again)).toBeTypeOf("function");
        expect(strip(parseQuery(print(again)))).toEqual(strip(again));
      }),
      { numRuns: 200 },
    );
  });
});
