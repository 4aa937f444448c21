import type { ShadowAddress } from "../../shared/topics.ts";
import { mergeRecord } from "../history/journal.ts";
import type { GroupCommit } from "./group-commit.ts";
import { checkAddress } from "./shadow-admission.ts";
import type { ShadowChange, ShadowServiceStats } from "./shadow-service.ts";
import type { ShadowEntry, ShadowStore } from "./shadow-store.ts";

/**
 * The relay's side of ShadowService: merging another site's changes (adopting a newer epoch, carrying
 * this site's own changes over) and making the agreed cut of a shared shadow. Both go through the group
 * commit like a local update, so they are durable when they resolve (docs/shadow-engine.md).
 */

/** What `merge` did: `stale` the changes were of an older epoch (not merged); `resend` a newer epoch came
 * without its base (the sender must resend from the skeleton). */
export interface MergeResult {
  heads: string[];
  changed: boolean;
  missing: boolean;
  stale?: boolean;
  resend?: boolean;
}

/** What a remote merge needs from the service. */
export interface MergeContext {
  store: ShadowStore;
  commits: GroupCommit;
  stats: Pick<ShadowServiceStats, "adopted" | "carried">;
  /** Publishes a durable change (the service's `change` event, deferred). */
  emitChange(change: ShadowChange): void;
}

export async function mergeRemote(
  ctx: MergeContext,
  addr: ShadowAddress,
  changes: readonly Uint8Array[],
  origin: string,
  epoch: number,
): Promise<MergeResult> {
  checkAddress(addr);
  const ts = Math.floor(Date.now() / 1000);
  const entry = ctx.store.open(addr);
  const previous = entry.doc.view;
  const mine = entry.doc.epoch;
  // Epochs (docs/shadow-engine.md): older changes are not merged (the sender adopts ours and carries
  // its own over); a newer epoch is adopted here, carrying over this site's changes it lacks.
  if (epoch < mine) return { heads: entry.doc.heads(), changed: false, missing: false, stale: true };
  // Deferred updates (docs/shadow-engine.md) become a change of this site's before the merge; it is
  // committed with the merge, or alone when the merge changes nothing (never left unwritten: the relay
  // would send it).
  const folded = entry.doc.fold();
  let changed: boolean;
  if (epoch > mine) {
    // Synchronous from open to stage (the entry cannot be evicted in between). A staged local change
    // not yet committed is this site's and uncovered: it is carried over, and the commit that
    // follows writes the adopted document whole (`rebased`).
    const carried = entry.doc.adopt(entry.key, epoch, changes, ts);
    if (carried === undefined) {
      if (folded) await commitFold(ctx, entry);
      return { heads: entry.doc.heads(), changed: false, missing: false, resend: true };
    }
    entry.rebased = true;
    ctx.stats.adopted++;
    ctx.stats.carried += carried;
    changed = true;
  } else {
    changed = entry.doc.applyRemote(changes, ts);
  }
  const missing = entry.doc.missingDeps().length > 0;
  if (!changed) {
    if (folded) await commitFold(ctx, entry);
    else await ctx.commits.submit();
    return { heads: entry.doc.heads(), changed, missing };
  }
  ctx.store.stage(entry);
  const current = entry.doc.view;
  ctx.store.record(entry, () => mergeRecord(previous, current, changes, origin));
  const heads = entry.doc.heads();
  await ctx.commits.submit(entry);
  ctx.emitChange({
    addr,
    kind: current.exists ? "update" : "delete",
    previous,
    current,
    timestamp: ts,
    origin,
  });
  return { heads, changed, missing };
}

/**
 * Makes the agreed cut of a shared shadow through the group commit (the relay asks once every
 * connected peer holds its heads; the store's cut policy decides again at write time).
 */
export async function cutShared(ctx: MergeContext, addr: ShadowAddress): Promise<boolean> {
  const entry = ctx.store.open(addr);
  if (!ctx.store.cutReady(entry)) return false;
  const epoch = entry.doc.epoch;
  ctx.store.stage(entry);
  await ctx.commits.submit(entry);
  return entry.doc.epoch > epoch;
}

/**
 * Writes a shadow's deferred updates (docs/shadow-engine.md, "Deferred changes") as one change through
 * the group commit, so that a peer can be sent them: the relay asks before sending a shadow that has
 * some (a thing shared after they were made). Resolves false when there were none.
 */
export async function foldDeferred(ctx: MergeContext, addr: ShadowAddress): Promise<boolean> {
  const entry = ctx.store.open(addr);
  if (!entry.doc.fold()) return false;
  await commitFold(ctx, entry);
  return true;
}

/** Commits the change a fold just wrote (no change record: each deferred update has its own already). */
async function commitFold(ctx: MergeContext, entry: ShadowEntry): Promise<void> {
  ctx.store.stage(entry);
  await ctx.commits.submit(entry);
}
