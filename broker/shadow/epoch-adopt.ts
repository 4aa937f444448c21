import type { ShadowView } from "../../shared/shadow-document.ts";
import { epochActor } from "./epoch-base.ts";
import { findBase, parseCutMessage, uncoveredOwn } from "./epoch-carry.ts";
import { materialize } from "./materialize.ts";
import { type RawDoc, SKELETON_ACTOR, skeletonDoc } from "./raw-doc.ts";

/**
 * Adopting an epoch another site cut (docs/shadow-engine.md, "Agreed cuts"): the document becomes the
 * skeleton plus the changes received (the epoch's base among them), and each change this site wrote
 * that the base's covered clock does not hold is carried over as its leaf diff, in causal order.
 */

type State = Omit<ShadowView, "meta">;

/** One own change to carry over: the state before and after it in the old document, and its time. */
export interface CarriedChange {
  before: State;
  after: State;
  time: number;
}

/**
 * The adopted document (written as `old`'s actor) and the changes to replay on it, or undefined when
 * the base of `epoch` is not among `changes`. `old` is left untouched (the caller frees it).
 */
export function adoptDoc(
  old: RawDoc,
  key: string,
  oldEpoch: number,
  epoch: number,
  changes: readonly Uint8Array[],
  site: string | null,
): { raw: RawDoc; carried: CarriedChange[] } | undefined {
  const base = findBase(changes, epochActor(key, epoch));
  if (!base) return undefined;
  const clock = parseCutMessage(base.message).clock;
  const own = uncoveredOwn(old, key, oldEpoch, clock, site, SKELETON_ACTOR);
  const carried = own.map((c) => ({
    before: materialize(old, c.deps),
    after: materialize(old, [...c.deps, c.hash]),
    time: c.time,
  }));
  const raw = skeletonDoc().clone(old.getActorId());
  raw.applyChanges(changes as Uint8Array[]);
  return { raw, carried };
}
