import type * as A from "@automerge/automerge";
import { type ByteReader, type ByteWriter, CodecError } from "./codec-bytes.ts";

/**
 * The compact form of Automerge ops (as `decodeChange` returns them), written into three columns so
 * that brotli sees like with like: `meta` (action/flag bytes and small integers), `text` (keys and
 * string values) and `nums` (op counters and numeric values). Object, element and predecessor ids are
 * `counter@actor`; the actor becomes an index into the batch's actor table.
 *
 * Anything this module does not know (another action, an op field it does not model, a value type
 * `encodeChange` cannot take back) throws `unsupported`; the caller then carries the change raw.
 */
export type Op = A.DecodedChange["ops"][number];

export interface Columns {
  meta: ByteWriter;
  text: ByteWriter;
  nums: ByteWriter;
}

export interface ColumnReaders {
  meta: ByteReader;
  text: ByteReader;
  nums: ByteReader;
}

/** Maps actor hex ids to small indices, in order of first use. */
export class ActorTable {
  readonly actors: string[] = [];
  private readonly index = new Map<string, number>();

  indexOf(actor: string): number {
    let i = this.index.get(actor);
    if (i === undefined) {
      i = this.actors.length;
      this.actors.push(actor);
      this.index.set(actor, i);
    }
    return i;
  }
}

const ACTIONS = ["set", "del", "inc", "makeMap", "makeList", "makeText", "makeTable"] as const;
const ACTION_CODE = new Map<string, number>(ACTIONS.map((a, i) => [a, i]));

// Value tags (the `datatype`/JS type pair `decodeChange` produces).
const V_NONE = 0;
const V_NULL = 1;
const V_TRUE = 2;
const V_FALSE = 3;
const V_STR = 4;
const V_INT = 5;
const V_UINT = 6;
const V_F64 = 7;
const V_COUNTER = 8;
const V_TIMESTAMP = 9;
const V_F64_UNTYPED = 10;
/** A float64 that is a short decimal (21.5, 3.25): sent as mantissa and exponent, not 8 raw bytes. */
const V_F64_DECIMAL = 11;

const KNOWN_FIELDS = new Set(["action", "obj", "key", "elemId", "insert", "value", "datatype", "pred"]);

function unsupported(what: string): never {
  throw new CodecError("unsupported", what);
}

/**
 * `value` as `mantissa / 10 ** digits` with at most 9 digits and a mantissa below 2^48, when that
 * division gives back exactly the same float (so the decoder, doing the same division, does too).
 */
function decimalOf(value: number): [number, number] | undefined {
  if (!Number.isFinite(value) || Object.is(value, -0)) return undefined;
  for (let digits = 0; digits <= 9; digits++) {
    const mantissa = Math.round(value * 10 ** digits);
    if (Math.abs(mantissa) >= 2 ** 48) return undefined;
    if (mantissa / 10 ** digits === value) return [mantissa, digits];
  }
  return undefined;
}

/**
 * An op id. A predecessor written by the change's own actor is sent as the distance back from the
 * op's own counter (`self`): repeated writes of the same leaf then look alike across shadows.
 */
function writeOpId(
  id: string,
  actors: ActorTable,
  c: Columns,
  self?: { actor: string; counter: number },
): void {
  const at = id.indexOf("@");
  if (at <= 0) unsupported(`op id ${id}`);
  const counter = Number(id.slice(0, at));
  if (!Number.isSafeInteger(counter) || counter < 0 || String(counter) !== id.slice(0, at)) {
    unsupported(`op id ${id}`);
  }
  const actor = id.slice(at + 1);
  c.meta.uint(actors.indexOf(actor));
  if (self && actor === self.actor) c.nums.int(self.counter - counter);
  else c.nums.uint(counter);
}

function readOpId(
  r: ColumnReaders,
  actors: readonly string[],
  self?: { actor: string; counter: number },
): string {
  const actor = actors[r.meta.uint()];
  if (actor === undefined) throw new CodecError("corrupt", "op id names an actor outside the table");
  const counter = self && actor === self.actor ? self.counter - r.nums.int() : r.nums.uint();
  if (counter < 0) throw new CodecError("corrupt", "negative op counter");
  return `${counter}@${actor}`;
}

