import type { HistoryRecord } from "../../shared/history.ts";
import type { ShadowView } from "../../shared/shadow-document.ts";
import { RESERVED_SHADOW_PREFIX } from "../../shared/site-presence.ts";
import { type ShadowAddress, shadowKey } from "../../shared/topics.ts";
import type { Db } from "../store/database.ts";
import { BatchWriter, type CommitBatch, type ShadowRowWrite } from "./commit-batch.ts";
import { DocCache } from "./doc-cache.ts";
import { ShadowDocument, sameHeads } from "./shadow-doc.ts";
import type {
  CommitHook,
  CutPolicy,
  JournalSink,
  PreparedCommit,
  ShadowEntry,
  ShadowStoreOptions,
  StoredHeads,
  ThingPage,
} from "./shadow-entry.ts";
import type { PreparedUpdate } from "./update-plan.ts";
import { MAIN, type WriteGate } from "./write-gate.ts";

/** How soon held writes are tried again when the commit worker held the gate (one settling step ≈ 1 ms). */
const HELD_RETRY_MS = 2;

/** The store's types live in shadow-entry.ts; importers may keep taking them from here. */
export type * from "./shadow-entry.ts";

/**
 * Measured with bench/aged-load.ts (docs/benchmarks.md, "Choosing the epoch and compaction"): with
 * 32 changes per epoch and a snapshot rewrite every 8 chunks, a cold load costs half of what it cost
 * with 128/64, an update less, and a cached shadow half the memory. The node's defaults are in
 * shared/settings.ts (`epochAfterChanges`, `compactAfterChunks`).
 */
export const DEFAULT_EPOCH_AFTER_CHANGES = 32;

/** Deferred updates folded per prepared batch at most (a fold costs about one update's Automerge work, ~0.1 ms). */
export const MAX_FOLDS_PER_BATCH = 16;

/**
 * Shadows in SQLite with a bounded cache of hot Automerge documents. Each committed change is saved
 * as an incremental chunk (`saveSince` the heads already on disk); after `compactAfterChunks` chunks
 * the snapshot is rewritten and the chunks dropped. Nothing is loaded until it is asked for.
 */
export class ShadowStore {
  private readonly cache: DocCache<ShadowEntry>;
  private readonly q;
  private readonly epochAfter: number;
  private readonly deferUpTo: number;
  private cutPolicy: CutPolicy = () => true;
  /** Epochs started since the store opened (metrics, benches). */
  cuts = 0;
  /** Set by the history capability: records staged with changes are written with them. */
  journal: JournalSink | undefined;
  /** Told of every committed batch (the fleet index), before any request of the batch is answered. */
  readonly commitHooks: CommitHook[] = [];
  private readonly writer: BatchWriter;
  /** Set while the commit worker writes a batch (see `betweenCommits`). */
  private workerWriting = false;
  private readonly deferredWrites: (() => void)[] = [];
  /** When the oldest of `deferredWrites` was held (performance.now()). */
  private heldSince = 0;
  /** Shared with the commit worker, which also writes between batches (it settles the history log). */
  private gate: WriteGate | undefined;
  /** A retry of the held writes is scheduled (the worker held the gate). */
  private retryHeld: NodeJS.Timeout | undefined;
  /** Told of every document loaded from SQLite (the wasm heap's headroom). */
  readonly loadObservers: (() => void)[] = [];

  constructor(
    db: Db,
    private readonly actor: string,
    private readonly options: ShadowStoreOptions,
  ) {
    this.cache = new DocCache<ShadowEntry>(options.cacheSize, (e) => e.doc.free());
    this.writer = new BatchWriter(db, () => this.journal);
    this.epochAfter = options.epochAfterChanges ?? DEFAULT_EPOCH_AFTER_CHANGES;
    this.deferUpTo = options.deferUpdates ?? 0;
    this.q = {
      row: db.prepare(
        "SELECT snapshot, chunk_count, chunk_bytes, meta, deferred FROM shadows WHERE thing = ? AND name = ?",
      ),
      chunks: db.prepare("SELECT data FROM shadow_chunks WHERE thing = ? AND name = ? ORDER BY id"),
      listThings: db.prepare(
        // Reserved shadows ($umbra-presence, $umbra-attributes) alone do not make a thing listed.
        `SELECT DISTINCT thing FROM shadows WHERE deleted = 0 AND thing > ?
         AND substr(name, 1, ${RESERVED_SHADOW_PREFIX.length}) <> '${RESERVED_SHADOW_PREFIX}' ORDER BY thing LIMIT ?`,
      ),
      listShadows: db.prepare("SELECT name FROM shadows WHERE thing = ? AND deleted = 0 ORDER BY name"),
      count: db.prepare("SELECT count(*) AS n FROM shadows WHERE deleted = 0"),
      allHeads: db.prepare("SELECT thing, name, heads, deferred IS NOT NULL AS deferred FROM shadows"),
    };
  }

