import { isJsonObject, type JsonObject, type JsonValue } from "./json.ts";
import { parseDuration as parseDurationText } from "./telemetry-duration.ts";

/**
 * Small checkers for YAML/JSON configs (the host agent's, the firmware bridge's). Each error names the key it is about
 * (`handlers.motd.file.path: must be an absolute path`), so a wrong config is fixed in one look.
 */
export class ConfigCheckError extends Error {
  override name = "ConfigCheckError";
}

export function fail(where: string, message: string): never {
  throw new ConfigCheckError(where ? `${where}: ${message}` : message);
}

export function join(where: string, key: string): string {
  return where ? `${where}.${key}` : key;
}

export function objectAt(value: JsonValue | undefined, where: string): JsonObject {
  if (!isJsonObject(value)) fail(where, `must be a mapping (key: value), got ${describe(value)}`);
  return value;
}

/** Refuses keys that are not known: a typo (`comand:`) must not silently disable a setting. */
export function onlyKeys(obj: JsonObject, where: string, known: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) fail(join(where, key), `unknown key (expected one of: ${known.join(", ")})`);
  }
}

export function optString(obj: JsonObject, key: string, where: string): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string" || v.length === 0)
    fail(join(where, key), `must be a non-empty string, got ${describe(v)}`);
  return v;
}

export function optBool(obj: JsonObject, key: string, where: string): boolean | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") fail(join(where, key), `must be true or false, got ${describe(v)}`);
  return v;
}

export function optInt(
  obj: JsonObject,
  key: string,
  where: string,
  min: number,
  max: number,
): number | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    fail(join(where, key), `must be an integer from ${min} to ${max}, got ${describe(v)}`);
  }
  return v;
}

export function optStringList(obj: JsonObject, key: string, where: string): string[] | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) fail(join(where, key), `must be a list of strings, got ${describe(v)}`);
  v.forEach((s, i) => {
    if (typeof s !== "string") {
      // YAML reads unquoted true, 0644 or 1.0 as booleans and numbers: say so, the fix is a quote.
      const hint =
        typeof s === "number" || typeof s === "boolean" ? ` (quote it: YAML read it as a ${typeof s})` : "";
      fail(`${join(where, key)}[${i}]`, `must be a string${hint}, got ${describe(s)}`);
    }
  });
  return v as string[];
}

export function absolutePath(v: string, where: string): string {
  if (!v.startsWith("/")) fail(where, `must be an absolute path, got '${v}'`);
  if (v.includes("\0")) fail(where, "must not contain a NUL byte");
  return v;
}

/** `500ms`, `10s`, `5m`, `1h`, `1d` (shared/telemetry-duration.ts's grammar), or a number of seconds. */
export function parseDuration(v: JsonValue | undefined, where: string): number {
  if (typeof v === "number" && Number.isFinite(v) && v > 0) return Math.round(v * 1000);
  const ms = typeof v === "string" ? parseDurationText(v) : null;
  if (ms === null) {
    fail(where, `must be a duration like 500ms, 10s, 5m or 1h (or a number of seconds), got ${describe(v)}`);
  }
  return ms;
}

export function optDuration(
  obj: JsonObject,
  key: string,
  where: string,
  bounds: { min: number; max: number },
): number | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  const ms = parseDuration(v, join(where, key));
  if (ms < bounds.min || ms > bounds.max) {
    fail(join(where, key), `must be between ${bounds.min} ms and ${bounds.max / 1000} s, got ${ms} ms`);
  }
  return ms;
}

export function describe(v: JsonValue | undefined): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  return `${typeof v} ${JSON.stringify(v)}`;
}
