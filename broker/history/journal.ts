import * as A from "@automerge/automerge";
import type { Principal } from "../../shared/acl.ts";
import { type HistoryRecord, leafPatch } from "../../shared/history.ts";
import type { ShadowView } from "../../shared/shadow-document.ts";
import type { PatchOp } from "../../shared/shadow-patch.ts";

/**
 * The change records the shadow service stages with its changes (docs/history.md). Local records carry
 * the planned leaf edits as they were applied; the site is filled in by the history store.
 */
export function localRecord(
  kind: "update" | "delete",
  current: ShadowView,
  principal: Principal,
  clientToken: string | undefined,
  ops?: { desiredOps: PatchOp[]; reportedOps: PatchOp[] },
): HistoryRecord {
  const r: HistoryRecord = {
    version: current.version,
    at: Date.now(),
    kind,
    exists: current.exists,
    identity: { name: principal.name, role: principal.role },
    patch: {},
  };
  if (ops?.desiredOps.length) r.patch.desired = ops.desiredOps;
  if (ops?.reportedOps.length) r.patch.reported = ops.reportedOps;
  if (clientToken !== undefined) r.clientToken = clientToken;
  return r;
}

/** A merge of another site's changes: the leaf diff of the view it made, the authoring site(s), the peer. */
export function mergeRecord(
  previous: ShadowView,
  current: ShadowView,
  changes: readonly Uint8Array[],
  via: string,
): HistoryRecord {
  const r: HistoryRecord = {
    version: current.version,
    at: Date.now(),
    kind: current.exists ? "merge" : "delete",
    exists: current.exists,
    via,
    patch: {},
  };
  const sites = changeSites(changes);
  if (sites) r.site = sites;
  if (current.exists) {
    const desired = leafPatch(previous.exists ? previous.desired : {}, current.desired);
    const reported = leafPatch(previous.exists ? previous.reported : {}, current.reported);
    if (desired.length) r.patch.desired = desired;
    if (reported.length) r.patch.reported = reported;
  }
  return r;
}

/** The sites written as the messages of Automerge changes (sorted, comma-separated), if any. */
export function changeSites(changes: readonly Uint8Array[]): string | undefined {
  const sites = new Set<string>();
  for (const bytes of changes) {
    try {
      const message = A.decodeChange(bytes).message;
      if (message) sites.add(message);
    } catch {
      // Malformed bytes were already refused by applyChanges; a record without a site is still useful.
    }
  }
  return sites.size > 0 ? [...sites].sort().join(",") : undefined;
}
