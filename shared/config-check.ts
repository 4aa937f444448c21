import { isJsonObject, type JsonObject, type JsonValue } from "./json.ts";
import { nearestName } from "./nearest-name.ts";
import { parseDuration as parseDurationText } from "./telemetry-duration.ts";

/**
 * The one validator layer of the YAML/JSON configs (the host agent's, the firmware bridge's; the node's settings
 * share its nearest-name hints). Each problem names the key it is about (`handlers.motd.file.path: must be an
 * absolute path`, `devices[2].options.password: ...`), and a config's problems are collected in a ConfigProblems
 * and reported together, so a wrong config is fixed in one run. The small checkers below throw a
 * ConfigCheckError for one value; ConfigProblems.check turns that into one collected problem and goes on.
 */
export class ConfigCheckError extends Error {
  override name = "ConfigCheckError";
  /** Every problem this error reports (one for a checker's error, all of them for a config's). */
  readonly problems: string[];
  constructor(message: string, problems: string[] = [message]) {
    super(message);
    this.problems = problems;
  }
}

export function fail(where: string, message: string): never {
  throw new ConfigCheckError(where ? `${where}: ${message}` : message);
}

/** The problems of one config, reported all at once by `throwIfAny`. */
export class ConfigProblems {
  readonly list: string[] = [];

  add(where: string, message: string): void {
    this.list.push(where ? `${where}: ${message}` : message);
  }

  /** Runs one check; a ConfigCheckError it throws becomes collected problems and the result is undefined. */
  check<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      if (!(err instanceof ConfigCheckError)) throw err;
      this.list.push(...err.problems);
      return undefined;
    }
  }

  /** Throws one ConfigCheckError listing every problem, prefixed with the config's name. */
  throwIfAny(source: string): void {
    if (this.list.length > 0) throw new ConfigCheckError(formatProblems(source, this.list), [...this.list]);
  }
}

/** `source: problem`, or `source: N problems:` followed by one indented line per problem. */
export function formatProblems(source: string, problems: readonly string[]): string {
  const prefix = source ? `${source}: ` : "";
  if (problems.length === 1) return `${prefix}${problems[0]}`;
  return `${prefix}${problems.length} problems:\n  ${problems.join("\n  ")}`;
}

/** `devices[2].options.password` from the JSON pointer `/devices/2/options/password` (ajv's instancePath). */
export function pathFromPointer(pointer: string): string {
  let out = "";
  for (const raw of pointer.split("/").slice(1)) {
    const seg = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    out = /^\d+$/.test(seg) ? `${out}[${seg}]` : join(out, seg);
  }
  return out;
}

/** `unknown key` with the nearest known name as a hint, if one is close. */
export function unknownKey(key: string, known: readonly string[]): string {
  const near = nearestName(key, known);
  return near
    ? `unknown key (did you mean '${near}'?)`
    : `unknown key (expected one of: ${known.join(", ")})`;
}

export function join(where: string, key: string): string {
  return where ? `${where}.${key}` : key;
}

export function objectAt(value: JsonValue | undefined, where: string): JsonObject {
  if (!isJsonObject(value)) fail(where, `must be a mapping (key: value), got ${describe(value)}`);
  return value;
}

/** Reports keys that are not known: a typo (`comand:`) must not silently disable a setting. */
export function onlyKeys(
  obj: JsonObject,
  where: string,
  known: readonly string[],
  problems: ConfigProblems,
): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) problems.add(join(where, key), unknownKey(key, known));
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
