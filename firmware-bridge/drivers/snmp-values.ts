/**
 * SNMP varbind values ↔ the bridge's raw values. Pure: no sockets.
 *
 * net-snmp hands out Integer/Counter32/Gauge32/TimeTicks as numbers, OCTET STRING / Opaque / Counter64 as
 * Buffers (the BER content bytes), OID and IpAddress as dotted strings. Counter64 (ifHCInOctets…) does not
 * fit a JS number once it passes 2^53, so it is decoded to a number while that is exact and to a bigint
 * beyond; the engine must accept both.
 */
import type { PointSpec, RawValue } from "../types.ts";
import type { SnmpAsnType } from "./snmp-address.ts";

/** ASN.1 tags of the SMI types (RFC 2578 / net-snmp's ObjectType). */
export const ASN_TAG: Record<SnmpAsnType, number> = {
  Integer: 2,
  OctetString: 4,
  OID: 6,
  IpAddress: 64,
  Counter: 65,
  Gauge: 66,
  TimeTicks: 67,
  Opaque: 68,
  Counter64: 70,
};

const TAG_NAME = new Map<number, SnmpAsnType>(
  Object.entries(ASN_TAG).map(([name, tag]) => [tag, name as SnmpAsnType]),
);

export function asnName(tag: number): SnmpAsnType | undefined {
  return TAG_NAME.get(tag);
}

/** TruthValue (SNMPv2-TC): true(1), false(2). Used for points of type `bool`. */
const TRUTH_TRUE = 1;
const TRUTH_FALSE = 2;

/** Unsigned big-endian bytes (BER content of Counter64) → number while exact, else bigint. */
export function decodeUnsigned64(bytes: Uint8Array): number | bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/** number/bigint → minimal BER content bytes of an unsigned 64-bit integer (Counter64 SET). */
export function encodeUnsigned64(value: number | bigint): Buffer {
  const big = BigInt(value);
  if (big < 0n || big > 0xffff_ffff_ffff_ffffn)
    throw new RangeError(`${value} is not an unsigned 64-bit value`);
  const bytes: number[] = [];
  let rest = big;
  do {
    bytes.unshift(Number(rest & 0xffn));
    rest >>= 8n;
  } while (rest > 0n);
  // BER integers are signed: a set top bit needs a leading zero byte to stay positive.
  if ((bytes[0] ?? 0) & 0x80) bytes.unshift(0);
  return Buffer.from(bytes);
}

/** Printable text (UTF-8, no control characters but tab/newline) or undefined. */
function asText(bytes: Buffer): string | undefined {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
  // Strip one trailing NUL: some agents (APC among them) terminate their strings C-style.
  text = text.replace(/\0$/, "");
  // biome-ignore lint/suspicious/noControlCharactersInRegex: detecting binary octet strings is the point
  return /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text) ? undefined : text;
}

export function toHex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(":");
}

function fromHex(text: string): Buffer {
  const digits = text.replace(/[\s:.-]/g, "");
  if (!/^([0-9a-fA-F]{2})*$/.test(digits)) throw new TypeError(`"${text}" is not hex bytes (like 00:1a:2b)`);
  return Buffer.from(digits, "hex");
}

/**
 * One varbind value as a raw value for this point. Throws a TypeError (the caller wraps it) when the
 * agent's type cannot be what the point wants, e.g. a `bool` point on an OCTET STRING.
 */
export function decodeVarbind(
  tag: number,
  value: unknown,
  point: Pick<PointSpec, "type">,
  encoding?: "utf8" | "hex",
): RawValue {
  let raw: RawValue;
  switch (tag) {
    case ASN_TAG.Integer:
    case ASN_TAG.Counter:
    case ASN_TAG.Gauge:
    case ASN_TAG.TimeTicks:
      raw = value as number;
      break;
    case ASN_TAG.Counter64:
      raw = decodeUnsigned64(value as Buffer);
      break;
    case ASN_TAG.OctetString: {
      const bytes = value as Buffer;
      raw =
        encoding === "hex"
          ? toHex(bytes)
          : (asText(bytes) ?? (encoding === "utf8" ? bytes.toString("utf8") : toHex(bytes)));
      break;
    }
    case ASN_TAG.Opaque:
      raw = toHex(value as Buffer);
      break;
    case ASN_TAG.OID:
    case ASN_TAG.IpAddress:
      raw = String(value);
      break;
    case 1: // ASN.1 BOOLEAN: not in the SMI, but net-snmp decodes it
      raw = Boolean(value);
      break;
    default:
      throw new TypeError(`unsupported SNMP value type ${tag}`);
  }
  if (point.type === "bool" && typeof raw === "number") {
    if (raw === TRUTH_TRUE) return true;
    if (raw === TRUTH_FALSE) return false;
    throw new TypeError(`${raw} is not a TruthValue (true(1) or false(2))`);
  }
  if (point.type === "string" && typeof raw !== "string") return String(raw);
  return raw;
}

const INT32 = [-0x8000_0000, 0x7fff_ffff] as const;
const UINT32 = [0, 0xffff_ffff] as const;

function toInteger(value: RawValue, range: readonly [number, number], asn: SnmpAsnType): number {
  let n: number;
  if (typeof value === "boolean") n = value ? TRUTH_TRUE : TRUTH_FALSE;
  else if (typeof value === "string" && value.trim() !== "") n = Number(value);
  else n = Number(value);
  if (!Number.isInteger(n) || n < range[0] || n > range[1]) {
    throw new TypeError(`${String(value)} does not fit ${asn} (an integer from ${range[0]} to ${range[1]})`);
  }
  return n;
}

/** A raw value as the net-snmp varbind value of this ASN.1 type; TypeError when it does not fit. */
export function encodeVarbindValue(asn: SnmpAsnType, value: RawValue, encoding?: "utf8" | "hex"): unknown {
  switch (asn) {
    case "Integer":
      return toInteger(value, INT32, asn);
    case "Counter":
    case "Gauge":
    case "TimeTicks":
      return toInteger(value, UINT32, asn);
    case "Counter64":
      if (typeof value === "boolean") throw new TypeError(`${value} does not fit Counter64`);
      try {
        return encodeUnsigned64(typeof value === "string" ? BigInt(value.trim()) : value);
      } catch {
        throw new TypeError(`${String(value)} does not fit Counter64 (an integer from 0 to 2^64-1)`);
      }
    case "OctetString":
      if (encoding === "hex" && typeof value === "string") return fromHex(value);
      return Buffer.from(String(value), "utf8");
    case "Opaque":
      return fromHex(String(value));
    case "OID":
      return String(value).replace(/^\./, "");
    case "IpAddress": {
      const text = String(value);
      if (!/^(\d{1,3})(\.\d{1,3}){3}$/.test(text) || text.split(".").some((b) => Number(b) > 255)) {
        throw new TypeError(`"${text}" is not an IPv4 address`);
      }
      return text;
    }
  }
}
