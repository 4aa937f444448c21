/**
 * The fleet query language's syntax tree (docs/fleet.md): AWS fleet indexing's grammar, a Lucene
 * subset. A field is a dotted path whose root is one of FIELD_ROOTS.
 */
export type Literal =
  | { kind: "string"; text: string; quoted: boolean }
  | { kind: "number"; value: number; text: string }
  | { kind: "boolean"; value: boolean; text: string };

export type Comparison = ">" | ">=" | "<" | "<=";

export type Term =
  | { type: "eq"; field: string[]; value: Literal }
  | { type: "exists"; field: string[] }
  | { type: "cmp"; field: string[]; op: Comparison; value: Literal }
  | { type: "range"; field: string[]; low: Literal; high: Literal };

export type Query =
  | Term
  | { type: "and"; terms: Query[] }
  | { type: "or"; terms: Query[] }
  | { type: "not"; term: Query }
  | { type: "all" };

/** The roots a field may start with; anything else is a parse error naming the field. */
export const FIELD_ROOTS = [
  "thingName",
  "attributes",
  "shadow",
  "connectivity",
  "systems",
  "conflicts",
  "alarms",
] as const;

/** A bad query: `position` is the 0-based offset of the character where the problem was found. */
export class QueryError extends Error {
  readonly code = "query_invalid";
  constructor(
    readonly position: number,
    readonly problem: string,
  ) {
    super(`at ${position}: ${problem}`);
  }
}
