import { setFlagsFromString } from "node:v8";

/**
 * Bounds how far V8 lets the JS heap grow past its live size before the next full collection.
 *
 * Why: V8 sets the old generation's next limit to the live size times a growing factor of up to 4
 * when the process may use a large heap (its default on a machine with ≥ 16 GiB is a 4 GiB limit).
 * Until `WasmHeadroom` (wasm-headroom.ts), every 64 KiB grow of Automerge's wasm heap forced a full
 * mark-compact, which also kept the JS heap near its live size; without those, a node with 10,000
 * connected devices let ~200 MiB of live heap grow to ~660 MiB of heap before collecting it
 * (docs/benchmarks.md, "Memory at 10,000 devices"). V8's `--heap-growing-percent` replaces the
 * factor with 1 + percent/100; V8 reads it whenever it recomputes the limit after a collection, so
 * it can be set once the process runs (`umbra broker` is started without node flags).
 *
 * `percent` ≥ 300 (V8's largest factor, 4) leaves V8's own dynamic factor.
 * The cost is more full collections (each one incremental and mostly concurrent, as before):
 * measured as CPU per update in the same bench run (docs/benchmarks.md).
 */
export const V8_MAX_PERCENT = 300;

export function limitHeapGrowth(percent: number): void {
  // V8's own factor never exceeds 4 (300 %): a cap at or above it leaves V8's dynamic factor alone.
  if (!Number.isInteger(percent) || percent <= 0 || percent >= V8_MAX_PERCENT) return;
  setFlagsFromString(`--heap-growing-percent=${percent}`);
}
