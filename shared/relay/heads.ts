import * as A from "@automerge/automerge";
import { changeHash } from "./codec-deps.ts";

/**
 * The heads a batch of changes leads to, computed from the batch alone: the hashes of its changes
 * that no other change of the batch depends on. A `changes` frame omits the sender's heads of a
 * shadow when they are exactly these (the usual case: 32 bytes saved per shadow). Pure.
 */
function readLeb(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (let i = at; i < bytes.length && shift < 35; i++) {
    const b = bytes[i] as number;
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if ((b & 0x80) === 0) return [value, i + 1];
  }
  throw new Error("truncated LEB128");
}

/** The dependency hashes of a raw change (read from the uncompressed chunk header, else decoded). */
export function changeDeps(bytes: Uint8Array): string[] {
  if (bytes.length > 9 && bytes[0] === 0x85 && bytes[1] === 0x6f && bytes[8] === 1) {
    const [, bodyAt] = readLeb(bytes, 9); // chunk length
    const [count, at] = readLeb(bytes, bodyAt);
    const deps: string[] = [];
    for (let i = 0; i < count; i++) {
      deps.push(Buffer.from(bytes.subarray(at + i * 32, at + (i + 1) * 32)).toString("hex"));
    }
    return deps;
  }
  return A.decodeChange(bytes).deps;
}

export function tipsOf(changes: readonly Uint8Array[]): string[] {
  const hashes = changes.map(changeHash);
  const depended = new Set(changes.flatMap(changeDeps));
  return hashes.filter((h) => !depended.has(h)).sort();
}
