import { createHash } from "node:crypto";
import * as A from "@automerge/automerge";

/**
 * Change hashes for the relay codec. Every shadow starts from the same skeleton change
 * (broker/shadow/shadow-doc.ts), so a dependency on it costs one tag byte instead of 32 bytes; a unit
 * test pins this constant to the skeleton's actual head.
 */
export const SKELETON_HASH = "3f025b980014eec3d2ecda747448b5620967c99fc67a2ee1a43fee2364d5d58b";

/**
 * Bytes of a dependency hash sent when the encoder may abbreviate deps outside the batch. The receiver
 * resolves a prefix among the few changes of one shadow it already holds (usually its heads), and a
 * wrong resolution cannot go unnoticed: the batch checksum covers every rebuilt hash.
 */
export const DEP_PREFIX_BYTES = 4;

/**
 * The hash of a change from its bytes. An uncompressed change chunk (type 1) is hashed as SHA-256 of
 * everything after the 4-byte magic and 4-byte checksum, which is far cheaper than a full decode;
 * any other chunk is decoded.
 */
export function changeHash(bytes: Uint8Array): string {
  if (isChangeChunk(bytes)) return createHash("sha256").update(bytes.subarray(8)).digest("hex");
  return A.decodeChange(bytes).hash;
}

function isChangeChunk(bytes: Uint8Array): boolean {
  return (
    bytes.length > 8 &&
    bytes[0] === 0x85 &&
    bytes[1] === 0x6f &&
    bytes[2] === 0x4a &&
    bytes[3] === 0x83 &&
    bytes[8] === 1
  );
}

/**
 * Whether a raw change's own checksum (bytes 4-8: the start of its hash) matches its content. The
 * hash does not cover those 4 bytes, so without this check a corrupted checksum would pass unseen.
 * Chunks other than uncompressed changes are left to Automerge.
 */
export function checksumValid(bytes: Uint8Array): boolean {
  if (!isChangeChunk(bytes)) return true;
  const hash = createHash("sha256").update(bytes.subarray(8)).digest();
  return hash[0] === bytes[4] && hash[1] === bytes[5] && hash[2] === bytes[6] && hash[3] === bytes[7];
}