function valueTag(op: Op): number {
  const { value, datatype } = op as Op & { value?: unknown };
  if (!("value" in op)) {
    if (datatype !== undefined) unsupported("datatype without value");
    return V_NONE;
  }
  if (value === null && datatype === undefined) return V_NULL;
  if (typeof value === "boolean" && datatype === undefined) return value ? V_TRUE : V_FALSE;
  if (typeof value === "string" && datatype === undefined) return V_STR;
  if (typeof value === "number") {
    if (datatype === "float64") return decimalOf(value) ? V_F64_DECIMAL : V_F64;
    if (datatype === undefined) return V_F64_UNTYPED;
    if (!Number.isSafeInteger(value)) unsupported(`${datatype} value ${value}`);
    if (datatype === "int") return V_INT;
    if (datatype === "uint" && value >= 0) return V_UINT;
    if (datatype === "counter") return V_COUNTER;
    if (datatype === "timestamp") return V_TIMESTAMP;
  }
  return unsupported(`value of type ${datatype ?? typeof value}`);
}

/**
 * Writes one op; `self` is the op's own id (the change's actor, startOp + index). Throws `unsupported`
 * for ops the compact form does not model.
 */
export function writeOp(
  op: Op,
  actors: ActorTable,
  c: Columns,
  self: { actor: string; counter: number },
): void {
  for (const field of Object.keys(op)) if (!KNOWN_FIELDS.has(field)) unsupported(`op field ${field}`);
  const action = ACTION_CODE.get(op.action);
  if (action === undefined) unsupported(`action ${op.action}`);
  const o = op as Op & { elemId?: string; insert?: boolean };
  const hasKey = typeof o.key === "string";
  const hasElem = typeof o.elemId === "string";
  if (hasKey === hasElem) unsupported("op with neither or both of key and elemId");
  if (o.insert !== undefined && (o.insert !== true || !hasElem)) unsupported("insert flag");
  // keyKind: 0 map key, 1 list head, 2 list element id
  const keyKind = hasKey ? 0 : o.elemId === "_head" ? 1 : 2;
  const tag = valueTag(op);
  c.meta.byte(action | (o.insert ? 0x08 : 0) | (keyKind << 4));
  c.meta.byte(tag);
  if (op.obj === "_root") c.meta.uint(0);
  else {
    c.meta.uint(1);
    writeOpId(op.obj, actors, c);
  }
  if (keyKind === 0) c.text.string(o.key);
  else if (keyKind === 2) writeOpId(o.elemId as string, actors, c);
  const value = (op as { value?: unknown }).value;
  if (tag === V_STR) c.text.string(value as string);
  else if (tag === V_F64 || tag === V_F64_UNTYPED) c.nums.f64(value as number);
  else if (tag === V_F64_DECIMAL) {
    const [mantissa, digits] = decimalOf(value as number) as [number, number];
    c.meta.uint(digits);
    c.nums.int(mantissa);
  } else if (tag >= V_INT && tag <= V_TIMESTAMP) c.nums.int(value as number);
  if (!Array.isArray(op.pred)) unsupported("pred");
  c.meta.uint(op.pred.length);
  for (const p of op.pred) writeOpId(p, actors, c, self);
}

const DATATYPE: Record<number, string> = {
  [V_INT]: "int",
  [V_UINT]: "uint",
  [V_F64]: "float64",
  [V_F64_DECIMAL]: "float64",
  [V_COUNTER]: "counter",
  [V_TIMESTAMP]: "timestamp",
};

/** Reads one op back into the object shape `encodeChange` takes (field order as `decodeChange`'s). */
export function readOp(
  r: ColumnReaders,
  actors: readonly string[],
  self: { actor: string; counter: number },
): Op {
  const head = r.meta.byte();
  const tag = r.meta.byte();
  const action = ACTIONS[head & 0x07];
  if (action === undefined || tag > V_F64_DECIMAL) throw new CodecError("corrupt", "unknown op code");
  const insert = (head & 0x08) !== 0;
  const keyKind = (head >> 4) & 0x03;
  const obj = r.meta.uint() === 0 ? "_root" : readOpId(r, actors);
  const op: Record<string, unknown> = { action, obj };
  if (keyKind === 0) op.key = r.text.string();
  else op.elemId = keyKind === 1 ? "_head" : readOpId(r, actors);
  if (insert) op.insert = true;
  const datatype = DATATYPE[tag];
  if (datatype) op.datatype = datatype;
  if (tag === V_NULL) op.value = null;
  else if (tag === V_TRUE) op.value = true;
  else if (tag === V_FALSE) op.value = false;
  else if (tag === V_STR) op.value = r.text.string();
  else if (tag === V_F64 || tag === V_F64_UNTYPED) op.value = r.nums.f64();
  else if (tag === V_F64_DECIMAL) {
    const digits = r.meta.uint();
    op.value = r.nums.int() / 10 ** digits;
  } else if (tag !== V_NONE) op.value = r.nums.int();
  const n = r.meta.uint();
  const pred: string[] = [];
  for (let i = 0; i < n; i++) pred.push(readOpId(r, actors, self));
  op.pred = pred;
  return op as unknown as Op;
}
