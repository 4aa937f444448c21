import * as A from "@automerge/automerge";
import { ByteReader, toHex } from "./codec-bytes.ts";
import { changeHash } from "./codec-deps.ts";

/** The dependency hashes of a raw change (read from the uncompressed chunk header, else decoded). */
export function changeDeps(bytes: Uint8Array): string[] {
  if (bytes.length > 9 && bytes[0] === 0x85 && bytes[1] === 0x6f && bytes[8] === 1) {
    const reader = new ByteReader(bytes.subarray(9));
    reader.uint(); // chunk length
    const count = reader.uint();
    const deps: string[] = [];
    for (let i = 0; i < count; i++) deps.push(toHex(reader.raw(32)));
    return deps;
  }
  return A.decodeChange(bytes).deps;
}

/**
 * The heads a batch of changes leads to, computed from the batch alone: the hashes of its changes
 * that no other change of the batch depends on. A `changes` frame omits the sender's heads of a
 * shadow when they are exactly these (the usual case: 32 bytes saved per shadow). Pure.
 */
export function tipsOf(changes: readonly Uint8Array[]): string[] {
  const hashes = changes.map(changeHash);
  const depended = new Set(changes.flatMap(changeDeps));
  return hashes.filter((h) => !depended.has(h)).sort();
}
