import { ProfileError } from "../profile.ts";
import type { PointSpec, RawValue } from "../types.ts";

/**
 * Modbus data model (pure): the `address` of a Modbus point, how many registers it spans, and how its
 * value is packed into 16-bit registers. Multi-register values are big-endian within each register
 * (as the Modbus spec says) and high word first unless `wordOrder: little` (many PLCs and meters).
 */

export type ModbusTable = "coil" | "discrete" | "holding" | "input";

export interface ModbusAddress {
  table: ModbusTable;
  /** Zero-based protocol address (holding register 40001 in Modicon notation is address 0). */
  address: number;
  /** Unit id for this point; default: the device's `options.unitId`. */
  unit?: number;
  /** Registers of a string point (2 ASCII characters each). */
  length?: number;
  /** A single bit (0 = least significant) of an integer register value: read-only boolean. */
  bit?: number;
}

const TABLES: readonly string[] = ["coil", "discrete", "holding", "input"];
const KEYS = ["table", "address", "unit", "length", "bit"];

function isInt(v: unknown, min: number, max: number): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;
}

/** Checks a point's address at start-up; the error names the profile path of the point. */
export function modbusAddress(point: PointSpec, where: string): ModbusAddress {
  const a = point.address;
  const bad = (msg: string): never => {
    throw new ProfileError(`${where} (${point.path}): address${msg}`);
  };
  for (const k of Object.keys(a))
    if (!KEYS.includes(k)) bad(` has unknown key '${k}' (expected ${KEYS.join(", ")})`);
  if (typeof a.table !== "string" || !TABLES.includes(a.table))
    bad(`.table must be one of ${TABLES.join(", ")}`);
  if (!isInt(a.address, 0, 65535)) bad(".address must be an integer 0..65535");
  if (a.unit !== undefined && !isInt(a.unit, 0, 255)) bad(".unit must be an integer 0..255");
  const table = a.table as ModbusTable;
  const bitTable = table === "coil" || table === "discrete";
  const type = point.type ?? (bitTable ? "bool" : "uint16");
  if (bitTable && type !== "bool") bad(`.table: ${table}s hold bits, so type must be bool (got ${type})`);
  if (type === "string") {
    if (!isInt(a.length, 1, 123))
      bad(".length (registers, 2 characters each) is required for strings: 1..123");
  } else if (a.length !== undefined) bad(".length is only for strings");
  if (a.bit !== undefined) {
    if (bitTable || !["int16", "uint16", "int32", "uint32", "int64", "uint64"].includes(type))
      bad(".bit needs an integer register type (uint16, uint32, …)");
    if (!isInt(a.bit, 0, wordsOf(type, 1) * 16 - 1))
      bad(`.bit must be 0..${wordsOf(type, 1) * 16 - 1} for ${type}`);
    if (point.writable) bad(".bit points are read-only (write a command register with an enum instead)");
  }
  if (point.writable && (table === "discrete" || table === "input"))
    bad(
      `.table: ${table} ${table === "input" ? "registers" : "inputs"} are read-only (writable: true needs coil or holding)`,
    );
  return {
    table,
    address: a.address as number,
    ...(a.unit !== undefined ? { unit: a.unit as number } : {}),
    ...(a.length !== undefined ? { length: a.length as number } : {}),
    ...(a.bit !== undefined ? { bit: a.bit as number } : {}),
  };
}

function wordsOf(type: string, length: number): number {
  if (type === "int32" || type === "uint32" || type === "float32") return 2;
  if (type === "int64" || type === "uint64") return 4;
  if (type === "string") return length;
  return 1;
}

/** Registers (or bits, for coils/discrete inputs) a point spans. */
export function spanOf(point: PointSpec, addr: ModbusAddress): number {
  if (addr.table === "coil" || addr.table === "discrete") return 1;
  return wordsOf(point.type ?? "uint16", addr.length ?? 1);
}

/** Registers in wire order → a buffer with the most significant word first. */
function toBuffer(point: PointSpec, words: readonly number[]): Buffer {
  const ordered = point.wordOrder === "little" && point.type !== "string" ? [...words].reverse() : words;
  const buf = Buffer.alloc(ordered.length * 2);
  ordered.forEach((w, i) => {
    buf.writeUInt16BE(w & 0xffff, i * 2);
  });
  return buf;
}

