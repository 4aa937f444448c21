import * as A from "@automerge/automerge";
import type { ShadowView } from "../../shared/shadow-document.ts";
import { planPatch } from "../../shared/shadow-patch.ts";
import { type DeferredState, deferredEdits, parseDeferred } from "./deferred-state.ts";
import { adoptDoc } from "./epoch-adopt.ts";
import type { EpochState } from "./epoch-base.ts";
import { coveredClock, cutMessage, leafDiff } from "./epoch-carry.ts";
import { materialize, restampMeta, withConflicts } from "./materialize.ts";
import {
  baseDoc,
  changesAfterBase,
  concat,
  epochOf,
  type Heads,
  type RawDoc,
  resolvePrefixes,
  rootsOf,
  SKELETON_ACTOR,
  sameHeads,
  skeletonDoc,
  skeletonHeads,
} from "./raw-doc.ts";
import { stampMergedLeaves } from "./shadow-merge.ts";
import { type PreparedUpdate, planUpdate, type SectionEdits, viewAfter } from "./update-plan.ts";
import { applyOps } from "./value-writer.ts";

export { type Heads, newActorId, sameHeads, skeletonHeads } from "./raw-doc.ts";

/**
 * The Automerge document behind one shadow:
 *   { desired: {}, reported: {}, version: Counter, deleted: bool, epoch?: number }
 * `version` counts changes (an Automerge counter, so merged sites agree on it), `deleted` is the
 * tombstone, `epoch` is written by an epoch's base (docs/shadow-engine.md). The skeleton every copy
 * starts from, the section ids and epoch bases are in raw-doc.ts.
 *
 * Per-leaf metadata (AWS's timestamps) is not in the document: it would double the ops of every change
 * and the bytes the relay sends. It lives beside the document (SQLite `shadows.meta`) and is stamped from
 * the time of the change that wrote a leaf — locally the request time, on merge the other site's stamp.
 *
 * We use Automerge's low-level API (put/delete/commit on object ids) rather than the proxy API: it is
 * several times cheaper per change, and the plain view is maintained by applying the same planned
 * edits in JS instead of re-materialising the document after every change.
 */
/** One shadow's document with its plain view kept in step. Free it when it leaves the cache. */
export class ShadowDocument {
  /** The epoch of the document (docs/shadow-engine.md): 0 until its first cut. */
  private epoch_: number;
  /** Changes applied since the epoch's base (or since the skeleton in epoch 0). */
  private sinceBase: number;
  /**
   * Deferred updates (docs/shadow-engine.md, "Deferred changes"): the view as the document holds it
   * while `view_` is ahead of it by `deferred.count` updates that no Automerge change holds yet.
   */
  private deferred: { folded: ShadowView; count: number; time: number } | undefined;

  /**
   * The document's heads once read, until it changes (`changed`): the store asks at every commit, and a
   * deferred update leaves them as they were. Frozen, as callers share it.
   */
  private heads_: Heads | undefined;

  private constructor(
    private raw: RawDoc,
    private view_: ShadowView,
    /** Written as each local change's message, so other sites can say who wrote a losing value. */
    private readonly site: string | null = null,
  ) {
    this.epoch_ = epochOf(raw);
    this.sinceBase = changesAfterBase(raw, this.epoch_);
  }

  /** A new shadow (the skeleton tombstone) writing as `actor` (changes signed with `site`). */
  static create(actor: string, site?: string): ShadowDocument {
    return new ShadowDocument(
      skeletonDoc().clone(actor),
      {
        exists: false,
        version: 0,
        desired: {},
        reported: {},
        meta: { desired: {}, reported: {} },
      },
      site ?? null,
    );
  }

