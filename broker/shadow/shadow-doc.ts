import * as A from "@automerge/automerge";
import { isJsonObject, type JsonObject, type JsonValue, jsonEqual } from "../../shared/json.ts";
import { rewriteConflicted } from "../../shared/shadow-conflict-rewrite.ts";
import type { ShadowView } from "../../shared/shadow-document.ts";
import { applyPatchOps, type PatchOp, planMetadata, planPatch } from "../../shared/shadow-patch.ts";
import { type EpochState, epochActor, writeBase } from "./epoch-base.ts";
import {
  coveredClock,
  cutMessage,
  findBase,
  leafDiff,
  parseCutMessage,
  uncoveredOwn,
} from "./epoch-carry.ts";
import { findConflicts, stampMergedLeaves } from "./shadow-merge.ts";

/** Automerge's low-level document handle (what `Automerge.getBackend` returns). */
type RawDoc = ReturnType<typeof A.getBackend>;
type ObjId = string;
export type Heads = A.Heads;

/**
 * The Automerge document behind one shadow:
 *   { desired: {}, reported: {}, version: Counter, deleted: bool }
 * `version`
 * counts changes (an Automerge counter, so merged sites agree on it), `deleted` is the tombstone.
 *
 * Every site creates a shadow from the same deterministic skeleton change (fixed actor, time 0), so two
 * sites that create the same shadow independently share its root maps and merge key by key. The
 * skeleton's hash is therefore part of the wire contract (pinned by a unit test). The skeleton is a
 * tombstone at version 0: a shadow exists once an update sets `deleted` to false.
 *
 * Per-leaf metadata (AWS's timestamps) is not in the document: it would double the ops of every change
 * and the bytes the relay sends. It lives beside the document (SQLite `shadows.meta`) and is stamped from
 * the time of the change that wrote a leaf — locally the request time, on merge the other site's stamp.
 *
 * We use Automerge's low-level API (put/delete/commit on object ids) rather than the proxy API: it is
 * several times cheaper per change, and the plain view is maintained by applying the same planned
 * edits in JS instead of re-materialising the document after every change.
 */
const SKELETON_ACTOR = "0".repeat(32);

let skeleton: RawDoc | undefined;
function skeletonDoc(): RawDoc {
  if (!skeleton) {
    const raw = A.getBackend(A.init({ actor: SKELETON_ACTOR }));
    raw.putObject("/", "desired", {});
    raw.putObject("/", "reported", {});
    raw.put("/", "version", 0, "counter");
    raw.put("/", "deleted", true);
    raw.commit(null, 0);
    skeleton = raw;
  }
  return skeleton;
}

/** The head of the skeleton change: identical on every site and every Umbra version. */
export function skeletonHeads(): Heads {
  return skeletonDoc().getHeads();
}

interface Roots {
  desired: ObjId;
  reported: ObjId;
}

function mapId(raw: RawDoc, obj: ObjId, key: string): ObjId {
  const found = raw.getWithType(obj, key) as [string, unknown] | null | undefined;
  if (found?.[0] !== "map") throw new Error(`shadow document has no map at '${key}'`);
  return found[1] as ObjId;
}

/**
 * The section maps' object ids. They were created by the skeleton change, whose actor and op counters
 * are fixed, so the ids are the same in every shadow document: look them up once.
 */
let roots: Roots | undefined;
function rootsOf(): Roots {
  if (!roots) {
    const raw = skeletonDoc();
    roots = { desired: mapId(raw, "/", "desired"), reported: mapId(raw, "/", "reported") };
  }
  return roots;
}

