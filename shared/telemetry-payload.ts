import type { TelemetrySample } from "./telemetry.ts";
import { parseIsoUtc } from "./telemetry-duration.ts";
import { isValidThingName } from "./topics.ts";

/**
 * The telemetry topics a device publishes on (documented in docs/telemetry.md):
 *   things/{thing}/telemetry            a JSON object of metrics, optional `ts` / `timestamp`
 *   things/{thing}/telemetry/{metric…}  a bare number (or true/false); the metric may have levels
 * Nested objects and arrays are flattened with `/` (`{"psu":{"1":{"watts":5}}}` → `psu/1/watts`,
 * `{"load":[0.5,0.4]}` → `load/0`, `load/1`), the same separator as the topic form, so
 * `things/x/telemetry/psu/1/watts` names the same series. Values under an invalid name are skipped.
 */
export interface TelemetryTopic {
  thing: string;
  /** Set for the single-metric form. */
  metric?: string;
}

const METRIC_LEVEL = /^[A-Za-z0-9_.:-]+$/;
export const MAX_METRIC_LENGTH = 128;
/** More metrics than this in one message is refused as a whole: a device sending that many is broken. */
export const MAX_METRICS_PER_MESSAGE = 1000;

export function isValidMetricName(name: string): boolean {
  return (
    name.length > 0 && name.length <= MAX_METRIC_LENGTH && name.split("/").every((l) => METRIC_LEVEL.test(l))
  );
}

/** The topic a thing's measurements are published on as one JSON object. */
export function telemetryTopic(thing: string): string {
  return `things/${thing}/telemetry`;
}

/** Parses a telemetry topic; null for any other topic (including `things/x/telemetryx`). */
export function parseTelemetryTopic(topic: string): TelemetryTopic | null {
  if (!topic.startsWith("things/")) return null;
  const levels = topic.split("/");
  const thing = levels[1] as string;
  if (levels[2] !== "telemetry" || !isValidThingName(thing)) return null;
  if (levels.length === 3) return { thing };
  return { thing, metric: levels.slice(3).join("/") };
}

export type ParseResult = { ok: true; samples: TelemetrySample[] } | { ok: false; reason: string };

const fail = (reason: string): ParseResult => ({ ok: false, reason });

/** A sample value: finite numbers, booleans as 0/1; anything else is not telemetry. */
function numeric(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (typeof v === "boolean") return v ? 1 : 0;
  return undefined;
}

/**
 * A timestamp field: Unix milliseconds (a number), or an ISO 8601 string (UTC when it has no zone). Values that look like
 * seconds (before 2001 as milliseconds) are refused rather than guessed, so a unit mistake is visible.
 */
export function parseTimestamp(v: unknown): number | null {
  if (typeof v === "number") return Number.isFinite(v) && v >= 1e12 && v < 1e14 ? Math.round(v) : null;
  if (typeof v === "string" && /^\d{4}-\d{2}-\d{2}T/.test(v)) {
    return parseIsoUtc(v);
  }
  return null;
}

/** A key's own `/` separate levels too; empty levels are dropped (a mount point `/var/lib` → `var/lib`). */
function join(prefix: string, key: string): string {
  const levels = key.split("/").filter((l) => l !== "");
  if (levels.length === 0) return prefix;
  return prefix === "" ? levels.join("/") : `${prefix}/${levels.join("/")}`;
}

interface Flattening {
  ts: number;
  out: TelemetrySample[];
  /** The first name refused as invalid (skipped, reported only if nothing was usable). */
  invalid?: string;
  tooMany?: boolean;
}

/**
 * Nesting deeper than a valid name can be (64 one-character levels fill 127 of its 128 characters) is
 * refused without descending: recursion over a 20,000-deep object would overflow the stack and take
 * the node down with one message.
 */
const MAX_DEPTH = 64;

function flatten(value: unknown, metric: string, f: Flattening, depth = 0): void {
  if (value !== null && typeof value === "object") {
    if (depth >= MAX_DEPTH) {
      f.invalid ??= `${metric.slice(0, 100)}/…`;
      return;
    }
    const entries = Array.isArray(value)
      ? value.map((v, i) => [String(i), v] as const)
      : Object.entries(value);
    for (const [key, v] of entries) {
      if (metric === "" && (key === "ts" || key === "timestamp")) continue;
      flatten(v, join(metric, key), f, depth + 1);
    }
    return;
  }
  const n = numeric(value);
  // Strings and nulls are state, not telemetry: skipped, not an error (a device may mix them).
  if (n === undefined) return;
  if (!isValidMetricName(metric)) {
    f.invalid ??= metric;
    return;
  }
  if (f.out.length >= MAX_METRICS_PER_MESSAGE) {
    f.tooMany = true;
    return;
  }
  f.out.push({ metric, value: n, ts: f.ts });
}

/**
 * Samples of one telemetry message. `now` is the node's receive time, used when the message carries
 * no timestamp. A message with nothing numeric in it is refused (it stores nothing, so it is a mistake).
 */
export function parseTelemetryPayload(
  topic: TelemetryTopic,
  payload: Buffer | string,
  now: number,
): ParseResult {
  const text = typeof payload === "string" ? payload : payload.toString("utf8");
  if (topic.metric !== undefined) {
    if (!isValidMetricName(topic.metric)) return fail(`invalid metric name '${topic.metric.slice(0, 140)}'`);
    const t = text.trim();
    const value = t === "true" ? 1 : t === "false" ? 0 : t === "" ? Number.NaN : Number(t);
    if (!Number.isFinite(value)) return fail("payload of a single-metric topic must be a number");
    return { ok: true, samples: [{ metric: topic.metric, value, ts: now }] };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return fail("payload is not JSON");
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc))
    return fail("payload must be a JSON object");
  const obj = doc as Record<string, unknown>;
  let ts = now;
  const stamp = obj.ts ?? obj.timestamp;
  if (stamp !== undefined) {
    const parsed = parseTimestamp(stamp);
    if (parsed === null) return fail("ts/timestamp must be Unix milliseconds or an ISO 8601 date");
    ts = parsed;
  }
  const f: Flattening = { ts, out: [] };
  flatten(obj, "", f);
  if (f.tooMany) return fail(`more than ${MAX_METRICS_PER_MESSAGE} metrics`);
  if (f.out.length === 0) {
    return fail(
      f.invalid === undefined
        ? "payload has no numeric metrics"
        : `payload has no usable metrics (invalid metric name '${f.invalid.slice(0, 140)}')`,
    );
  }
  return { ok: true, samples: f.out };
}
