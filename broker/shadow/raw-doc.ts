import * as A from "@automerge/automerge";
import { type EpochState, epochActor, writeBase } from "./epoch-base.ts";

/**
 * The shadow document's fixed shape at the Automerge level: the skeleton every copy starts from, the
 * section maps' object ids, epoch bases, and helpers on heads and change hashes. ShadowDocument
 * (shadow-doc.ts) is the only writer; this module holds no state besides the memoised skeleton.
 */

/** Automerge's low-level document handle (what `Automerge.getBackend` returns). */
export type RawDoc = ReturnType<typeof A.getBackend>;
export type ObjId = string;
export type Heads = A.Heads;

/**
 * Every site creates a shadow from the same deterministic skeleton change (fixed actor, time 0), so two
 * sites that create the same shadow independently share its root maps and merge key by key. The
 * skeleton's hash is therefore part of the wire contract (pinned by a unit test). The skeleton is a
 * tombstone at version 0: a shadow exists once an update sets `deleted` to false.
 */
export const SKELETON_ACTOR = "0".repeat(32);

let skeleton: RawDoc | undefined;
export function skeletonDoc(): RawDoc {
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

export interface Roots {
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
export function rootsOf(): Roots {
  if (!roots) {
    const raw = skeletonDoc();
    roots = { desired: mapId(raw, "/", "desired"), reported: mapId(raw, "/", "reported") };
  }
  return roots;
}

/** Skeleton + the base change of `epoch` (written as its derived actor), continuing as `actor`. */
export function baseDoc(
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
export function epochOf(raw: RawDoc): number {
  const found = raw.getWithType("/", "epoch") as [string, unknown] | null | undefined;
  return found && typeof found[1] === "number" ? found[1] : 0;
}

/** Changes beyond the skeleton and (from epoch 1 on) the base. */
export function changesAfterBase(raw: RawDoc, epoch: number): number {
  return Math.max(0, raw.stats().numChanges - (epoch > 0 ? 2 : 1));
}

/** Whether two sets of heads are equal (order aside). */
export function sameHeads(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  const sa = [...a].sort();
  const sb = [...b].sort();
  return sa.every((h, i) => h === sb[i]);
}

/** A random Automerge actor id (hex). */
export function newActorId(): string {
  return crypto.randomUUID().replaceAll("-", "");
}

/**
 * Expands abbreviated hashes (hex prefixes) to the full hashes of the document's changes; `missing`
 * counts prefixes that match none. Heads are tried first; the whole history only when needed.
 */
export function resolvePrefixes(
  raw: RawDoc,
  prefixes: readonly string[],
): { hashes: string[]; missing: number } {
  const hashes: string[] = [];
  const heads = raw.getHeads();
  let rest = prefixes.filter((p) => {
    const hit = heads.find((h) => h.startsWith(p));
    if (hit) hashes.push(hit);
    return !hit;
  });
  if (rest.length > 0) {
    for (const meta of raw.getChangesMeta([])) {
      const i = rest.findIndex((p) => meta.hash.startsWith(p));
      if (i < 0) continue;
      hashes.push(meta.hash);
      rest = rest.filter((_, j) => j !== i);
      if (rest.length === 0) break;
    }
  }
  return { hashes, missing: rest.length };
}

/** Consecutive change chunks as one buffer (one `loadIncremental` call). */
export function concat(chunks: Iterable<Uint8Array>): Uint8Array {
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
