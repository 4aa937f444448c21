import { isJsonObject, type JsonObject, type JsonValue } from "../../shared/json.ts";
import { getAt, leavesOf, pathsOverlap, setAt } from "../../shared/json-path.ts";

/**
 * Dot-separated paths into shadow state (`ntp.server`). The agent config names desired and reported
 * locations this way; segments are restricted to a conservative character set so a path is never
 * ambiguous (no dots or wildcards inside a key).
 */
export type Path = readonly string[];

export const PATH_SEGMENT = /^[A-Za-z0-9_:$-]{1,128}$/;

/** Parses `a.b.c`; returns an error message instead of a path when it is not valid. */
export function parsePath(text: string): Path | string {
  if (text.length === 0) return "must not be empty";
  const segments = text.split(".");
  const bad = segments.find((s) => !PATH_SEGMENT.test(s));
  if (bad !== undefined) {
    return `segment '${bad}' of '${text}' is not valid (letters, digits, _ : $ - only, dot-separated)`;
  }
  return segments;
}

export function formatPath(path: Path): string {
  return path.join(".");
}

/** The value at `path` (shared/json-path.ts). */
export const getPath = getAt;

/** Sets `value` at `path`, creating intermediate objects (replacing non-objects on the way). */
export const setPath = setAt;

/** Whether `a` is `b` or lies under it (or the other way round): the two locations overlap. */
export const overlaps = pathsOverlap;

/** Every leaf path of a JSON object (arrays and scalars are leaves, as in a shadow delta). */
export const leafPaths = (obj: JsonObject): string[][] => leavesOf(obj).map((leaf) => leaf.path);

/**
 * A patch that turns `prev` into `next` when merged the shadow's way: keys of `prev` missing from `next`
 * become `null` (deleted), objects recurse. A plain report of `next` would leave removed keys behind (an
 * interface that went away would stay in the facts forever).
 */
export function replacePatch(prev: JsonValue | undefined, next: JsonObject): JsonObject {
  const out: JsonObject = { ...next };
  if (!isJsonObject(prev)) return out;
  for (const [key, old] of Object.entries(prev)) {
    const now = next[key];
    if (now === undefined) out[key] = null;
    else if (isJsonObject(now) && isJsonObject(old)) out[key] = replacePatch(old, now);
  }
  return out;
}
