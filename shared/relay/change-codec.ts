import { createHash } from "node:crypto";
import * as A from "@automerge/automerge";
import { ByteWriter, fromHex } from "./codec-bytes.ts";
import { decodeChangeSets } from "./codec-decode.ts";
import { DEP_PREFIX_BYTES, SKELETON_HASH } from "./codec-deps.ts";
import { encodeChangeExact } from "./codec-floats.ts";
import {
  C_MESSAGE,
  C_RAW,
  C_SAME_ACTOR,
  C_SEQ_NEXT,
  CHECKSUM_BYTES,
  D_BACK,
  D_FULL,
  D_PREFIX,
  D_SKELETON,
  MAGIC0,
  MAGIC1,
  newColumns,
  type Prev,
  readersOf,
  sameBytes,
  VERSION,
} from "./codec-format.ts";
import { ActorTable, type Columns, type Op, readOp, writeOp } from "./codec-ops.ts";

/**
 * The compact relay encoding of raw Automerge changes, grouped per shadow.
 *
 * A raw change carries a 16-byte actor, a 32-byte hash per dependency and self-describing columns:
 * ~100-200 bytes for a two-leaf shadow update, most of it incompressible. Here a batch has one actor
 * table; a dependency on the previous change(s) of the same set, or on the shared skeleton, is a one-byte
 * back-reference; seq/startOp/time are delta-coded; ops are written field by field into columns
 * (structure, text, numbers) so brotli compresses like with like. The receiver rebuilds each change
 * with Automerge's `encodeChange` and a batch checksum over the rebuilt hashes proves it got back the
 * exact changes the sender had (the hashes are what Automerge deduplicates by and heads are made of).
 *
 * The encoder rebuilds every change itself before choosing the compact form; a change that does not
 * come back byte-exactly (an op kind or value this codec does not model, a future change format) is
 * carried raw and flagged. Round trips are therefore lossless for any input.
 *
 * Layout (all integers LEB128):
 *   "UC" version=1 depPrefixBytes | actors: n, n × bytes | sets: n | column lengths: meta text nums hashes raw
 *   | the five columns | 8-byte checksum = SHA-256(per set: key, NUL, its change hashes)[0..8]
 * The checksum covers the keys too, so a corrupted key cannot route changes to another shadow.
 */
export interface ChangeSet {
  /** The shadow (or any grouping the caller uses); a dep is implied only within one set. */
  key: string;
  /** Raw Automerge changes in causal order (as `getChanges`/`getChangesAdded` return them). */
  changes: Uint8Array[];
}

export interface EncodeOptions {
  /**
   * Send deps that are neither in the batch nor the skeleton as 8-byte hash prefixes instead of 32-byte
   * hashes. Only when the receiver decodes with `resolveDep` (it holds those changes already, e.g.
   * they are the heads it acknowledged).
   */
  abbreviateDeps?: boolean;
  /** Prefix length for abbreviated deps, 2-32 bytes (default 4). Shorter saves bytes per shadow. */
  depPrefixBytes?: number;
}

export interface DecodeOptions {
  /** Expands an abbreviated dep (hex prefix) of shadow `key` to the full hex hash, if known. */
  resolveDep?(key: string, prefix: string): string | undefined;
}

export { decodeChangeSets };

export interface EncodedBatch {
  bytes: Uint8Array;
  /** Changes in the batch, how many went compact and how many raw. */
  changes: number;
  compact: number;
  raw: number;
}

/**
 * The change's ops in compact form, or undefined when they would not rebuild `raw` byte-exactly.
 * Checked by a full round trip through the columns and `encodeChange`.
 */
function compactOps(decoded: A.DecodedChange, raw: Uint8Array, actors: ActorTable): Columns | undefined {
  if ((decoded as { author?: unknown }).author != null) return undefined;
  const cols = newColumns();
  try {
    const self = (i: number) => ({ actor: decoded.actor, counter: decoded.startOp + i });
    decoded.ops.forEach((op, i) => {
      writeOp(op, actors, cols, self(i));
    });
    const r = readersOf(cols);
    const ops: Op[] = decoded.ops.map((_, i) => readOp(r, actors.actors, self(i)));
    const { hash: _hash, ...header } = decoded;
    return sameBytes(encodeChangeExact({ ...header, ops }), raw) ? cols : undefined;
  } catch {
    return undefined;
  }
}

