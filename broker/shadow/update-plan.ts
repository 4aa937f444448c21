import type { JsonObject } from "../../shared/json.ts";
import { rewriteConflicted } from "../../shared/shadow-conflict-rewrite.ts";
import type { ShadowView } from "../../shared/shadow-document.ts";
import { applyPatchOps, type PatchOp, planMetadata, planPatch } from "../../shared/shadow-patch.ts";

/**
 * The plain-view side of a local update, pure: which leaf edits an update makes (planned before the
 * document is touched, so a no-op costs no Automerge change) and the view they lead to.
 */

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

/**
 * The leaf edits of `edits` on `view` and the sections they lead to. `changed` is false when the
 * update repeats the current state, so identical reports create no change and no new version.
 */
export function planUpdate(view: ShadowView, edits: SectionEdits): PreparedUpdate {
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

/** The view after `update` was committed at `timestamp` (its conflicts are the caller's to rescan). */
export function viewAfter(view: ShadowView, update: PreparedUpdate, timestamp: number): ShadowView {
  const desiredMeta = planMetadata(update.desiredOps, timestamp);
  const reportedMeta = planMetadata(update.reportedOps, timestamp);
  return {
    exists: true,
    version: view.version + 1,
    desired: update.desired,
    reported: update.reported,
    meta: {
      desired: desiredMeta.length ? applyPatchOps(view.meta.desired, desiredMeta) : view.meta.desired,
      reported: reportedMeta.length ? applyPatchOps(view.meta.reported, reportedMeta) : view.meta.reported,
    },
  };
}