  /** The entry for a shadow, loading it from SQLite or starting a new (not yet existing) one. */
  open(addr: ShadowAddress): ShadowEntry {
    const key = shadowKey(addr);
    const cached = this.cache.get(key);
    if (cached) return cached;
    const entry = this.load(addr, key);
    this.cache.set(key, entry);
    return entry;
  }

  /** The plain view of a shadow without caching its document (the fleet index's one-off backfill). */
  readView(addr: ShadowAddress): ShadowView {
    const key = shadowKey(addr);
    const cached = this.cache.get(key);
    if (cached) return cached.doc.view;
    const entry = this.load(addr, key);
    const view = entry.doc.view;
    entry.doc.free();
    return view;
  }

  private load(addr: ShadowAddress, key: string): ShadowEntry {
    const row = this.q.row.get(addr.thing, addr.shadow) as
      | { snapshot: Buffer; chunk_count: number; chunk_bytes: number; meta: string; deferred: string | null }
      | undefined;
    if (!row) {
      const doc = ShadowDocument.create(this.actor, this.options.site);
      return { addr, key, doc, savedHeads: undefined, chunkCount: 0, chunkBytes: 0, pinned: 0 };
    }
    const chunks = (this.q.chunks.all(addr.thing, addr.shadow) as { data: Buffer }[]).map((r) => r.data);
    const meta = parseMeta(row.meta);
    const doc = ShadowDocument.load(this.actor, row.snapshot, chunks, meta, this.options.site, row.deferred);
    for (const observe of this.loadObservers) observe();
    return {
      addr,
      key,
      doc,
      savedHeads: doc.heads(),
      chunkCount: row.chunk_count,
      chunkBytes: row.chunk_bytes,
      pinned: 0,
    };
  }

  /**
   * Applies a local update to the entry's document (false when it changes nothing). A shadow no other
   * site can hold (the cut policy allows a local cut) defers its Automerge change (docs/shadow-engine.md,
   * "Deferred changes") when `deferUpdates` is set; the commit folds them once that many are waiting.
   */
  apply(entry: ShadowEntry, update: PreparedUpdate, timestamp: number): boolean {
    const defer = this.deferUpTo > 0 && this.cutPolicy(entry.addr) === true;
    return entry.doc.apply(update, timestamp, defer);
  }

  /** Marks an entry whose document has changed; it stays pinned until committed. */
  stage(entry: ShadowEntry): void {
    entry.pinned++;
  }

  /** Stages the change record of the change just staged on `entry` (built only when history is on). */
  record(entry: ShadowEntry, make: () => HistoryRecord): void {
    if (!this.journal) return;
    if (entry.journal) entry.journal.records.push(make());
    else entry.journal = { records: [make()], first: entry.doc.view };
  }

  /** Writes every staged entry in one transaction on this thread (the inline group commit). Throws if SQLite fails. */
  commit(entries: Iterable<ShadowEntry>): void {
    this.writer.write(this.prepare(entries).batch);
  }

  /**
   * The main thread's part of a commit: the bytes to write for each staged entry (snapshot, or chunk
   * since the heads on disk), cutting an epoch when one is due. Updates the entries' chunk bookkeeping
   * and takes their staged change records; if the write then fails, `discard` drops the entries.
   */
  prepare(entries: Iterable<ShadowEntry>): PreparedCommit {
    const batch: CommitBatch = { now: Date.now(), rows: [], journals: [] };
    const prepared: PreparedCommit = { batch, entries: [], heads: [], pinned: [] };
    let foldsLeft = MAX_FOLDS_PER_BATCH;
    for (const entry of entries) {
      // Deferred updates are folded once `deferUpdates` wait, at most MAX_FOLDS_PER_BATCH per batch:
      // shadows updated in step reach the count together, and folding them all at once stalled one
      // commit's prepare for 20–30 ms (docs/benchmarks.md). The others stay deferred (durably) until a
      // later batch.
      const deferred = entry.doc.deferredCount;
      if (deferred > 0 && deferred >= this.deferUpTo && foldsLeft > 0 && entry.doc.fold()) foldsLeft--;
      const { row, heads } = this.rowOf(entry);
      batch.rows.push(row);
      prepared.entries.push(entry);
      prepared.heads.push(heads);
      prepared.pinned.push(entry.pinned);
      const journal = entry.journal;
      if (journal && this.journal) {
        batch.journals[batch.rows.length - 1] = { addr: entry.addr, journal };
        batch.history ??= this.journal.writerOptions;
      }
      entry.journal = undefined;
    }
    return prepared;
  }