/** Applies planned edits under `root`, creating intermediate maps where a path needs one. */
function applyOps(raw: RawDoc, root: ObjId, ops: readonly PatchOp[]): void {
  for (const op of ops) {
    let obj = root;
    for (const key of op.path.slice(0, -1)) {
      const found = raw.getWithType(obj, key) as [string, unknown] | null | undefined;
      obj = found && found[0] === "map" ? (found[1] as ObjId) : (raw.putObject(obj, key, {}) as ObjId);
    }
    const leaf = op.path[op.path.length - 1];
    if (leaf === undefined) continue;
    if (op.kind === "delete") raw.delete(obj, leaf);
    else putValue(raw, obj, leaf, op.value);
  }
}

/**
 * Puts a JSON value. Automerge stores an integral JS number as an int64: 1e300 would come back clamped
 * to 2^63-1 and as a BigInt. Numbers beyond the safe-integer range are therefore stored as f64, also
 * inside objects and arrays (built element by element only when they hold such a number).
 */
function putValue(raw: RawDoc, obj: ObjId, key: string | number, value: JsonValue, insert = false): void {
  const container = isJsonObject(value) || Array.isArray(value);
  if (container && !holdsUnsafeNumber(value)) {
    if (insert) raw.insertObject(obj, key as number, value as never);
    else raw.putObject(obj, key as string, value as never);
    return;
  }
  if (container) {
    const empty = Array.isArray(value) ? [] : {};
    const child = (
      insert
        ? raw.insertObject(obj, key as number, empty as never)
        : raw.putObject(obj, key as string, empty as never)
    ) as ObjId;
    if (Array.isArray(value)) for (const [i, v] of value.entries()) putValue(raw, child, i, v, true);
    else for (const [k, v] of Object.entries(value as JsonObject)) putValue(raw, child, k, v);
    return;
  }
  const f64 = typeof value === "number" && Number.isInteger(value) && !Number.isSafeInteger(value);
  if (insert) raw.insert(obj, key as number, value as never, f64 ? "f64" : undefined);
  else raw.put(obj, key as string, value as never, f64 ? "f64" : undefined);
}

function holdsUnsafeNumber(value: JsonValue): boolean {
  if (typeof value === "number") return Number.isInteger(value) && !Number.isSafeInteger(value);
  if (Array.isArray(value)) return value.some(holdsUnsafeNumber);
  if (isJsonObject(value)) return Object.values(value).some(holdsUnsafeNumber);
  return false;
}

export interface PreparedUpdate {
  desiredOps: PatchOp[];
  reportedOps: PatchOp[];
  /** The sections after the update. */
  desired: JsonObject;
  reported: JsonObject;
  changed: boolean;
}

export interface SectionEdits {
  desired?: JsonObject | null;
  reported?: JsonObject | null;
}

