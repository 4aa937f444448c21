import * as A from "@automerge/automerge";
import { isJsonObject, type JsonObject, jsonEqual } from "../../shared/json.ts";
import { epochActor } from "./epoch-base.ts";

/**
 * What an agreed cut records and how a site carries its own changes over a cut it did not make
 * (docs/shadow-engine.md, "Agreed cuts"). The covered clock says, per actor, the last change the new
 * epoch's base holds: `[epoch, seq]` (Automerge sequence numbers restart in each epoch's document).
 * It is cumulative: the previous base's clock plus every actor of the epoch being closed.
 */
type RawDoc = ReturnType<typeof A.getBackend>;
export type CoveredClock = Record<string, [number, number]>;

interface CutRecord {
  heads: string[];
  clock: CoveredClock;
}

export function cutMessage(heads: readonly string[], clock: CoveredClock): string {
  return JSON.stringify({ umbraCut: 1, h: heads, c: clock });
}

/** The record in a base change's message; an empty clock for local cuts (no message). */
export function parseCutMessage(message: string | null): CutRecord {
  if (!message) return { heads: [], clock: {} };
  try {
    const m = JSON.parse(message) as { h?: unknown; c?: unknown };
    const heads = Array.isArray(m.h) ? m.h.filter((h): h is string => typeof h === "string") : [];
    const clock: CoveredClock = {};
    if (isJsonObject(m.c as never))
      for (const [actor, v] of Object.entries(m.c as Record<string, unknown>))
        if (Array.isArray(v) && typeof v[0] === "number" && typeof v[1] === "number")
          clock[actor] = [v[0], v[1]];
    return { heads, clock };
  } catch {
    return { heads: [], clock: {} };
  }
}

/** The base change of epoch `epoch` among `changes` (its actor is derived from key and epoch). */
export function findBase(changes: readonly Uint8Array[], actor: string): A.DecodedChange | undefined {
  for (const c of changes) {
    const d = A.decodeChange(c);
    if (d.actor === actor) return d;
  }
  return undefined;
}

/** The clock a cut of `raw` (a document of epoch `epoch`) covers. */
export function coveredClock(raw: RawDoc, key: string, epoch: number, skeletonActor: string): CoveredClock {
  const baseActor = epoch > 0 ? epochActor(key, epoch) : undefined;
  let clock: CoveredClock = {};
  const metas = raw.getChangesMeta([]);
  const base = metas.find((m) => m.actor === baseActor);
  if (base) clock = { ...parseCutMessage(base.message).clock };
  for (const m of metas) {
    if (m.actor === skeletonActor || m.actor === baseActor) continue;
    const seen = clock[m.actor];
    if (!seen || seen[0] < epoch || seen[1] < m.seq) clock[m.actor] = [epoch, m.seq];
  }
  return clock;
}

/**
 * The changes of `raw` (epoch `epoch`) this site wrote (message = its site id, or its actor when it has
 * none) that `clock` does not cover, in causal order.
 */
export function uncoveredOwn(
  raw: RawDoc,
  key: string,
  epoch: number,
  clock: CoveredClock,
  site: string | null,
  skeletonActor: string,
): A.ChangeMetadata[] {
  const me = raw.getActorId();
  const baseActor = epoch > 0 ? epochActor(key, epoch) : undefined;
  return raw.getChangesMeta([]).filter((m) => {
    if (m.actor === skeletonActor || m.actor === baseActor) return false;
    if (site !== null ? m.message !== site : m.actor !== me) return false;
    const seen = clock[m.actor];
    return !seen || seen[0] < epoch || (seen[0] === epoch && m.seq > seen[1]);
  });
}

/** The edits that turn `before` into `after` (changed leaves get their value, removed keys null). */
export function leafDiff(before: JsonObject, after: JsonObject): JsonObject | undefined {
  const out: JsonObject = {};
  let any = false;
  for (const [k, v] of Object.entries(after)) {
    const b = before[k];
    if (isJsonObject(v) && isJsonObject(b)) {
      const sub = leafDiff(b, v);
      if (sub) {
        out[k] = sub;
        any = true;
      }
    } else if (b === undefined || !jsonEqual(b, v)) {
      out[k] = v;
      any = true;
    }
  }
  for (const k of Object.keys(before)) {
    if (after[k] === undefined) {
      out[k] = null;
      any = true;
    }
  }
  return any ? out : undefined;
}
