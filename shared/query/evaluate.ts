import type { JsonValue } from "../json.ts";
import type { Comparison, Literal, Query } from "./ast.ts";
import { type FleetRecord, fieldReader } from "./record.ts";

export type Predicate = (r: FleetRecord) => boolean;
type ValueTest = (v: JsonValue) => boolean;

function globRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
  return new RegExp(`^${body}$`, "s");
}

/**
 * Equality with a literal: a bare number matches that number or its text as a string; a bare
 * true/false matches the boolean or its text; a bare word with `*` is a glob on strings; a quoted
 * string matches that exact string.
 */
export function equalityTest(lit: Literal): ValueTest {
  switch (lit.kind) {
    case "number":
      return (v) => v === lit.value || v === lit.text;
    case "boolean":
      return (v) => v === lit.value || v === lit.text;
    case "string": {
      if (!lit.quoted && lit.text.includes("*")) {
        const re = globRegExp(lit.text);
        return (v) => typeof v === "string" && re.test(v);
      }
      return (v) => v === lit.text;
    }
  }
}

const ORDER: Record<Comparison, (c: number) => boolean> = {
  ">": (c) => c > 0,
  ">=": (c) => c >= 0,
  "<": (c) => c < 0,
  "<=": (c) => c <= 0,
};

/** Compares numbers with a number literal and strings with a string literal; other types never match. */
export function comparisonTest(op: Comparison, lit: Literal): ValueTest {
  const holds = ORDER[op];
  if (lit.kind === "number") {
    const n = lit.value;
    return (v) => typeof v === "number" && holds(v < n ? -1 : v > n ? 1 : 0);
  }
  const s = lit.text;
  return (v) => typeof v === "string" && holds(v < s ? -1 : v > s ? 1 : 0);
}

/** Compiles a query into a predicate over fleet records. */
export function compileQuery(q: Query): Predicate {
  switch (q.type) {
    case "all":
      return () => true;
    case "and": {
      const parts = q.terms.map(compileQuery);
      return (r) => parts.every((p) => p(r));
    }
    case "or": {
      const parts = q.terms.map(compileQuery);
      return (r) => parts.some((p) => p(r));
    }
    case "not": {
      const inner = compileQuery(q.term);
      return (r) => !inner(r);
    }
    case "exists": {
      const read = fieldReader(q.field);
      return (r) => read(r).length > 0;
    }
    case "eq":
      return anyValue(fieldReader(q.field), equalityTest(q.value));
    case "cmp":
      return anyValue(fieldReader(q.field), comparisonTest(q.op, q.value));
    case "range": {
      const low = comparisonTest(">=", q.low);
      const high = comparisonTest("<=", q.high);
      return anyValue(fieldReader(q.field), (v) => low(v) && high(v));
    }
  }
}

function anyValue(read: (r: FleetRecord) => JsonValue[], test: ValueTest): Predicate {
  return (r) => {
    for (const v of read(r)) if (test(v)) return true;
    return false;
  };
}