/** One shadow's document with its plain view kept in step. Free it when it leaves the cache. */
export class ShadowDocument {
  /** The epoch of the document (docs/shadow-engine.md): 0 until its first cut. */
  private epoch_: number;
  /** Changes applied since the epoch's base (or since the skeleton in epoch 0). */
  private sinceBase: number;

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
  ): ShadowDocument {
    // The snapshot is a whole saved document (it starts with the skeleton): loading it into an empty
    // document takes Automerge's fast path; loadIncremental into the skeleton's clone would apply
    // its changes one by one (twice as slow for a 128-change shadow).
    const raw = A.getBackend(A.load(snapshot, { actor }));
    // One call for all chunks (they are consecutive change chunks): each call costs ~0.15 ms of its
    // own, so 63 chunks loaded one by one took 5x longer than the whole document.
    const rest = concat(chunks);
    if (rest.byteLength > 0) raw.loadIncremental(rest);
    return new ShadowDocument(raw, withConflicts(raw, { ...materialize(raw), meta }), site ?? null);
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
   * Plans an update without touching the document: the leaf edits and the state they lead to.
   * `changed` is false when the update repeats the current state, so identical reports create no
   * Automerge change and no new version.
   */
  prepare(edits: SectionEdits): PreparedUpdate {
    const view = this.view_;
    const desiredOps = edits.desired === undefined ? [] : planPatch(view.desired, edits.desired);
    const reportedOps = edits.reported === undefined ? [] : planPatch(view.reported, edits.reported);
    // Rewriting a conflicted key with its current value resolves the conflict (it is not a no-op).
    if (view.conflicts) {
      desiredOps.push(...rewriteConflicted(view.conflicts.desired, edits.desired, desiredOps));
      reportedOps.push(...rewriteConflicted(view.conflicts.reported, edits.reported, reportedOps));
    }
    return {
      desiredOps,
      reportedOps,
      desired: desiredOps.length ? applyPatchOps(view.desired, desiredOps) : view.desired,
      reported: reportedOps.length ? applyPatchOps(view.reported, reportedOps) : view.reported,
      changed: !view.exists || desiredOps.length > 0 || reportedOps.length > 0,
    };
  }

  /** Applies a prepared update as one Automerge change (no-op when nothing changes). */
  apply(update: PreparedUpdate, timestamp: number): boolean {
    if (!update.changed) return false;
    const { desiredOps, reportedOps } = update;
    const view = this.view_;
    const raw = this.raw;
    const roots = rootsOf();
    const desiredMeta = planMetadata(desiredOps, timestamp);
    const reportedMeta = planMetadata(reportedOps, timestamp);
    if (!view.exists) raw.put("/", "deleted", false);
    applyOps(raw, roots.desired, desiredOps);
    applyOps(raw, roots.reported, reportedOps);
    raw.increment("/", "version", 1);
    raw.commit(this.site, timestamp);
    this.sinceBase++;
    const next: ShadowView = {
      exists: true,
      version: view.version + 1,
      desired: update.desired,
      reported: update.reported,
      meta: {
        desired: desiredMeta.length ? applyPatchOps(view.meta.desired, desiredMeta) : view.meta.desired,
        reported: reportedMeta.length ? applyPatchOps(view.meta.reported, reportedMeta) : view.meta.reported,
      },
    };
    // A local write supersedes every concurrent value of the keys it writes: rescan only when needed.
    this.view_ = view.conflicts ? withConflicts(raw, next) : next;
    return true;
  }

  /** prepare + apply. */
  update(edits: SectionEdits, timestamp: number): boolean {
    return this.apply(this.prepare(edits), timestamp);
  }

  /** Deletes the shadow, leaving a tombstone so a later merge cannot resurrect it; the version continues. */
  delete(timestamp: number): void {
    const raw = this.raw;
    const roots = rootsOf();
    const view = this.view_;
    applyOps(raw, roots.desired, planPatch(view.desired, null));
    applyOps(raw, roots.reported, planPatch(view.reported, null));
    raw.put("/", "deleted", true);
    raw.increment("/", "version", 1);
    raw.commit(this.site, timestamp);
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
    const raw = this.raw;
    const before = raw.getHeads();
    raw.applyChanges(changes as Uint8Array[]);
    const after = raw.getHeads();
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
    const hashes: string[] = [];
    let rest = prefixes.filter((p) => {
      const hit = this.raw.getHeads().find((h) => h.startsWith(p));
      if (hit) hashes.push(hit);
      return !hit;
    });
    if (rest.length > 0) {
      for (const meta of this.raw.getChangesMeta([])) {
        const i = rest.findIndex((p) => meta.hash.startsWith(p));
        if (i < 0) continue;
        hashes.push(meta.hash);
        rest = rest.filter((_, j) => j !== i);
        if (rest.length === 0) break;
      }
    }
    return { hashes, missing: rest.length };
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
   * Merges another copy of this shadow (another site's) into this one. Metadata is not part of the
   * document: a leaf the merge changed takes the other copy's timestamp when the other copy holds
   * that value, else the time of the merge.
   */
  merge(other: ShadowDocument, now = Math.floor(Date.now() / 1000)): void {
    const before = this.view_;
    this.raw.merge(other.raw);
    this.epoch_ = epochOf(this.raw);
    this.sinceBase = changesAfterBase(this.raw, this.epoch_);
    const after = materialize(this.raw);
    const theirs = other.view_;
    this.view_ = withConflicts(this.raw, {
      ...after,
      meta: {
        desired: mergeMeta(
          before.desired,
          before.meta.desired,
          after.desired,
          theirs.desired,
          theirs.meta.desired,
          now,
        ),
        reported: mergeMeta(
          before.reported,
          before.meta.reported,
          after.reported,
          theirs.reported,
          theirs.meta.reported,
          now,
        ),
      },
    });
  }

  /** Re-reads the state from the document itself (what `view` must always equal, metadata aside). */
  materialize(): ShadowView {
    return { ...materialize(this.raw), meta: this.view_.meta };
  }

  heads(): Heads {
    return this.raw.getHeads();
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
    if (this.view_.conflicts) return false;
    const epoch = this.epoch_ + 1;
    const next = baseDoc(key, epoch, this.view_, this.raw.getActorId());
    this.raw.free();
    this.raw = next;
    this.epoch_ = epoch;
    this.sinceBase = 0;
    return true;
  }

  /**
   * The agreed cut of a shared shadow (docs/shadow-engine.md, only the root cutter calls it): like
   * `cut`, but the base change's message records the cut heads and the covered clock, so a site that
   * receives the base knows which of its own changes the new epoch already holds.
   */
  cutAgreed(key: string): boolean {
    if (this.view_.conflicts) return false;
    const clock = coveredClock(this.raw, key, this.epoch_, SKELETON_ACTOR);
    const message = cutMessage(this.raw.getHeads(), clock);
    const epoch = this.epoch_ + 1;
    const next = baseDoc(key, epoch, this.view_, this.raw.getActorId(), message);
    this.raw.free();
    this.raw = next;
    this.epoch_ = epoch;
    this.sinceBase = 0;
    return true;
  }

  /**
   * Adopts epoch `epoch` (> this document's) from changes another site sent: the document becomes the
   * skeleton plus those changes (the epoch's base among them), then every change this site wrote
   * that the base's covered clock does not hold is carried over as a new local change (its leaf diff,
   * in causal order, with its original time). Returns how many changes were carried over, or
   * undefined when the base is not among `changes` (the sender must resend from the skeleton).
   */
  adopt(key: string, epoch: number, changes: readonly Uint8Array[], now: number): number | undefined {
    const base = findBase(changes, epochActor(key, epoch));
    if (!base) return undefined;
    const clock = parseCutMessage(base.message).clock;
    const old = this.raw;
    const previous = this.view_;
    const own = uncoveredOwn(old, key, this.epoch_, clock, this.site, SKELETON_ACTOR);
    const carried = own.map((c) => ({
      before: materialize(old, c.deps),
      after: materialize(old, [...c.deps, c.hash]),
      time: c.time,
    }));
    const fresh = skeletonDoc().clone(old.getActorId());
    fresh.applyChanges(changes as Uint8Array[]);
    old.free();
    this.raw = fresh;
    this.epoch_ = epochOf(fresh);
    this.sinceBase = changesAfterBase(fresh, this.epoch_);
    const after = materialize(fresh);
    const meta = {
      desired: mergeMeta(previous.desired, previous.meta.desired, after.desired, {}, {}, now),
      reported: mergeMeta(previous.reported, previous.meta.reported, after.reported, {}, {}, now),
    };
    this.view_ = withConflicts(fresh, { ...after, meta });
    for (const c of carried) {
      if (c.before.exists && !c.after.exists) {
        if (this.view_.exists) this.delete(c.time);
        continue;
      }
      const edits: SectionEdits = {
        desired: leafDiff(c.before.desired, c.after.desired),
        reported: leafDiff(c.before.reported, c.after.reported),
      };
      const update = this.prepare(edits);
      if (!c.before.exists && c.after.exists) update.changed = true;
      this.apply(update, c.time);
    }
    return carried.length;
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
  }

  fork(actor: string, site?: string): ShadowDocument {
    return new ShadowDocument(this.raw.clone(actor), this.view_, site ?? this.site);
  }
}

/** Heads as Automerge returns them are sorted, so equal sets are equal arrays. */
export function sameHeads(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const sa = [...a].sort();
  const sb = [...b].sort();
  return sa.every((h, i) => h === sb[i]);
}

function concat(chunks: Iterable<Uint8Array>): Uint8Array {
  const list = [...chunks];
  if (list.length === 1) return list[0] as Uint8Array;
  const out = new Uint8Array(list.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of list) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** Skeleton + the base change of `epoch` (written as its derived actor), continuing as `actor`. */
function baseDoc(
  key: string,
  epoch: number,
  state: EpochState,
  actor: string,
  message: string | null = null,
): RawDoc {
  const builder = skeletonDoc().clone(epochActor(key, epoch));
  writeBase(builder, rootsOf(), epoch, state, message);
  const raw = builder.clone(actor);
  builder.free();
  return raw;
}

/** The `epoch` the document's base wrote (absent in epoch 0). */
function epochOf(raw: RawDoc): number {
  const found = raw.getWithType("/", "epoch") as [string, unknown] | null | undefined;
  return found && typeof found[1] === "number" ? found[1] : 0;
}

/** Changes beyond the skeleton and (from epoch 1 on) the base. */
function changesAfterBase(raw: RawDoc, epoch: number): number {
  return Math.max(0, raw.stats().numChanges - (epoch > 0 ? 2 : 1));
}

/** The view with its `conflicts` (only present when some leaf holds concurrent values). */
function withConflicts(raw: RawDoc, view: ShadowView): ShadowView {
  const conflicts = findConflicts(raw, rootsOf());
  const { conflicts: _old, ...rest } = view;
  return conflicts ? { ...rest, conflicts } : rest;
}

function materialize(raw: RawDoc, heads?: Heads): Omit<ShadowView, "meta"> {
  const js = raw.materialize("/", heads) as {
    desired: JsonObject;
    reported: JsonObject;
    version: number;
    deleted: boolean;
  };
  return {
    exists: !js.deleted,
    version: Number(js.version),
    desired: plain(js.desired),
    reported: plain(js.reported),
  };
}

/** The metadata mirror of `after`: unchanged leaves keep ours, changed ones take theirs or `now`. */
function mergeMeta(
  ours: JsonObject,
  ourMeta: JsonObject,
  after: JsonObject,
  theirs: JsonObject,
  theirMeta: JsonObject,
  now: number,
): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(after)) {
    const sub = (o: JsonObject): JsonObject => {
      const v = o[key];
      return isJsonObject(v) ? v : {};
    };
    if (isJsonObject(value)) {
      out[key] = mergeMeta(sub(ours), sub(ourMeta), value, sub(theirs), sub(theirMeta), now);
    } else if (jsonEqual(ours[key], value) && ourMeta[key] !== undefined && !isJsonObject(ourMeta[key])) {
      out[key] = ourMeta[key] as JsonValue;
    } else if (
      jsonEqual(theirs[key], value) &&
      theirMeta[key] !== undefined &&
      !isJsonObject(theirMeta[key])
    ) {
      out[key] = theirMeta[key] as JsonValue;
    } else {
      out[key] = now;
    }
  }
  return out;
}

/** Materialised values are plain JSON except for counters and immutable strings; normalise them. */
function plain<T extends JsonValue>(value: T): T {
  if (Array.isArray(value)) return value.map(plain) as T;
  if (value instanceof A.ImmutableString) return value.toString() as T;
  if (value instanceof A.Counter) return value.value as T;
  if (isJsonObject(value)) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) out[k] = plain(v);
    return out as T;
  }
  return value;
}

/** A random Automerge actor id (hex). */
export function newActorId(): string {
  return crypto.randomUUID().replaceAll("-", "");
}
