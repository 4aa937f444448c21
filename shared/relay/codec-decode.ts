import { createHash } from "node:crypto";
import * as A from "@automerge/automerge";
import type { ChangeSet, DecodeOptions } from "./change-codec.ts";
import { ByteReader, CodecError, fromHex, toHex } from "./codec-bytes.ts";
import { changeHash, checksumValid, SKELETON_HASH } from "./codec-deps.ts";
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
  type Prev,
  sameBytes,
  VERSION,
} from "./codec-format.ts";
import { type ColumnReaders, type Op, readOp } from "./codec-ops.ts";

/**
 * Decodes a batch back into the exact raw changes, per set. Throws `CodecError` (code `corrupt`,
 * `truncated`, `unresolved-dep` or `checksum`) when the batch cannot be rebuilt exactly; the caller
 * should then NAK the frame or ask for it raw, never apply part of it.
 */
export function decodeChangeSets(bytes: Uint8Array, options: DecodeOptions = {}): ChangeSet[] {
  const r = new ByteReader(bytes);
  if (r.byte() !== MAGIC0 || r.byte() !== MAGIC1) throw new CodecError("corrupt", "not a relay change batch");
  const version = r.byte();
  if (version !== VERSION)
    throw new CodecError("version", `relay change batch version ${version} is not supported`);
  const prefixBytes = r.byte();
  if (prefixBytes < 2 || prefixBytes > 32)
    throw new CodecError("corrupt", `bad dep prefix length ${prefixBytes}`);
  const actors: string[] = [];
  for (let n = r.uint(), i = 0; i < n; i++) actors.push(toHex(r.bytes()));
  const setCount = r.uint();
  const lengths = [r.uint(), r.uint(), r.uint(), r.uint(), r.uint()];
  const [meta, text, nums, hashes, raws] = lengths.map((n) => new ByteReader(r.raw(n))) as ByteReader[];
  const cols: ColumnReaders = {
    meta: meta as ByteReader,
    text: text as ByteReader,
    nums: nums as ByteReader,
  };
  const checksum = r.raw(CHECKSUM_BYTES);
  const check = createHash("sha256");
  const sets: ChangeSet[] = [];
  let prevTime = 0;
  for (let s = 0; s < setCount; s++) {
    const key = cols.text.string();
    check.update(`${key}\0`);
    const count = cols.meta.uint();
    const changes: Uint8Array[] = [];
    const setHashes: string[] = [];
    let prev: Prev | undefined;
    for (let index = 0; index < count; index++) {
      const flags = cols.meta.byte();
      let change: Uint8Array;
      if (flags & C_RAW) {
        change = (raws as ByteReader).bytes();
        if (!checksumValid(change))
          throw new CodecError("checksum", `raw change ${index} of '${key}' fails its checksum`);
        let meta: A.DecodedChange;
        try {
          meta = A.decodeChange(change);
        } catch (err) {
          throw new CodecError(
            "corrupt",
            `raw change ${index} of '${key}' is not an Automerge change: ${(err as Error).message}`,
          );
        }
        prev = { actor: meta.actor, seq: meta.seq, maxOp: meta.startOp + meta.ops.length - 1 };
      } else {
        const actor = flags & C_SAME_ACTOR ? prev?.actor : actors[cols.meta.uint()];
        if (actor === undefined) throw new CodecError("corrupt", "change names an actor outside the table");
        const seq = flags & C_SEQ_NEXT && prev ? prev.seq + 1 : cols.nums.uint();
        const startOp = cols.nums.int() + (prev ? prev.maxOp + 1 : 0);
        const time = cols.nums.int() + prevTime;
        prevTime = time;
        const message = flags & C_MESSAGE ? cols.text.string() : null;
        const deps: string[] = [];
        for (let n = cols.meta.uint(), i = 0; i < n; i++)
          deps.push(readDep(cols, hashes as ByteReader, key, setHashes, prefixBytes, options));
        const ops: Op[] = [];
        for (let n = cols.meta.uint(), i = 0; i < n; i++)
          ops.push(readOp(cols, actors, { actor, counter: startOp + i }));
        try {
          change = encodeChangeExact({ actor, seq, startOp, time, message, deps, ops } as Parameters<
            typeof A.encodeChange
          >[0]);
        } catch (err) {
          throw new CodecError(
            "corrupt",
            `change ${index} of '${key}' does not rebuild: ${(err as Error).message}`,
          );
        }
        prev = { actor, seq, maxOp: startOp + ops.length - 1 };
      }
      let hash: string;
      try {
        hash = changeHash(change);
      } catch (err) {
        throw new CodecError(
          "corrupt",
          `change ${index} of '${key}' cannot be hashed: ${(err as Error).message}`,
        );
      }
      setHashes.push(hash);
      check.update(fromHex(hash));
      changes.push(change);
    }
    sets.push({ key, changes });
  }
  const digest = check.digest().subarray(0, CHECKSUM_BYTES);
  if (!sameBytes(digest, checksum)) {
    throw new CodecError(
      "checksum",
      "relay change batch does not rebuild the sender's changes (hash checksum mismatch)",
    );
  }
  return sets;
}

function readDep(
  cols: ColumnReaders,
  hashes: ByteReader,
  key: string,
  setHashes: readonly string[],
  prefixBytes: number,
  options: DecodeOptions,
): string {
  const tag = cols.meta.byte();
  if (tag === D_BACK) {
    const back = cols.meta.uint();
    const hash = setHashes[setHashes.length - back];
    if (back < 1 || hash === undefined) throw new CodecError("corrupt", "dep refers outside its set");
    return hash;
  }
  if (tag === D_SKELETON) return SKELETON_HASH;
  if (tag === D_FULL) return toHex(hashes.raw(32));
  if (tag === D_PREFIX) {
    const prefix = toHex(hashes.raw(prefixBytes));
    const full = options.resolveDep?.(key, prefix);
    if (!full?.startsWith(prefix)) {
      throw new CodecError("unresolved-dep", `'${key}': no known change with hash prefix ${prefix}`);
    }
    return full;
  }
  throw new CodecError("corrupt", `unknown dep tag ${tag}`);
}
