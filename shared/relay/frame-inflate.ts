import { createBrotliDecompress } from "node:zlib";
import { FrameError, packedPart } from "./protocol.ts";

/** A frame that would inflate past the receiver's bound: a decompression bomb, or a broken peer. */
export class FrameBombError extends FrameError {
  override name = "FrameBombError";
}

/** Bytes of inflated output a frame's cap may depend on (the header length and the start of its JSON). */
export const FRAME_HEAD_BYTES = 16;

/**
 * Inflates a relay frame without blocking the event loop: brotli runs on libuv's thread pool, chunk by
 * chunk, and stops with FrameBombError as soon as the output passes its cap — memory held is bounded by
 * the cap, whatever the frame claims. The cap is `maxPlainBytes`, lowered by `capFor` once the first
 * FRAME_HEAD_BYTES are known (frame kinds that are small by nature get a small cap). Parse the result
 * with `parseFrame`.
 */
export function inflateFrame(
  bytes: Uint8Array,
  maxPlainBytes: number,
  capFor: (head: Buffer) => number = () => maxPlainBytes,
): Promise<Buffer> {
  let packed: Uint8Array;
  try {
    packed = packedPart(bytes);
  } catch (err) {
    return Promise.reject(err);
  }
  return new Promise((resolve, reject) => {
    const inflate = createBrotliDecompress();
    const chunks: Buffer[] = [];
    let total = 0;
    let cap = maxPlainBytes;
    let headSeen = false;
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      inflate.destroy();
      reject(err);
    };
    inflate.on("data", (chunk: Buffer) => {
      if (settled) return;
      chunks.push(chunk);
      total += chunk.byteLength;
      if (!headSeen && total >= FRAME_HEAD_BYTES) {
        headSeen = true;
        cap = Math.min(cap, capFor(Buffer.concat(chunks, total).subarray(0, FRAME_HEAD_BYTES)));
      }
      if (total > cap) fail(new FrameBombError(`relay frame inflates past ${cap} bytes`));
    });
    inflate.on("error", (err) => fail(new FrameError(`corrupt relay frame: ${err.message.slice(0, 200)}`)));
    inflate.on("end", () => {
      if (settled) return;
      settled = true;
      resolve(Buffer.concat(chunks, total));
    });
    inflate.end(packed);
  });
}