  private rowOf(entry: ShadowEntry): { row: ShadowRowWrite; heads: string[] } {
    const { thing, shadow } = entry.addr;
    const { version, exists } = entry.doc.view;
    const deleted = exists ? 0 : 1;
    let kind: ShadowRowWrite["kind"];
    let bytes: Uint8Array;
    // The document's heads once read below (neither a save nor a chunk changes them).
    let heads: string[] | undefined;
    if (entry.savedHeads === undefined) {
      kind = "insert";
      bytes = entry.doc.save();
      entry.rebased = false;
    } else if (entry.rebased || this.cutDue(entry)) {
      // The new epoch's base replaces snapshot and chunks in one transaction: a crash leaves either
      // the old history or the new base, both holding every accepted change.
      kind = "replace";
      bytes = entry.doc.save();
      if (!entry.rebased) this.cuts++;
      entry.rebased = false;
    } else {
      heads = entry.doc.heads();
      if (sameHeads(heads, entry.savedHeads)) {
        // Only deferred updates since the last write: the document on disk is unchanged.
        kind = "state";
        bytes = NO_BYTES;
      } else if (entry.chunkCount + 1 >= this.options.compactAfterChunks) {
        kind = "replace";
        bytes = entry.doc.save();
      } else {
        kind = "chunk";
        bytes = entry.doc.saveSince(entry.savedHeads);
      }
    }
    if (kind === "chunk") {
      entry.chunkCount++;
      entry.chunkBytes += bytes.byteLength;
    } else if (kind !== "state") {
      entry.chunkCount = 0;
      entry.chunkBytes = 0;
    }
    // Read after a cut (which changes the document), so meta and heads are those of what is written.
    const meta = JSON.stringify(entry.doc.view.meta);
    heads ??= entry.doc.heads();
    const deferred = entry.doc.deferredState();
    return {
      row: { thing, shadow, kind, bytes, version, deleted, meta, heads: heads.join(","), deferred },
      heads,
    };
  }

  /**
   * Runs `write` (a periodic write of this thread's connection: retention, index flushes) when the
   * commit worker is not writing a batch, so it never sleeps in SQLite's busy handler waiting for the
   * worker's lock (whose first retry alone is 1 ms). At once when no worker is used or it is idle.
   */
  betweenCommits(write: () => void): void {
    if (!this.workerWriting && this.deferredWrites.length === 0 && this.enterGate()) {
      try {
        write();
      } finally {
        this.gate?.leave();
      }
      return;
    }
    if (this.deferredWrites.length === 0) this.heldSince = performance.now();
    this.deferredWrites.push(write);
    if (!this.workerWriting) this.retryHeldSoon();
  }

  /** The commit worker's gate (CommitThread): its settling steps and these writes take turns. */
  setWriteGate(gate: WriteGate): void {
    this.gate = gate;
  }

  private enterGate(): boolean {
    return this.gate?.tryEnter(MAIN) ?? true;
  }

  /** The worker holds the gate for one short settling step: try the held writes again in a moment. */
  private retryHeldSoon(): void {
    if (this.retryHeld) return;
    this.retryHeld = setTimeout(() => {
      this.retryHeld = undefined;
      this.runHeldWrites();
    }, HELD_RETRY_MS);
    this.retryHeld.unref();
  }

  /**
   * Told by the group commit when the commit worker starts and stops writing a batch. The writes held
   * meanwhile run two turns later, not inside the batch's answer: aedes writes the batch's replies to
   * their sockets from immediates queued while the answer is handled, and those go first.
   */
  setWorkerWriting(writing: boolean): void {
    this.workerWriting = writing;
    if (!writing && this.deferredWrites.length > 0)
      setImmediate(() => setImmediate(() => this.runHeldWrites()));
  }

  /**
   * Runs the writes `betweenCommits` held back, unless the worker is writing again. The group commit
   * calls it before posting a batch with `olderThanMs`: under a steady load the worker is writing again
   * by the time the turn above comes, so writes held that long run ahead of the next batch instead.
   */
  runHeldWrites(olderThanMs = 0): void {
    if (this.workerWriting || this.deferredWrites.length === 0) return;
    if (performance.now() - this.heldSince < olderThanMs) return;
    if (!this.enterGate()) {
      this.retryHeldSoon();
      return;
    }
    try {
      for (const write of this.deferredWrites.splice(0)) {
        try {
          write();
        } catch (err) {
          // Thrown where the write would have thrown on its own (a timer): never into the group commit.
          setImmediate(() => {
            throw err;
          });
        }
      }
    } finally {
      this.gate?.leave();
    }
  }

