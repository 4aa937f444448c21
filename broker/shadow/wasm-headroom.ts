import * as A from "@automerge/automerge";

const MIB = 2 ** 20;

/**
 * Keeps free space in Automerge's wasm heap, so that it grows in a few large steps instead of many
 * 64 KiB ones. Why: the wasm allocator (Rust's dlmalloc) extends the heap with `memory.grow` in 64 KiB
 * steps as documents gain history, and V8 answers every grow of a large wasm memory with a full
 * mark-compact of the JS heap (it accounts the new memory buffer as external memory). Below ~64 MiB
 * of wasm heap this is rare; with 10,000 hot shadows it happened every few hundred updates, each
 * costing tens of milliseconds, and was most of the collapse of the node at 10,000 devices
 * (docs/benchmarks.md, 2026-12-07).
 *
 * The trick uses only Automerge's public API: `load` copies its input into the wasm heap before
 * rejecting it, so loading `bytes` of zeros makes the allocator hold (or grow once to) a free block
 * of that size, which it then hands out to later allocations. Done after every `everyChanges`
 * committed changes and every `everyLoads` documents loaded (a cold load allocates 5–40 KiB: reading
 * 10,000 aged shadows after a restart grew the heap in 64 KiB steps otherwise, at ~4 ms of full GC
 * per load); when the heap already has the room, it is a memcpy of `bytes` and nothing else.
 */
export class WasmHeadroom {
  private readonly zeros: Uint8Array;
  private since = 0;
  private loadsSince = 0;
  /** Top-ups done (each is at most one grow of the wasm memory). */
  topUps = 0;

  constructor(
    bytes = 16 * MIB,
    private readonly everyChanges = 2000,
    private readonly everyLoads = 200,
  ) {
    // Never written: its pages stay the kernel's shared zero page, so keeping it costs no memory.
    this.zeros = new Uint8Array(bytes);
  }

  /** Counts committed changes; tops up once `everyChanges` have accumulated. */
  afterChanges(n: number): void {
    this.since += n;
    if (this.since < this.everyChanges) return;
    this.since = 0;
    this.topUp();
  }

  /** Counts documents loaded; tops up once `everyLoads` have accumulated. */
  afterLoads(n: number): void {
    this.loadsSince += n;
    if (this.loadsSince < this.everyLoads) return;
    this.loadsSince = 0;
    this.topUp();
  }

  topUp(): void {
    this.topUps++;
    try {
      A.load(this.zeros);
    } catch {
      // Expected: zeros are not an Automerge document. The copy was made and freed, which is the point.
    }
  }
}
