export { type Comparison, FIELD_ROOTS, type Literal, type Query, QueryError, type Term } from "./ast.ts";
export { compileQuery, type Predicate } from "./evaluate.ts";
export * from "./order.ts";
export { MAX_QUERY_LENGTH, parseField, parseQuery } from "./parser.ts";
export {
  conflictCount,
  deltaOf,
  type FieldReader,
  type FleetRecord,
  type FleetShadow,
  fieldReader,
  type ThingAlarms,
} from "./record.ts";
