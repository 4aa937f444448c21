import type { Heads } from "@automerge/automerge";
import type { HistoryRecord } from "../../shared/history.ts";
import type { ShadowView } from "../../shared/shadow-document.ts";
import type { ShadowAddress } from "../../shared/topics.ts";
import type { SettleProgress } from "../history/history-settler.ts";
import type { HistoryWriterOptions } from "../history/history-writer.ts";
import type { CommitBatch } from "./commit-batch.ts";
import type { ShadowDocument } from "./shadow-doc.ts";

/*
 * The types of the shadow store (shadow-store.ts): a cached entry, what a commit stages and prepares,
 * and the hooks other capabilities plug into it (change records, cut policy, commit observers).
 */

/** A shadow held in memory: its document, its plain view, and what of it is already on disk. */
export interface ShadowEntry {
  readonly addr: ShadowAddress;
  readonly key: string;
  readonly doc: ShadowDocument;
  /** Heads already written to SQLite; undefined when the shadow has no row yet. */
  savedHeads: Heads | undefined;
  chunkCount: number;
  chunkBytes: number;
  /** Changes staged but not yet committed; a pinned entry is never evicted. */
  pinned: number;
  /** Change records staged with the changes (broker/history), written in the commit's transaction. */
  journal?: StagedJournal;
  /** The document was replaced by another epoch (an adopted cut): the next write rewrites the snapshot. */
  rebased?: boolean;
}

/** The change records staged on an entry since its last commit. */
export interface StagedJournal {
  records: HistoryRecord[];
  /** The view right after the first of them (a checkpoint is taken there when one is due). */
  first: ShadowView;
}

/** Receives the staged change records inside the commit's transaction (broker/history/history-store.ts). */
export interface JournalSink {
  append(entry: Pick<ShadowEntry, "addr">, journal: StagedJournal): void;
  /**
   * The sink's upkeep (settling its log, broker/history/history-settler.ts), inside a transaction: after
   * an inline commit's records in its transaction; in the commit worker, between batches in its own.
   */
  settle?(maxRows?: number): SettleProgress;
  /** How the commit worker writes the same records on its own connection (absent: inline commits only). */
  readonly writerOptions?: HistoryWriterOptions;
}

/** A commit prepared on the main thread (ShadowStore.prepare): the writes, and what to settle once durable. */
export interface PreparedCommit {
  batch: CommitBatch;
  entries: ShadowEntry[];
  /** entries[i]'s heads as written. */
  heads: Heads[];
  /** entries[i]'s stages the batch covers. */
  pinned: number[];
}

export interface ShadowStoreOptions {
  cacheSize: number;
  /** Rewrite the snapshot once a shadow has this many incremental chunks. */
  compactAfterChunks: number;
  /** This node's site id, written into every local change (so conflicts can name the writer). */
  site?: string;
  /**
   * Start a new epoch (docs/shadow-engine.md) once a shadow the cut policy allows holds this many
   * changes beyond its base; 0 never cuts. Default `DEFAULT_EPOCH_AFTER_CHANGES`.
   */
  epochAfterChanges?: number;
  /**
   * Defer the Automerge change of local updates to shadows no other site can hold, up to this many per
   * shadow, then write them as one change (docs/shadow-engine.md, "Deferred changes"); 0 (the default
   * here) writes one change per update. The node's default is in shared/settings.ts.
   */
  deferUpdates?: number;
}

/**
 * Whether a shadow may be cut: true for a local cut (no other site can hold it), "agreed" for the
 * agreed cut of a shared shadow (only the root cutter, when every connected peer that shares it holds
 * exactly `heads`), false otherwise. Set by the relay (`setCutPolicy`); without one every shadow may be cut.
 */
export type CutPolicy = (addr: ShadowAddress, heads?: readonly string[]) => boolean | "agreed";

/** One stored shadow's key and heads (null for rows written before heads were stored). */
export interface StoredHeads {
  addr: ShadowAddress;
  key: string;
  heads: string[] | null;
  /** The row holds deferred updates (docs/shadow-engine.md): the heads do not hold everything. */
  deferred: boolean;
}

/**
 * Told of every group commit (the fleet index): `committed` runs after the transaction succeeded and
 * before any waiter is answered, so what it records is visible to the next request (read-your-writes).
 */
export interface CommitHook {
  committed(entries: readonly ShadowEntry[]): void;
}

export interface ThingPage {
  things: string[];
  nextCursor?: string;
}
