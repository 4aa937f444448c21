/** Who holds the gate: nobody, the node's own connection, or the commit worker's settling. */
const FREE = 0;
export const MAIN = 1;
export const WORKER = 2;

/**
 * Between batches both the main thread (periodic writes: retention, index flushes) and the commit worker
 * (settling the change record's log) write to the database. Whoever takes this shared word first writes;
 * the other does not wait for SQLite's lock (whose busy handler sleeps 1 ms at its first retry, on the
 * main thread's event loop): the worker skips a settling step, the main thread holds its write and tries
 * again shortly (ShadowStore.betweenCommits). The main thread goes first: once it was turned away, the
 * worker starts no further step until it got in. Never blocks: compare-and-swap only.
 */
export class WriteGate {
  constructor(
    /** Two words of a SharedArrayBuffer, the same on both threads (passed to the worker in its workerData):
     * who holds the gate, and whether the main thread waits for it. */
    readonly word: Int32Array = new Int32Array(new SharedArrayBuffer(8)),
  ) {}

  tryEnter(who: typeof MAIN | typeof WORKER): boolean {
    if (who === WORKER && Atomics.load(this.word, 1) !== 0) return false;
    const entered = Atomics.compareExchange(this.word, 0, FREE, who) === FREE;
    if (who === MAIN) Atomics.store(this.word, 1, entered ? 0 : 1);
    return entered;
  }

  leave(): void {
    Atomics.store(this.word, 0, FREE);
  }
}
