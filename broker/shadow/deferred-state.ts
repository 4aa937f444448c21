import { leafPatch } from "../../shared/history.ts";
import { isJsonObject, type JsonObject } from "../../shared/json.ts";
import type { ShadowView } from "../../shared/shadow-document.ts";
import type { PatchOp } from "../../shared/shadow-patch.ts";

/**
 * Deferred updates of a shadow (docs/shadow-engine.md, "Deferred changes"), as plain data: what the
 * store keeps beside the document while the view is ahead of it, and the edits that fold them in.
 */

/** The `shadows.deferred` column: the view's version and sections, how many updates the document lacks, the last one's time. */
export interface DeferredState {
  v: number;
  n: number;
  t: number;
  d: JsonObject;
  r: JsonObject;
}

/** The stored state, or undefined when the text is not one (the document alone is then the shadow). */
export function parseDeferred(text: string): DeferredState | undefined {
  try {
    const s = JSON.parse(text) as Partial<DeferredState>;
    const count = (n: unknown): n is number => typeof n === "number" && Number.isSafeInteger(n) && n >= 0;
    if (!count(s.v) || !count(s.n) || s.n < 1 || !count(s.t)) return undefined;
    if (!isJsonObject(s.d as never) || !isJsonObject(s.r as never)) return undefined;
    return s as DeferredState;
  } catch {
    return undefined;
  }
}

/** The leaf edits that turn the document's sections (`folded`) into the view's. */
export function deferredEdits(
  folded: ShadowView,
  view: ShadowView,
): { desired: PatchOp[]; reported: PatchOp[] } {
  return {
    desired: leafPatch(folded.desired, view.desired),
    reported: leafPatch(folded.reported, view.reported),
  };
}