  /** Rebuilds a shadow from its saved snapshot and incremental chunks, with its stored metadata. */
  static load(
    actor: string,
    snapshot: Uint8Array,
    chunks: Iterable<Uint8Array>,
    meta: ShadowView["meta"] = { desired: {}, reported: {} },
    site?: string,
    /** The row's deferred updates (`ShadowDocument.deferredState`), if any. */
    deferredText?: string | null,
  ): ShadowDocument {
    // The snapshot is a whole saved document (it starts with the skeleton): loading it into an empty
    // document takes Automerge's fast path; loadIncremental into the skeleton's clone would apply
    // its changes one by one (twice as slow for a 128-change shadow).
    const raw = A.getBackend(A.load(snapshot, { actor }));
    // One call for all chunks (they are consecutive change chunks): each call costs ~0.15 ms of its
    // own, so 63 chunks loaded one by one took 5x longer than the whole document.
    const rest = concat(chunks);
    if (rest.byteLength > 0) raw.loadIncremental(rest);
    const doc = new ShadowDocument(raw, withConflicts(raw, { ...materialize(raw), meta }), site ?? null);
    const state = deferredText ? parseDeferred(deferredText) : undefined;
    if (state) doc.restoreDeferred(state);
    return doc;
  }

  /**
   * A shadow whose document is epoch `epoch`'s base of `state` (what `cut` produces). For tools that
   * build aged stores directly (bench/aged-store.ts); the node itself only reaches an epoch by cutting.
   */
  static fromBase(
    actor: string,
    key: string,
    epoch: number,
    state: EpochState,
    meta: ShadowView["meta"],
    site?: string,
  ): ShadowDocument {
    const raw = baseDoc(key, epoch, state, actor);
    return new ShadowDocument(raw, { ...materialize(raw), meta }, site ?? null);
  }

  get view(): ShadowView {
    return this.view_;
  }

  /**
   * Plans an update without touching the document (update-plan.ts): the leaf edits and the state
   * they lead to; `changed` is false when the update repeats the current state.
   */
  prepare(edits: SectionEdits): PreparedUpdate {
    return planUpdate(this.view_, edits);
  }

  /**
   * Applies a prepared update (false when it changes nothing): as one Automerge change, or with `defer`
   * only to the view, until `fold` writes every deferred update as one change. An update is deferred
   * only onto an existing shadow without conflicts; otherwise the deferred ones are folded first.
   */
  apply(update: PreparedUpdate, timestamp: number, defer = false): boolean {
    if (!update.changed) return false;
    const view = this.view_;
    if (defer && view.exists && !view.conflicts) {
      const d = this.deferred;
      if (d) {
        d.count++;
        d.time = timestamp;
      } else this.deferred = { folded: view, count: 1, time: timestamp };
      this.view_ = viewAfter(view, update, timestamp);
      return true;
    }
    this.fold();
    const raw = this.raw;
    const roots = rootsOf();
    if (!view.exists) raw.put("/", "deleted", false);
    applyOps(raw, roots.desired, update.desiredOps);
    applyOps(raw, roots.reported, update.reportedOps);
    raw.increment("/", "version", 1);
    raw.commit(this.site, timestamp);
    this.changed();
    this.sinceBase++;
    const next = viewAfter(view, update, timestamp);
    // A local write supersedes every concurrent value of the keys it writes: rescan only when needed.
    this.view_ = view.conflicts ? withConflicts(raw, next) : next;
    return true;
  }

  /** prepare + apply. */
  update(edits: SectionEdits, timestamp: number): boolean {
    return this.apply(this.prepare(edits), timestamp);
  }

  /**
   * Writes the deferred updates into the document as one change: the leaves that differ between the
   * document and the view, the version incremented by their count, stamped with the last one's time.
   * Returns whether there were any.
   */
  fold(): boolean {
    const d = this.deferred;
    if (!d) return false;
    this.deferred = undefined;
    const { desired, reported } = deferredEdits(d.folded, this.view_);
    const raw = this.raw;
    const roots = rootsOf();
    applyOps(raw, roots.desired, desired);
    applyOps(raw, roots.reported, reported);
    raw.increment("/", "version", d.count);
    raw.commit(this.site, d.time);
    this.changed();
    this.sinceBase++;
    return true;
  }

  /** Deferred updates no Automerge change holds yet (0 when the document holds the whole view). */
  get deferredCount(): number {
    return this.deferred?.count ?? 0;
  }

