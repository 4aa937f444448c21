import { ByteReader, ByteWriter } from "./codec-bytes.ts";
import type { ColumnReaders, Columns } from "./codec-ops.ts";

/** Wire constants and small helpers shared by the relay codec's encoder and decoder. */
export const MAGIC0 = 0x55; // "U"
export const MAGIC1 = 0x43; // "C"
export const VERSION = 1;
export const CHECKSUM_BYTES = 8;

// Per-change flags.
export const C_RAW = 0x01;
export const C_MESSAGE = 0x02;
export const C_SEQ_NEXT = 0x04;
export const C_SAME_ACTOR = 0x08;
// Dependency tags.
export const D_BACK = 0;
export const D_SKELETON = 1;
export const D_FULL = 2;
export const D_PREFIX = 3;

export interface Prev {
  actor: string;
  seq: number;
  maxOp: number;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function newColumns(): Columns {
  return { meta: new ByteWriter(), text: new ByteWriter(), nums: new ByteWriter() };
}

export function readersOf(c: Columns): ColumnReaders {
  return {
    meta: new ByteReader(c.meta.finish()),
    text: new ByteReader(c.text.finish()),
    nums: new ByteReader(c.nums.finish()),
  };
}
