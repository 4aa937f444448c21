import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * Bounds how far V8 lets the JS heap grow past its live size before the next full collection.
 *
 * Why: V8 sets the old generation's next limit to the live size times a growing factor of up to 4
 * when the process may use a large heap (its default on a machine with ≥ 16 GiB is a 4 GiB limit).
 * Until `WasmHeadroom` (wasm-headroom.ts), every 64 KiB grow of Automerge's wasm heap forced a full
 * mark-compact, which also kept the JS heap near its live size; without those, a node with 10,000
 * connected devices let ~140–190 MiB of live heap grow to 600–790 MiB before collecting it
 * (docs/benchmarks.md, "Memory at 10,000 devices"). V8's `--heap-growing-percent` replaces the
 * factor with 1 + percent/100. V8 applies it when it next sets the limit, i.e. after the next full
 * collection, which with the limit start-up left could be hundreds of MiB away: so one full
 * collection is run right away (~50–100 ms once, at the end of start-up; `umbra broker` is started
 * without node flags, hence the runtime flags).
 *
 * `percent` ≥ 300 (V8's largest factor, 4) leaves V8's own dynamic factor, and runs nothing.
 * The cost is more full collections (each one incremental and mostly concurrent, as before):
 * measured as CPU per update in the same bench run (docs/benchmarks.md).
 */
export const V8_MAX_PERCENT = 300;

/** The percent already in force: the flag is process-wide (several nodes in one test process). */
let applied: number | undefined;

export function limitHeapGrowth(percent: number): void {
  if (!Number.isInteger(percent) || percent <= 0 || percent >= V8_MAX_PERCENT || percent === applied) return;
  applied = percent;
  setFlagsFromString(`--heap-growing-percent=${percent}`);
  setFlagsFromString("--expose-gc");
  // A context created after --expose-gc has `gc`; the main context does not get it.
  (runInNewContext("gc") as () => void)();
}
