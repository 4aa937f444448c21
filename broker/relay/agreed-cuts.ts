/** What the agreed cuts need from the node (the relay extension wires the store and the service). */
export interface AgreedCutDeps {
  /** Whether the cut policy would cut the shadow now (every connected peer sharing it holds its heads). */
  ready(key: string): boolean;
  /** Whether this node cuts the shadow once its peers catch up: it is the shadow's cutter and it has grown enough. */
  due(key: string): boolean;
  /** Makes the cut through the group commit; true when the shadow is in a new epoch. */
  cut(key: string): Promise<boolean>;
  /** After a cut: the new epoch goes to every peer. */
  onCut(key: string): void;
  onError(key: string, err: unknown): void;
  /** Runs `f` after `ms` (unref'd); returns a cancel. */
  after(ms: number, f: () => void): () => void;
}

export interface AgreedCutOptions {
  /** How often a shadow that is due but whose peers lag is looked at again without an ack. */
  sweepMs?: number;
  /** How many such looks before it waits for the next ack. */
  maxSweeps?: number;
  /** Shadows looked at per sweep at most (the rest wait for the next one): bounds the main thread's turn. */
  perSweep?: number;
}

/**
 * When to make the agreed cut of a shared shadow (docs/shadow-engine.md, "Agreed cuts"): when a peer
 * acknowledges, and — so that no ordering of acks, merges and commits can leave a due cut waiting for a
 * write that never comes — again every `sweepMs` while a due shadow's peers lag, a bounded number of
 * times (a peer that catches up later acknowledges, which starts it again).
 */
export class AgreedCuts {
  private readonly cutting = new Set<string>();
  /** An ack that arrived while a cut of its shadow was on its way to disk: looked at again afterwards. */
  private readonly ackedMeanwhile = new Set<string>();
  /** Failed cuts in a row, retried at once a few times (the commit found a peer lagging that caught up since). */
  private readonly retries = new Map<string, number>();
  /** Due shadows whose peers lag, with the sweeps spent on each. */
  private readonly waiting = new Map<string, number>();
  private cancelSweep: (() => void) | undefined;
  private readonly sweepMs: number;
  private readonly maxSweeps: number;
  private readonly perSweep: number;

  constructor(
    private readonly deps: AgreedCutDeps,
    options: AgreedCutOptions = {},
  ) {
    this.sweepMs = options.sweepMs ?? 250;
    this.maxSweeps = options.maxSweeps ?? 40;
    this.perSweep = options.perSweep ?? 1000;
  }

  /** A peer may now hold the shadow's heads (an ack, a merge of its changes, nothing left to send). */
  acked(key: string): void {
    if (this.cutting.has(key)) {
      this.ackedMeanwhile.add(key);
      return;
    }
    if (!this.deps.ready(key)) {
      this.watch(key);
      return;
    }
    this.cutting.add(key);
    let cut = false;
    this.deps
      .cut(key)
      .then((done) => {
        cut = done;
        if (cut) this.deps.onCut(key);
      })
      .catch((err: unknown) => this.deps.onError(key, err))
      .finally(() => {
        this.cutting.delete(key);
        if (cut) this.stopWatching(key);
        const tries = (this.retries.get(key) ?? 0) + 1;
        const again = this.ackedMeanwhile.delete(key) || (!cut && tries <= 3 && this.deps.ready(key));
        if (again && !cut) this.retries.set(key, tries);
        else this.retries.delete(key);
        if (again) setImmediate(() => this.acked(key));
        else if (!cut) this.watch(key);
      });
  }

  /** Shadows waiting for a sweep (for tests and stats). */
  get sweeping(): number {
    return this.waiting.size;
  }

  close(): void {
    this.cancelSweep?.();
    this.cancelSweep = undefined;
    this.waiting.clear();
  }

  private watch(key: string): void {
    if (!this.deps.due(key)) {
      this.stopWatching(key);
      return;
    }
    if (!this.waiting.has(key)) this.waiting.set(key, 0);
    this.cancelSweep ??= this.deps.after(this.sweepMs, () => this.sweep());
  }

  private stopWatching(key: string): void {
    if (!this.waiting.delete(key) || this.waiting.size > 0) return;
    this.cancelSweep?.();
    this.cancelSweep = undefined;
  }

  private sweep(): void {
    this.cancelSweep = undefined;
    // The first `perSweep` in order; each looked at goes to the back (taken out, put back if still due).
    const batch: [string, number][] = [];
    for (const entry of this.waiting) {
      if (batch.length >= this.perSweep) break;
      batch.push(entry);
    }
    for (const [key, sweeps] of batch) {
      this.waiting.delete(key);
      if (sweeps >= this.maxSweeps) continue;
      this.waiting.set(key, sweeps + 1);
      this.acked(key);
    }
    if (this.waiting.size > 0) this.cancelSweep ??= this.deps.after(this.sweepMs, () => this.sweep());
  }
}