  /**
   * What the store keeps beside the document while updates are deferred (null when none are): the
   * view's sections, version and the last deferred update's time, so a restart restores them.
   */
  deferredState(): string | null {
    const d = this.deferred;
    if (!d) return null;
    const v = this.view_;
    const state: DeferredState = { v: v.version, n: d.count, t: d.time, d: v.desired, r: v.reported };
    return JSON.stringify(state);
  }

  private restoreDeferred(state: DeferredState): void {
    const folded = this.view_;
    if (!folded.exists || folded.conflicts || state.v - state.n !== folded.version) return;
    this.deferred = { folded, count: state.n, time: state.t };
    this.view_ = { ...folded, version: state.v, desired: state.d, reported: state.r };
  }

  /** Deletes the shadow, leaving a tombstone so a later merge cannot resurrect it; the version continues. */
  delete(timestamp: number): void {
    this.fold();
    const raw = this.raw;
    const roots = rootsOf();
    const view = this.view_;
    applyOps(raw, roots.desired, planPatch(view.desired, null));
    applyOps(raw, roots.reported, planPatch(view.reported, null));
    raw.put("/", "deleted", true);
    raw.increment("/", "version", 1);
    raw.commit(this.site, timestamp);
    this.changed();
    this.sinceBase++;
    const next: ShadowView = {
      exists: false,
      version: view.version + 1,
      desired: {},
      reported: {},
      meta: { desired: {}, reported: {} },
    };
    this.view_ = view.conflicts ? withConflicts(raw, next) : next;
  }

  /**
   * Applies changes another site made (raw Automerge change bytes, in any order; duplicates are
   * ignored). Returns whether the document's heads moved. A leaf the changes altered is stamped with
   * the time of the change that wrote its winning value (the other site's request time). Changes whose
   * dependencies are missing wait inside Automerge; `missingDeps()` says whether any are waiting.
   */
  applyRemote(changes: readonly Uint8Array[], now = Math.floor(Date.now() / 1000)): boolean {
    this.fold();
    const raw = this.raw;
    const before = this.heads();
    raw.applyChanges(changes as Uint8Array[]);
    this.changed();
    const after = this.heads();
    if (sameHeads(before, after)) return false;
    this.epoch_ = epochOf(raw);
    this.sinceBase = changesAfterBase(raw, this.epoch_);
    const previous = this.view_;
    const plainView = materialize(raw);
    const meta = stampMergedLeaves(raw, rootsOf(), previous, plainView, raw.getChangesMeta(before), now);
    this.view_ = withConflicts(raw, { ...plainView, meta });
    return true;
  }

  /** The changes this document has beyond `heads` (hashes it does not know are ignored). */
  changesSince(heads: readonly string[]): Uint8Array[] {
    const raw = this.raw;
    const known = heads.filter((h) => raw.getChangeByHash(h) !== null);
    // Every copy of every shadow starts from the skeleton, so it is never worth sending.
    return raw.getChanges(known.length > 0 ? known : skeletonHeads());
  }

  /**
   * Expands abbreviated hashes (hex prefixes) to the full hashes of this document's changes; `missing`
   * counts prefixes that match none. Heads are tried first; the whole history only when needed.
   */
  resolvePrefixes(prefixes: readonly string[]): { hashes: string[]; missing: number } {
    return resolvePrefixes(this.raw, prefixes);
  }

  /** Whether every hash in `heads` is a change of this document. */
  hasAll(heads: readonly string[]): boolean {
    return heads.every((h) => this.raw.getChangeByHash(h) !== null);
  }

  /** Dependencies of received changes that have not arrived (those changes are not applied yet). */
  missingDeps(): Heads {
    return this.raw.getMissingDeps();
  }

  /**
   * Re-reads the state from the document itself: what `view` must equal, metadata aside, whenever no
   * update is deferred (`deferredCount` 0).
   */
  materialize(): ShadowView {
    return { ...materialize(this.raw), meta: this.view_.meta };
  }

