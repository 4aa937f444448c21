import { createHash } from "node:crypto";
import * as A from "@automerge/automerge";
import type { Op } from "./codec-ops.ts";

/**
 * `encodeChange` takes the change through JSON text, and its parser does not round every float64
 * correctly (values with 16-17 significant digits, such as 0.1 + 0.2, can come back one unit off).
 * The float column of a change holds the IEEE bytes verbatim, so we repair them: rebuild, decode what
 * came out, swap each wrong float's 8 bytes for the intended ones and recompute the chunk checksum
 * (the first 4 bytes of the change hash, which covers everything after the checksum).
 *
 * Deterministic, so the receiver repairs exactly as the sender did; the sender checks the result
 * against the original bytes and carries the change raw when the repair is not exact (e.g. the wrong
 * bytes also occur elsewhere in the change).
 */
export function encodeChangeExact(change: Parameters<typeof A.encodeChange>[0]): Uint8Array {
  const bytes = A.encodeChange(change);
  const floats = change.ops.filter((op) => op.datatype === "float64" && typeof op.value === "number");
  if (floats.length === 0) return bytes;
  const rebuilt = A.decodeChange(bytes).ops;
  const swaps = new Map<number, number>(); // wrong value -> intended value
  change.ops.forEach((op: Op, i) => {
    const got = rebuilt[i]?.value;
    if (op.datatype === "float64" && typeof got === "number" && !Object.is(got, op.value)) {
      swaps.set(got, op.value as number);
    }
  });
  if (swaps.size === 0) return bytes;
  // A wrong value that some other op holds legitimately cannot be told apart: leave it (raw fallback).
  for (const op of rebuilt)
    if (typeof op.value === "number" && swaps.has(op.value) && !Object.is(swaps.get(op.value), op.value)) {
      const intendedElsewhere = change.ops.some((o) => Object.is(o.value, op.value));
      if (intendedElsewhere) return bytes;
    }
  const out = bytes.slice();
  for (const [wrong, right] of swaps) replaceAll(out, f64(wrong), f64(right));
  const hash = createHash("sha256").update(out.subarray(8)).digest();
  out.set(hash.subarray(0, 4), 4);
  return out;
}

function f64(value: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, value, true);
  return b;
}

function replaceAll(buf: Uint8Array, from: Uint8Array, to: Uint8Array): void {
  outer: for (let i = 8; i + from.length <= buf.length; i++) {
    for (let j = 0; j < from.length; j++) if (buf[i + j] !== from[j]) continue outer;
    buf.set(to, i);
    i += from.length - 1;
  }
}
