/** JSON values as they travel in shadow documents. */
export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Structural equality of two JSON values (key order does not matter). */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (isJsonObject(a)) {
    if (!isJsonObject(b)) return false;
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

/**
 * Nesting depth: scalars are 0, `{a:1}` and `[1]` are 1, `{a:{b:1}}` and `{a:[1]}` are 2. Arrays count as a
 * level too (AWS: "levels of nesting"): otherwise `[[[…]]]` thousands deep passed the limit and then failed
 * with a 500 when stored. With `cap`, the walk stops below `cap` levels and returns `cap + 1` for anything
 * deeper, so a 16 KiB payload nested 8,000 levels cannot overflow the stack while being checked.
 */
export function objectDepth(value: JsonValue, cap = Number.POSITIVE_INFINITY): number {
  const items = Array.isArray(value) ? value : isJsonObject(value) ? Object.values(value) : undefined;
  if (items === undefined) return 0;
  if (cap <= 0) return 1;
  let max = 0;
  for (const item of items) {
    max = Math.max(max, objectDepth(item, cap - 1));
    if (max >= cap) break;
  }
  return max + 1;
}

const utf8 = new TextEncoder();

/** Size in bytes of the compact UTF-8 JSON encoding (TextEncoder, not Buffer: the console imports this module). */
export function jsonByteLength(value: JsonValue): number {
  return utf8.encode(JSON.stringify(value)).byteLength;
}

/** Removes empty objects (recursively); returns undefined when nothing is left. */
export function pruneEmpty(obj: JsonObject): JsonObject | undefined {
  const out: JsonObject = {};
  let any = false;
  for (const [k, v] of Object.entries(obj)) {
    if (isJsonObject(v)) {
      const pruned = pruneEmpty(v);
      if (pruned !== undefined) {
        out[k] = pruned;
        any = true;
      }
    } else {
      out[k] = v;
      any = true;
    }
  }
  return any ? out : undefined;
}
