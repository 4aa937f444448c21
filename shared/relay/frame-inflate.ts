import { brotliDecompress } from "node:zlib";
import { FrameError, packedPart } from "./protocol.ts";

/** A frame that would inflate past the receiver's bound: a decompression bomb, or a broken peer. */
export class FrameBombError extends FrameError {
  override name = "FrameBombError";
}

/**
 * Inflates a relay frame without blocking the event loop: brotli runs on libuv's thread pool in
 * chunks, and stops with FrameBombError as soon as the output would pass `maxPlainBytes` — memory
 * held is bounded by that, whatever the frame claims. Parse the result with `parseFrame`.
 */
export function inflateFrame(bytes: Uint8Array, maxPlainBytes: number): Promise<Buffer> {
  let packed: Uint8Array;
  try {
    packed = packedPart(bytes);
  } catch (err) {
    return Promise.reject(err);
  }
  return new Promise((resolve, reject) => {
    brotliDecompress(packed, { maxOutputLength: maxPlainBytes }, (err, plain) => {
      if (!err) return resolve(plain);
      if ((err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE")
        return reject(new FrameBombError(`relay frame inflates past ${maxPlainBytes} bytes`));
      reject(new FrameError(`corrupt relay frame: ${err.message.slice(0, 200)}`));
    });
  });
}