export function decodeRegisters(point: PointSpec, addr: ModbusAddress, words: readonly number[]): RawValue {
  const buf = toBuffer(point, words);
  const type = point.type ?? "uint16";
  if (addr.bit !== undefined) {
    const unsigned =
      buf.length === 8
        ? buf.readBigUInt64BE(0)
        : BigInt(buf.length === 4 ? buf.readUInt32BE(0) : buf.readUInt16BE(0));
    return ((unsigned >> BigInt(addr.bit)) & 1n) === 1n;
  }
  switch (type) {
    case "bool":
      return buf.readUInt16BE(0) !== 0;
    case "int16":
      return buf.readInt16BE(0);
    case "uint16":
      return buf.readUInt16BE(0);
    case "int32":
      return buf.readInt32BE(0);
    case "uint32":
      return buf.readUInt32BE(0);
    case "float32":
      return buf.readFloatBE(0);
    case "int64":
      return buf.readBigInt64BE(0);
    case "uint64":
      return buf.readBigUInt64BE(0);
    case "string":
      // APC and most devices pad with spaces, unsupported strings are zeros: neither is content. A NUL
      // ends a C string; bytes after it are whatever the buffer held before.
      return (buf.toString("latin1").split("\0")[0] ?? "").replace(/ +$/, "");
  }
}

/** A raw value → registers in wire order. Throws RangeError for values the type cannot hold. */
export function encodeRegisters(point: PointSpec, addr: ModbusAddress, value: RawValue): number[] {
  const type = point.type ?? "uint16";
  const n = wordsOf(type, addr.length ?? 1);
  const buf = Buffer.alloc(n * 2);
  const num = typeof value === "boolean" ? Number(value) : value;
  switch (type) {
    case "bool":
      buf.writeUInt16BE(value ? 1 : 0, 0);
      break;
    case "int16":
      buf.writeInt16BE(Number(num), 0);
      break;
    case "uint16":
      buf.writeUInt16BE(Number(num), 0);
      break;
    case "int32":
      buf.writeInt32BE(Number(num), 0);
      break;
    case "uint32":
      buf.writeUInt32BE(Number(num), 0);
      break;
    case "float32":
      buf.writeFloatBE(Number(num), 0);
      break;
    case "int64":
      buf.writeBigInt64BE(BigInt(num as number), 0);
      break;
    case "uint64":
      buf.writeBigUInt64BE(BigInt(num as number), 0);
      break;
    case "string": {
      const text = String(value);
      if (text.length > n * 2) throw new RangeError(`string longer than ${n * 2} characters`);
      if (!/^[\x20-\x7e]*$/.test(text)) throw new RangeError("only printable ASCII fits a Modbus string");
      buf.write(text.padEnd(n * 2, " "), "latin1");
      break;
    }
  }
  const words: number[] = [];
  for (let i = 0; i < n; i++) words.push(buf.readUInt16BE(i * 2));
  return point.wordOrder === "little" && type !== "string" ? words.reverse() : words;
}

/** One read request: consecutive points of one unit and table, merged up to the protocol limit. */
export interface ReadBlock {
  unit: number;
  table: ModbusTable;
  start: number;
  count: number;
  points: { point: PointSpec; addr: ModbusAddress }[];
}

/** Modbus limits per request: 125 registers (FC3/FC4), 2000 bits (FC1/FC2). */
const MAX_SPAN = { coil: 2000, discrete: 2000, holding: 125, input: 125 } as const;

/**
 * Groups points into as few requests as possible. Only adjacent or overlapping points are merged: a
 * gap could hold an undefined register, and many devices refuse a block read that touches one.
 */
export function planReads(
  points: readonly { point: PointSpec; addr: ModbusAddress }[],
  defaultUnit: number,
): ReadBlock[] {
  const sorted = [...points].sort(
    (a, b) =>
      (a.addr.unit ?? defaultUnit) - (b.addr.unit ?? defaultUnit) ||
      a.addr.table.localeCompare(b.addr.table) ||
      a.addr.address - b.addr.address,
  );
  const blocks: ReadBlock[] = [];
  for (const p of sorted) {
    const unit = p.addr.unit ?? defaultUnit;
    const span = spanOf(p.point, p.addr);
    const last = blocks[blocks.length - 1];
    const end = p.addr.address + span;
    if (
      last &&
      last.unit === unit &&
      last.table === p.addr.table &&
      p.addr.address <= last.start + last.count &&
      Math.max(end, last.start + last.count) - last.start <= MAX_SPAN[p.addr.table]
    ) {
      last.count = Math.max(end, last.start + last.count) - last.start;
      last.points.push(p);
    } else {
      blocks.push({ unit, table: p.addr.table, start: p.addr.address, count: span, points: [p] });
    }
  }
  return blocks;
}
