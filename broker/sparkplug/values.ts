import type { JsonValue } from "../../shared/json.ts";

/**
 * Sparkplug values as JSON. `sparkplug-payload` decodes 64-bit fields (Int64, UInt64, DateTime,
 * seq, timestamps, aliases) as `Long`. We turn a Long into a number when it is a safe integer and
 * otherwise into its exact decimal string: shadows are JSON (no bigint), and a silently rounded
 * counter or id is worse than a string. Bytes become base64; data sets, templates and property
 * sets become plain JSON with the same rule applied inside.
 */
export interface LongLike {
  low: number;
  high: number;
  unsigned: boolean;
  toString(radix?: number): string;
  toNumber(): number;
}

export function isLong(v: unknown): v is LongLike {
  return (
    typeof v === "object" &&
    v !== null &&
    typeof (v as LongLike).low === "number" &&
    typeof (v as LongLike).high === "number" &&
    typeof (v as LongLike).unsigned === "boolean" &&
    typeof (v as LongLike).toNumber === "function"
  );
}

/** A Long (or number) as a number when exact, else as its decimal string. */
export function longToJson(v: LongLike | number): number | string {
  if (typeof v === "number") return v;
  const n = v.toNumber();
  return Number.isSafeInteger(n) ? n : v.toString(10);
}

/** A Long, number or bigint as a number, only when exact (timestamps, seq, aliases); otherwise undefined. */
export function safeNumber(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (typeof v === "bigint") return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= 0n ? Number(v) : undefined;
  if (isLong(v)) {
    const n = v.toNumber();
    return Number.isSafeInteger(n) ? n : undefined;
  }
  return undefined;
}

/** Any decoded value as JSON (see the module comment). */
export function toJsonValue(v: unknown): JsonValue {
  if (v === null || v === undefined) return null;
  if (typeof v === "number") return Number.isFinite(v) ? v : String(v);
  if (typeof v === "string" || typeof v === "boolean") return v;
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (isLong(v)) return longToJson(v);
  if (v instanceof Uint8Array) return Buffer.from(v).toString("base64");
  if (Array.isArray(v)) return v.map(toJsonValue);
  if (typeof v === "object") {
    const out: Record<string, JsonValue> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = toJsonValue(x);
    return out;
  }
  return String(v);
}

/**
 * A Float (float32) value as the shortest decimal that reads back as the same float32: the codec
 * widens 1.1f to 1.100000023841858, so an edge node echoing a commanded 1.1 would never equal the
 * `desired` 1.1 and the delta would stay open (and be resent at every birth). Finite values only.
 */
export function shortestFloat32(v: number): number {
  if (v === 0) return 0;
  const f = Math.fround(v);
  for (let digits = 1; digits < 9; digits++) {
    const candidate = Number(f.toPrecision(digits));
    if (Math.fround(candidate) === f) return candidate;
  }
  return Number(f.toPrecision(9));
}