  /** The relay's answer to "may this shadow be cut locally?" (see CutPolicy). */
  setCutPolicy(policy: CutPolicy): void {
    this.cutPolicy = policy;
  }

  /** Cuts the entry's document when it is due (and allowed); true when it was cut. */
  private cutDue(entry: ShadowEntry): boolean {
    if (!this.cutWanted(entry)) return false;
    const allowed = this.cutPolicy(entry.addr, entry.doc.heads());
    if (allowed === "agreed") return entry.doc.cutAgreed(entry.key);
    return allowed && entry.doc.cut(entry.key);
  }

  /** Whether the entry has grown enough to be cut (the policy decides whether it may). */
  cutWanted(entry: ShadowEntry): boolean {
    return this.epochAfter > 0 && entry.doc.changesSinceBase >= this.epochAfter && !entry.doc.view.conflicts;
  }

  /** Whether the policy would cut the entry now (the relay asks after an ack). */
  cutReady(entry: ShadowEntry): boolean {
    if (entry.doc.deferredCount > 0) return false;
    return this.cutWanted(entry) && this.cutPolicy(entry.addr, entry.doc.heads()) !== false;
  }

  /** Called after a successful inline commit (nothing changed since `commit`): the entries' current heads are on disk. */
  markCommitted(entries: Iterable<ShadowEntry>): void {
    for (const entry of entries) {
      entry.savedHeads = entry.doc.heads();
      entry.pinned = 0;
      entry.journal = undefined;
    }
    this.afterCommit([...entries]);
  }

  /**
   * Called when a prepared commit written elsewhere (the commit worker) is durable. The entries may have
   * been changed again since `prepare`: what is on disk are the heads prepared, and only the stages
   * prepared are released (later ones stay pinned for the next batch).
   */
  settle(p: PreparedCommit): void {
    p.entries.forEach((entry, i) => {
      entry.savedHeads = p.heads[i];
      entry.pinned = Math.max(0, entry.pinned - (p.pinned[i] ?? 0));
    });
    this.afterCommit(p.entries);
  }

  private afterCommit(entries: ShadowEntry[]): void {
    for (const hook of this.commitHooks) hook.committed(entries);
    this.cache.evictOverflow();
  }

  /** Called after a failed commit: forget the in-memory state so the next read comes from disk. */
  discard(entries: Iterable<ShadowEntry>): void {
    for (const entry of entries) {
      entry.pinned = 0;
      entry.journal = undefined;
      if (this.cache.delete(entry.key) === entry) entry.doc.free();
    }
  }

  listThings(cursor: string, limit: number): ThingPage {
    const rows = this.q.listThings.all(cursor, limit + 1) as { thing: string }[];
    const things = rows.slice(0, limit).map((r) => r.thing);
    const page: ThingPage = { things };
    const last = things[things.length - 1];
    if (rows.length > limit && last !== undefined) page.nextCursor = last;
    return page;
  }

  listShadows(thing: string): string[] {
    return (this.q.listShadows.all(thing) as { name: string }[]).map((r) => r.name);
  }

  /**
   * Every stored shadow (tombstones included) with the heads written in the same transaction as its
   * last change, so they never run ahead of or behind the document on disk. The relay's digest.
   */
  *storedHeads(): Generator<StoredHeads> {
    for (const row of this.q.allHeads.iterate() as Iterable<{
      thing: string;
      name: string;
      heads: string | null;
      deferred: 0 | 1;
    }>) {
      const addr = { thing: row.thing, shadow: row.name };
      const heads = row.heads ? row.heads.split(",") : null;
      yield { addr, key: shadowKey(addr), heads, deferred: row.deferred === 1 };
    }
  }

  countShadows(): number {
    return (this.q.count.get() as { n: number }).n;
  }

  cacheStats(): { size: number; hits: number; misses: number; evictions: number } {
    const { size, hits, misses, evictions } = this.cache;
    return { size, hits, misses, evictions };
  }

  close(): void {
    this.cache.clear();
  }
}

const NO_BYTES = new Uint8Array(0);

/** Metadata (per-leaf timestamps) is kept beside the document, not in it: see shadow-doc.ts. */
function parseMeta(text: string): ShadowView["meta"] {
  try {
    const m = JSON.parse(text) as Partial<ShadowView["meta"]>;
    return { desired: m.desired ?? {}, reported: m.reported ?? {} };
  } catch {
    return { desired: {}, reported: {} };
  }
}
