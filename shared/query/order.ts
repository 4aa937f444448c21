import type { JsonObject, JsonValue } from "../json.ts";
import { QueryError } from "./ast.ts";
import { parseField } from "./parser.ts";
import { type FieldReader, type FleetRecord, fieldReader } from "./record.ts";

/** One sort key: a field, descending when written `-field`. */
export interface SortKey {
  field: string;
  read: FieldReader;
  descending: boolean;
}

/** Parses `sort=-shadow.reported.temp,thingName`; thingName is always the final tie-break. */
export function parseSort(spec: string | undefined): SortKey[] {
  const keys: SortKey[] = [];
  let pos = 0;
  for (const raw of (spec ?? "").split(",")) {
    const descending = raw.startsWith("-");
    const field = descending ? raw.slice(1) : raw;
    if (field !== "") keys.push({ field, read: fieldReader(parseField(field, pos)), descending });
    pos += raw.length + 1;
  }
  if (!keys.some((k) => k.field === "thingName")) {
    keys.push({ field: "thingName", read: (r) => [r.thing], descending: false });
  }
  return keys;
}

/** Numbers before strings before booleans before anything else; a missing value sorts last either way. */
function rank(v: JsonValue | undefined): number {
  if (v === undefined) return 9;
  if (typeof v === "number") return 0;
  if (typeof v === "string") return 1;
  if (typeof v === "boolean") return 2;
  return 3;
}

export function compareValues(
  a: JsonValue | undefined,
  b: JsonValue | undefined,
  descending: boolean,
): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra > 2) return 0;
  const c =
    (a as number | string) < (b as number | string)
      ? -1
      : (a as number | string) > (b as number | string)
        ? 1
        : 0;
  return descending ? -c : c;
}

/** The values a record sorts by (first value of each key's field). */
export function sortValues(keys: readonly SortKey[], r: FleetRecord): (JsonValue | undefined)[] {
  return keys.map((k) => k.read(r)[0]);
}

export function compareSortValues(
  keys: readonly SortKey[],
  a: readonly (JsonValue | undefined)[],
  b: readonly (JsonValue | undefined)[],
): number {
  for (let i = 0; i < keys.length; i++) {
    const c = compareValues(a[i], b[i], (keys[i] as SortKey).descending);
    if (c !== 0) return c;
  }
  return 0;
}

/** A cursor is the sort values of the last row of the previous page (opaque, base64url JSON). */
export function encodeCursor(values: readonly (JsonValue | undefined)[]): string {
  return Buffer.from(JSON.stringify(values.map((v) => (v === undefined ? { missing: true } : v)))).toString(
    "base64url",
  );
}

export function decodeCursor(cursor: string, keys: readonly SortKey[]): (JsonValue | undefined)[] {
  try {
    const values = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as JsonValue[];
    if (!Array.isArray(values) || values.length !== keys.length) throw new Error("shape");
    return values.map((v) =>
      v !== null && typeof v === "object" && (v as JsonObject).missing === true ? undefined : v,
    );
  } catch {
    throw new QueryError(0, "invalid cursor: pass the nextCursor of the previous page with the same sort");
  }
}

/** `fields=attributes.type,shadow.reported.temp` → an object of those fields (first value each). */
export function parseFields(spec: string | undefined): { field: string; read: FieldReader }[] {
  if (!spec) return [];
  let pos = 0;
  return spec.split(",").flatMap((field) => {
    const at = pos;
    pos += field.length + 1;
    return field === "" ? [] : [{ field, read: fieldReader(parseField(field, at)) }];
  });
}

export function project(fields: readonly { field: string; read: FieldReader }[], r: FleetRecord): JsonObject {
  const out: JsonObject = { thingName: r.thing };
  for (const f of fields) {
    const values = f.read(r);
    if (values.length > 0) out[f.field] = values.length === 1 ? (values[0] as JsonValue) : values;
  }
  return out;
}
