import type { JsonObject, JsonValue } from "../shared/json.ts";
import { getAt, setAt } from "../shared/json-path.ts";
import type { PointSpec, RawValue } from "./types.ts";

/**
 * Pure conversions between what a driver reads or writes (raw) and what the shadow holds: scale and
 * offset for numbers, enum mapping both ways, and dotted shadow paths. Everything here is the same for
 * every protocol, so drivers never see shadow values and the engine never sees wire encodings.
 */

/** A desired value that cannot be turned into a raw value for its point (reported as `cannot`). */
export class ConvertError extends Error {
  override name = "ConvertError";
}

const INT_RANGES: Record<string, [number, number]> = {
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
  // Desired values are JSON numbers: exact up to 2^53.
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint64: [0, Number.MAX_SAFE_INTEGER],
};

/**
 * Rounds away the binary noise of `raw * scale + offset` (230.4 rather than 230.40000000000003). 15
 * significant digits: one multiply-add errs in the 16th-17th, and a 64-bit energy counter needs 13+.
 */
function tidy(n: number): number {
  return Number.isFinite(n) ? Number(n.toPrecision(15)) : n;
}

/**
 * A float32 register value as its shortest decimal (229.7, not 229.6999969482422, which is what the
 * 32-bit 229.7 is as a double). Values that are not exactly a float32 (a JSON double) are kept.
 */
function shortFloat32(n: number): number {
  if (!Number.isFinite(n) || Math.fround(n) !== n) return n;
  for (let digits = 1; digits < 9; digits++) {
    const short = Number(n.toPrecision(digits));
    if (Math.fround(short) === n) return short;
  }
  return n;
}

/** Raw → shadow: enum name if the raw value is in the enum, scaled number, bigint as number or string. */
export function toShadow(point: PointSpec, raw: RawValue): JsonValue {
  if (point.enum) {
    for (const [name, value] of Object.entries(point.enum)) if (rawEquals(point, value, raw)) return name;
  }
  let value: RawValue = raw;
  if (typeof value === "bigint") {
    // Counters beyond 2^53 keep every digit as a string, unless they are measurements (telemetry is
    // doubles: the nearest one); smaller ones are plain numbers.
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER))
      return point.scale === undefined && point.offset === undefined && point.kind !== "measurement"
        ? value.toString()
        : tidy(Number(value) * (point.scale ?? 1) + (point.offset ?? 0));
    value = Number(value);
  }
  if (typeof value === "number") {
    if (point.type === "float32") value = shortFloat32(value);
    if (point.scale === undefined && point.offset === undefined) return Number.isFinite(value) ? value : null;
    return tidy(value * (point.scale ?? 1) + (point.offset ?? 0));
  }
  return value;
}

/** Shadow → raw for a write. Throws ConvertError with a message an operator can act on. */
export function toRaw(point: PointSpec, value: JsonValue): RawValue {
  if (point.enum) {
    if (typeof value === "string" && Object.hasOwn(point.enum, value)) return point.enum[value] as RawValue;
    throw new ConvertError(
      `${point.path}: expected one of ${Object.keys(point.enum)
        .map((k) => JSON.stringify(k))
        .join(", ")}, got ${JSON.stringify(value)}`,
    );
  }
  const type = point.type ?? "uint16";
  if (type === "bool") {
    if (typeof value === "boolean") return value;
    if (value === 0 || value === 1) return value === 1;
    throw new ConvertError(`${point.path}: expected true or false, got ${JSON.stringify(value)}`);
  }
  if (type === "string") {
    if (typeof value === "string") return value;
    throw new ConvertError(`${point.path}: expected a string, got ${JSON.stringify(value)}`);
  }
  if (typeof value !== "number" || !Number.isFinite(value))
    throw new ConvertError(`${point.path}: expected a number, got ${JSON.stringify(value)}`);
  const raw = (value - (point.offset ?? 0)) / (point.scale ?? 1);
  if (type === "float32") return tidy(raw);
  const int = Math.round(tidy(raw));
  // Relative tolerance: the float noise of a division grows with the value (1e12 / 0.1 is not exact).
  if (Math.abs(int - raw) > 1e-9 * Math.max(1, Math.abs(raw)))
    throw new ConvertError(
      `${point.path}: ${value} is not a multiple of the point's resolution (${point.scale ?? 1}${point.unit ? ` ${point.unit}` : ""})`,
    );
  const range = INT_RANGES[type];
  if (range && (int < range[0] || int > range[1])) {
    const lo = toShadow(point, range[0]);
    const hi = toShadow(point, range[1]);
    throw new ConvertError(`${point.path}: ${value} is out of range (${lo} to ${hi})`);
  }
  if (type === "int64" || type === "uint64") return BigInt(int);
  return int;
}

/** Whether two raw values are the same reading (float32 is compared at float32 precision). */
export function rawEquals(point: PointSpec, a: RawValue, b: RawValue): boolean {
  if (typeof a === "number" && typeof b === "number") {
    if (point.type === "float32") return Math.fround(a) === Math.fround(b);
    return a === b;
  }
  if (typeof a === "bigint" || typeof b === "bigint") {
    try {
      return BigInt(a as number) === BigInt(b as number);
    } catch {
      return false;
    }
  }
  if (typeof a === "boolean" && typeof b === "number") return a === (b !== 0);
  if (typeof b === "boolean" && typeof a === "number") return b === (a !== 0);
  return a === b;
}

/** Splits a dotted shadow path; empty segments are rejected by the profile schema. */
export function splitPath(path: string): string[] {
  return path.split(".");
}

/** Sets `value` at a dotted path, creating objects on the way. */
export function setPath(target: JsonObject, path: string, value: JsonValue): void {
  setAt(target, splitPath(path), value);
}

/** The value at a dotted path, or undefined. */
export function getPath(source: JsonObject, path: string): JsonValue | undefined {
  return getAt(source, splitPath(path));
}

/**
 * Matches an expanded path (`ports.3.admin`) against a point path, which may hold `{index}`
 * (`ports.{index}.admin`). Returns the index ("" for a plain point) or undefined.
 */
export function matchPointPath(pointPath: string, path: string): string | undefined {
  if (!pointPath.includes("{index}")) return pointPath === path ? "" : undefined;
  const [before, after] = pointPath.split("{index}") as [string, string];
  if (!path.startsWith(before) || !path.endsWith(after)) return undefined;
  const index = path.slice(before.length, path.length - after.length);
  return index.length > 0 ? index : undefined;
}

/** The point of a profile that a (possibly expanded) shadow path belongs to. */
export function pointFor(points: readonly PointSpec[], path: string): PointSpec | undefined {
  return points.find((p) => matchPointPath(p.path, path) !== undefined);
}
