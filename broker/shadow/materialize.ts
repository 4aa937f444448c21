import * as A from "@automerge/automerge";
import { isJsonObject, type JsonObject, type JsonValue, jsonEqual } from "../../shared/json.ts";
import type { ShadowView } from "../../shared/shadow-document.ts";
import { type Heads, type RawDoc, rootsOf } from "./raw-doc.ts";
import { findConflicts } from "./shadow-merge.ts";

/** Reading a shadow's plain view back out of its Automerge document. */

export function materialize(raw: RawDoc, heads?: Heads): Omit<ShadowView, "meta"> {
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

/** The view with its `conflicts` (only present when some leaf holds concurrent values). */
export function withConflicts(raw: RawDoc, view: ShadowView): ShadowView {
  const conflicts = findConflicts(raw, rootsOf());
  const { conflicts: _old, ...rest } = view;
  return conflicts ? { ...rest, conflicts } : rest;
}

/**
 * The metadata mirror of `after` when the document was replaced wholesale (an adopted epoch): leaves
 * whose value is unchanged keep their stamp from `beforeMeta`, the others are stamped `now`.
 */
export function restampMeta(
  before: JsonObject,
  beforeMeta: JsonObject,
  after: JsonObject,
  now: number,
): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(after)) {
    const sub = (o: JsonObject): JsonObject => {
      const v = o[key];
      return isJsonObject(v) ? v : {};
    };
    const stamp = beforeMeta[key];
    if (isJsonObject(value)) out[key] = restampMeta(sub(before), sub(beforeMeta), value, now);
    else if (jsonEqual(before[key], value) && stamp !== undefined && !isJsonObject(stamp)) out[key] = stamp;
    else out[key] = now;
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
