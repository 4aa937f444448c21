import { gunzipSync, inflateSync } from "node:zlib";
import sparkplug from "sparkplug-payload";
import sparkplugProto from "sparkplug-payload/lib/sparkplugPayloadProto.js";
import type { JsonObject, JsonValue } from "../../shared/json.ts";
import { safeNumber, shortestFloat32, toJsonValue } from "./values.ts";

const codec = sparkplug.get("spBv1.0");
if (!codec) throw new Error("sparkplug-payload does not provide the spBv1.0 codec");
const { decodePayload, encodePayload } = codec;

/** The uuid Tahu puts on a payload whose `body` is another, compressed payload. */
const COMPRESSED_UUID = "SPBV1.0_COMPRESSED";

/** One metric as the host works with it: plain JSON values, numbers only where exact. */
export interface SparkplugMetric {
  name?: string;
  alias?: number;
  /** Sparkplug datatype name as the codec reports it ("Int32", "Boolean", "String", …). */
  datatype: string;
  value: JsonValue;
  /** Unix ms, when the metric carries its own. */
  timestamp?: number;
  historical: boolean;
  transient: boolean;
  /** Property set as {key: value} (e.g. engineering units); datatypes of properties are dropped. */
  properties?: JsonObject;
}

export interface SparkplugPayload {
  timestamp?: number;
  seq?: number;
  metrics: SparkplugMetric[];
}

interface RawMetric {
  name?: string | null;
  alias?: unknown;
  type?: string;
  value?: unknown;
  timestamp?: unknown;
  isHistorical?: boolean | null;
  isTransient?: boolean | null;
  isNull?: boolean | null;
  properties?: Record<string, { value?: unknown }>;
}

/** Decodes a Sparkplug B payload (also Tahu's DEFLATE/GZIP-compressed form). Throws on a malformed one. */
export function decodeSparkplugPayload(bytes: Uint8Array): SparkplugPayload {
  let raw = decodePayload(bytes);
  if (raw.uuid === COMPRESSED_UUID) {
    const algorithm = String(raw.metrics?.find((m) => m.name === "algorithm")?.value ?? "DEFLATE");
    const body = raw.body ?? new Uint8Array();
    const inner = algorithm.toUpperCase() === "GZIP" ? gunzipSync(body) : inflateSync(body);
    raw = decodePayload(inner);
    readSpecUInt32(inner, raw.metrics as RawMetric[] | undefined);
  } else readSpecUInt32(bytes, raw.metrics as RawMetric[] | undefined);
  return {
    timestamp: safeNumber(raw.timestamp),
    seq: safeNumber(raw.seq),
    metrics: ((raw.metrics ?? []) as RawMetric[]).map(toMetric),
  };
}

const ProtoPayload = sparkplugProto.org.eclipse.tahu.protobuf.Payload;

/**
 * UInt32 travels in `long_value` with Tahu and Ignition (the codec reads only that field) but in
 * `int_value` as the Sparkplug spec says, which other edge nodes follow; the codec then gives no
 * value. Those metrics get theirs from the protobuf message itself (only when one is missing, so the
 * common case decodes once).
 */
function readSpecUInt32(bytes: Uint8Array, metrics: RawMetric[] | undefined): void {
  const missing = (m: RawMetric | undefined) =>
    m?.type === "UInt32" && !m.isNull && (m.value === undefined || m.value === null);
  if (!metrics?.some(missing)) return;
  const proto = ProtoPayload.decode(bytes);
  proto.metrics.forEach((pm, i) => {
    const m = metrics[i];
    if (missing(m) && m && Object.hasOwn(pm, "intValue")) m.value = (pm.intValue as number) >>> 0;
  });
}

function toMetric(m: RawMetric): SparkplugMetric {
  const metric: SparkplugMetric = {
    datatype: m.type ?? "Unknown",
    value: m.isNull
      ? null
      : m.type === "Float" && typeof m.value === "number" && Number.isFinite(m.value)
        ? shortestFloat32(m.value)
        : toJsonValue(m.value),
    historical: m.isHistorical === true,
    transient: m.isTransient === true,
  };
  if (typeof m.name === "string" && m.name !== "") metric.name = m.name;
  const alias = safeNumber(m.alias);
  if (alias !== undefined) metric.alias = alias;
  const ts = safeNumber(m.timestamp);
  if (ts !== undefined) metric.timestamp = ts;
  if (m.properties && Object.keys(m.properties).length > 0) {
    const props: JsonObject = {};
    for (const [k, p] of Object.entries(m.properties)) props[k] = toJsonValue(p?.value);
    metric.properties = props;
  }
  return metric;
}

/** A metric of an NCMD/DCMD: value already checked against the datatype (see coerceForDatatype). */
export interface CommandMetric {
  name: string;
  alias?: number;
  datatype: string;
  value: number | string | boolean;
}

export function encodeCommandPayload(metrics: readonly CommandMetric[], timestamp = Date.now()): Uint8Array {
  return encodePayload({
    timestamp,
    metrics: metrics.map((m) => ({
      name: m.name,
      ...(m.alias === undefined ? {} : { alias: m.alias }),
      type: m.datatype as never,
      value: m.value,
    })),
  });
}

const INT_RANGES: Record<string, readonly [bigint, bigint]> = {
  Int8: [-(2n ** 7n), 2n ** 7n - 1n],
  Int16: [-(2n ** 15n), 2n ** 15n - 1n],
  Int32: [-(2n ** 31n), 2n ** 31n - 1n],
  Int64: [-(2n ** 63n), 2n ** 63n - 1n],
  UInt8: [0n, 2n ** 8n - 1n],
  UInt16: [0n, 2n ** 16n - 1n],
  UInt32: [0n, 2n ** 32n - 1n],
  UInt64: [0n, 2n ** 64n - 1n],
  DateTime: [0n, 2n ** 64n - 1n],
};

export type Coerced = { ok: true; value: number | string | boolean } | { ok: false; reason: string };

/**
 * Checks a desired JSON value against a metric's birth datatype. 64-bit integers may be given as a
 * number (when exact) or a decimal string, and are sent as given (the codec takes both).
 */
export function coerceForDatatype(datatype: string, v: JsonValue): Coerced {
  const range = INT_RANGES[datatype];
  if (range) {
    const wide = datatype === "Int64" || datatype === "UInt64" || datatype === "DateTime";
    let big: bigint;
    if (typeof v === "number" && Number.isSafeInteger(v)) big = BigInt(v);
    else if (wide && typeof v === "string" && /^-?\d{1,20}$/.test(v)) big = BigInt(v);
    else
      return {
        ok: false,
        reason: `${datatype} needs an integer${wide ? " (number or decimal string)" : ""}`,
      };
    if (big < range[0] || big > range[1])
      return { ok: false, reason: `${v} is out of range for ${datatype}` };
    return { ok: true, value: wide && typeof v === "string" ? v : Number(big) };
  }
  switch (datatype) {
    case "Float":
    case "Double":
      return typeof v === "number" && Number.isFinite(v)
        ? { ok: true, value: v }
        : { ok: false, reason: `${datatype} needs a number` };
    case "Boolean":
      return typeof v === "boolean"
        ? { ok: true, value: v }
        : { ok: false, reason: "Boolean needs true or false" };
    case "String":
    case "Text":
    case "UUID":
      return typeof v === "string"
        ? { ok: true, value: v }
        : { ok: false, reason: `${datatype} needs a string` };
    default:
      return { ok: false, reason: `commands of datatype ${datatype} are not supported` };
  }
}