/** Encodes change sets and reports how many changes went compact. */
export function encodeBatch(sets: readonly ChangeSet[], options: EncodeOptions = {}): EncodedBatch {
  const prefixBytes = options.abbreviateDeps ? (options.depPrefixBytes ?? DEP_PREFIX_BYTES) : 32;
  if (!Number.isInteger(prefixBytes) || prefixBytes < 2 || prefixBytes > 32) {
    throw new RangeError(`depPrefixBytes must be an integer from 2 to 32, not ${options.depPrefixBytes}`);
  }
  const actors = new ActorTable();
  const cols = newColumns();
  const hashes = new ByteWriter();
  const raws = new ByteWriter();
  const check = createHash("sha256");
  let compact = 0;
  let rawCount = 0;
  let prevTime = 0;
  for (const set of sets) {
    cols.text.string(set.key);
    check.update(`${set.key}\0`);
    cols.meta.uint(set.changes.length);
    const seen = new Map<string, number>(); // hash -> index within the set
    let prev: Prev | undefined;
    set.changes.forEach((bytes, index) => {
      const decoded = A.decodeChange(bytes);
      check.update(fromHex(decoded.hash));
      seen.set(decoded.hash, index);
      const ops = compactOps(decoded, bytes, actors);
      if (!ops) {
        rawCount++;
        cols.meta.byte(C_RAW);
        raws.bytes(bytes);
        prev = { actor: decoded.actor, seq: decoded.seq, maxOp: decoded.startOp + decoded.ops.length - 1 };
        return;
      }
      compact++;
      const sameActor = prev?.actor === decoded.actor;
      const seqNext = sameActor && prev?.seq !== undefined && decoded.seq === prev.seq + 1;
      let flags = 0;
      if (decoded.message !== null) flags |= C_MESSAGE;
      if (seqNext) flags |= C_SEQ_NEXT;
      if (sameActor) flags |= C_SAME_ACTOR;
      cols.meta.byte(flags);
      if (!sameActor) cols.meta.uint(actors.indexOf(decoded.actor));
      if (!seqNext) cols.nums.uint(decoded.seq);
      cols.nums.int(decoded.startOp - (prev ? prev.maxOp + 1 : 0));
      cols.nums.int(decoded.time - prevTime);
      prevTime = decoded.time;
      if (decoded.message !== null) cols.text.string(decoded.message);
      cols.meta.uint(decoded.deps.length);
      for (const dep of decoded.deps) {
        const at = seen.get(dep);
        if (at !== undefined && at < index) {
          cols.meta.byte(D_BACK);
          cols.meta.uint(index - at);
        } else if (dep === SKELETON_HASH) cols.meta.byte(D_SKELETON);
        else if (prefixBytes < 32) {
          cols.meta.byte(D_PREFIX);
          hashes.raw(fromHex(dep).subarray(0, prefixBytes));
        } else {
          cols.meta.byte(D_FULL);
          hashes.raw(fromHex(dep));
        }
      }
      cols.meta.uint(decoded.ops.length);
      cols.meta.raw(ops.meta.finish());
      cols.text.raw(ops.text.finish());
      cols.nums.raw(ops.nums.finish());
      prev = { actor: decoded.actor, seq: decoded.seq, maxOp: decoded.startOp + decoded.ops.length - 1 };
    });
  }
  const out = new ByteWriter();
  out.byte(MAGIC0);
  out.byte(MAGIC1);
  out.byte(VERSION);
  out.byte(prefixBytes); // length of abbreviated deps (32: none abbreviated)
  out.uint(actors.actors.length);
  for (const actor of actors.actors) out.bytes(fromHex(actor));
  out.uint(sets.length);
  const columns = [
    cols.meta.finish(),
    cols.text.finish(),
    cols.nums.finish(),
    hashes.finish(),
    raws.finish(),
  ];
  for (const c of columns) out.uint(c.length);
  for (const c of columns) out.raw(c);
  out.raw(check.digest().subarray(0, CHECKSUM_BYTES));
  return { bytes: out.finish(), changes: compact + rawCount, compact, raw: rawCount };
}

export function encodeChangeSets(sets: readonly ChangeSet[], options?: EncodeOptions): Uint8Array {
  return encodeBatch(sets, options).bytes;
}
