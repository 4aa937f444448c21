import { isJsonObject, type JsonObject, type JsonValue } from "../../shared/json.ts";
import type { TelemetrySample } from "../../shared/telemetry.ts";
import type { BirthCertificate } from "./birth.ts";
import type { SparkplugMetric } from "./codec.ts";

/**
 * How Sparkplug maps onto a thing's shadow (docs/sparkplug.md):
 *   reported.metrics[name]            the metric's value (JSON; exact 64-bit values as strings)
 *   reported.sparkplug                the birth certificate: {group, edge, device?, bdSeq?, birth
 *                                     (Unix ms), metrics: {name: {datatype, alias?, properties?}}}
 *   desired.metrics[name]             a command: sent as NCMD/DCMD with the birth's alias/datatype
 */
/** A metric name JSON objects cannot hold as a plain key (shadow requests refuse it): such a metric is skipped. */
const UNSTORABLE = "__proto__";

export interface BirthIdentity {
  group: string;
  edge: string;
  device?: string;
  bdSeq?: string;
}

/**
 * The reported patch of a birth: every metric's value and the certificate. Metrics the previous
 * birth had and this one lacks are removed (null), so `reported` describes the current session.
 */
export function birthPatch(
  id: BirthIdentity,
  birth: BirthCertificate,
  metrics: readonly SparkplugMetric[],
  previous: JsonObject,
): JsonObject {
  const values: JsonObject = {};
  const infos: JsonObject = {};
  for (const name of keysOf(previous.metrics)) values[name] = null;
  const prevSp = isJsonObject(previous.sparkplug) ? previous.sparkplug : {};
  for (const name of keysOf(prevSp.metrics)) infos[name] = null;
  for (const m of metrics) {
    if (m.name === undefined || m.name === UNSTORABLE) continue;
    if (isStorable(m.value)) values[m.name] = m.value;
    const info = birth.metrics.get(m.name);
    if (info) infos[m.name] = { ...info } as JsonObject;
  }
  const sparkplug: JsonObject = { group: id.group, edge: id.edge, birth: birth.at, metrics: infos };
  if (id.device !== undefined) sparkplug.device = id.device;
  sparkplug.bdSeq = id.bdSeq ?? null;
  return { metrics: values, sparkplug };
}

/**
 * Whether a value can go into a shadow: shadow requests refuse `null` inside arrays (a data set with
 * an empty cell), and one such value would make the whole update fail, so that metric is left out.
 */
export function isStorable(v: JsonValue): boolean {
  if (Array.isArray(v)) return v.every((x) => x !== null && isStorable(x));
  if (isJsonObject(v)) return Object.values(v).every(isStorable);
  return true;
}

function keysOf(v: unknown): string[] {
  return isJsonObject(v) ? Object.keys(v) : [];
}

/**
 * A Sparkplug metric name as a telemetry metric name: each `/` level keeps [A-Za-z0-9_.:-] and
 * turns anything else into `_` ("Node Control/Rebirth" → "Node_Control/Rebirth"); empty levels are
 * dropped. Undefined when nothing is left or the result is longer than 128 characters.
 */
export function telemetryMetricName(name: string): string | undefined {
  const out = name
    .split("/")
    .map((l) => l.replace(/[^A-Za-z0-9_.:-]/g, "_"))
    .filter((l) => l !== "")
    .join("/");
  return out !== "" && out.length <= 128 ? out : undefined;
}

/** A metric value as a telemetry number: finite numbers as they are, booleans as 0/1, else undefined. */
export function numericValue(m: SparkplugMetric): number | undefined {
  if (typeof m.value === "number" && Number.isFinite(m.value)) return m.value;
  if (typeof m.value === "boolean") return m.value ? 1 : 0;
  return undefined;
}

export interface DataSplit {
  samples: TelemetrySample[];
  historical: TelemetrySample[];
  /** Values for reported.metrics: non-numeric ones always, numeric ones when `toReported(name)`. */
  reported: JsonObject;
}

/**
 * Splits resolved DATA metrics into telemetry (numeric; historical ones apart, so they do not move
 * the latest value) and the reported values. Historical metrics never go to reported (stale by
 * definition); without a telemetry capability every value goes to reported.
 */
export function splitData(
  metrics: readonly { name: string; metric: SparkplugMetric }[],
  payloadTs: number,
  toReported: (name: string) => boolean,
  hasTelemetry: boolean,
): DataSplit {
  const split: DataSplit = { samples: [], historical: [], reported: {} };
  for (const { name, metric } of metrics) {
    if (name === UNSTORABLE) continue;
    const n = numericValue(metric);
    const tname = telemetryMetricName(name);
    if (n !== undefined && tname !== undefined && hasTelemetry) {
      const sample = { metric: tname, value: n, ts: metric.timestamp ?? payloadTs };
      (metric.historical ? split.historical : split.samples).push(sample);
    }
    if (metric.historical) continue;
    const kept = n !== undefined && tname !== undefined && hasTelemetry;
    if ((!kept || toReported(name)) && isStorable(metric.value)) split.reported[name] = metric.value;
  }
  return split;
}