  heads(): Heads {
    this.heads_ ??= Object.freeze(this.raw.getHeads()) as Heads;
    return this.heads_;
  }

  /** The document changed: its heads are read again when next asked. */
  private changed(): void {
    this.heads_ = undefined;
  }

  /** The epoch of this document: 0 until the first cut. */
  get epoch(): number {
    return this.epoch_;
  }

  /** How many changes the document holds beyond its epoch's base: what a cut would drop. */
  get changesSinceBase(): number {
    return this.sinceBase;
  }

  /**
   * Starts the next epoch (docs/shadow-engine.md): the document is replaced by the skeleton plus one
   * deterministic base change holding the current state; the history before it is dropped. The view
   * and its metadata are unchanged. Refused while the view holds conflicts (the cut would drop the
   * losing values). `key` is the shadow's key (`shadowKey`), part of the base's identity.
   */
  cut(key: string): boolean {
    return this.startEpoch(key, null);
  }

  /**
   * The agreed cut of a shared shadow (docs/shadow-engine.md, only the root cutter calls it): like
   * `cut`, but the base change's message records the cut heads and the covered clock, so a site that
   * receives the base knows which of its own changes the new epoch already holds.
   */
  cutAgreed(key: string): boolean {
    // The peers hold the document's heads, not the deferred updates: fold and sync them first.
    if (this.view_.conflicts || this.deferred) return false;
    const clock = coveredClock(this.raw, key, this.epoch_, SKELETON_ACTOR);
    return this.startEpoch(key, cutMessage(this.heads(), clock));
  }

  private startEpoch(key: string, message: string | null): boolean {
    if (this.view_.conflicts) return false;
    const epoch = this.epoch_ + 1;
    // The base holds the view, deferred updates included.
    const next = baseDoc(key, epoch, this.view_, this.raw.getActorId(), message);
    this.raw.free();
    this.raw = next;
    this.changed();
    this.epoch_ = epoch;
    this.sinceBase = 0;
    this.deferred = undefined;
    return true;
  }

  /**
   * Adopts epoch `epoch` (> this document's) from changes another site sent (epoch-adopt.ts), then
   * replays the carried-over own changes as new local changes with their original times. Returns how
   * many changes were carried over, or undefined when the base is not among `changes` (the sender
   * must resend from the skeleton).
   */
  adopt(key: string, epoch: number, changes: readonly Uint8Array[], now: number): number | undefined {
    this.fold();
    const adopted = adoptDoc(this.raw, key, this.epoch_, epoch, changes, this.site);
    if (!adopted) return undefined;
    const previous = this.view_;
    this.raw.free();
    this.raw = adopted.raw;
    this.changed();
    this.epoch_ = epochOf(adopted.raw);
    this.sinceBase = changesAfterBase(adopted.raw, this.epoch_);
    const after = materialize(adopted.raw);
    const meta = {
      desired: restampMeta(previous.desired, previous.meta.desired, after.desired, now),
      reported: restampMeta(previous.reported, previous.meta.reported, after.reported, now),
    };
    this.view_ = withConflicts(adopted.raw, { ...after, meta });
    for (const { before, after: next, time } of adopted.carried) {
      if (before.exists && !next.exists) {
        if (this.view_.exists) this.delete(time);
        continue;
      }
      const desired = leafDiff(before.desired, next.desired);
      const update = this.prepare({ desired, reported: leafDiff(before.reported, next.reported) });
      if (!before.exists && next.exists) update.changed = true;
      this.apply(update, time);
    }
    return adopted.carried.length;
  }

  /** The changes since `heads`, in a form `load`/`loadIncremental` accept. */
  saveSince(heads: Heads): Uint8Array {
    return this.raw.saveSince(heads);
  }

  save(): Uint8Array {
    return this.raw.save();
  }

  /** Counts for memory and history measurements. */
  stats(): { changes: number; ops: number } {
    const doc = A.load(this.raw.save());
    const s = A.stats(doc);
    A.free(doc);
    return { changes: s.numChanges, ops: s.numOps };
  }

  free(): void {
    this.raw.free();
    this.changed();
  }
}
