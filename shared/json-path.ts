import { isJsonObject, type JsonObject, type JsonValue } from "./json.ts";

/**
 * Paths into JSON state as arrays of keys: the one set of path helpers of Umbra (the device SDK, the
 * host agent and the firmware bridge each spell paths their own way, dots or arrays, and convert here).
 */
export type JsonPath = readonly string[];

/** The value at `path`, or undefined when some key on the way is missing or not an object. */
export function getAt(obj: JsonValue | undefined, path: JsonPath): JsonValue | undefined {
  let node: JsonValue | undefined = obj;
  for (const key of path) {
    if (!isJsonObject(node) || !Object.hasOwn(node, key)) return undefined;
    node = node[key];
  }
  return node;
}

/** Sets `value` at `path`, creating objects on the way (a non-object on the way is replaced). */
export function setAt(target: JsonObject, path: JsonPath, value: JsonValue): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (isJsonObject(next)) node = next;
    else {
      const created: JsonObject = {};
      node[key] = created;
      node = created;
    }
  }
  const last = path[path.length - 1];
  if (last !== undefined) node[last] = value;
}

/** Whether `a` is `b` or one of its ancestors. */
export function isPathPrefix(a: JsonPath, b: JsonPath): boolean {
  return a.length <= b.length && a.every((k, i) => k === b[i]);
}

/** Whether two paths address overlapping state (one is the other or its ancestor). */
export function pathsOverlap(a: JsonPath, b: JsonPath): boolean {
  return isPathPrefix(a, b) || isPathPrefix(b, a);
}

/** A leaf of JSON state: a path of keys and a value that is not an object (scalar, array or null). */
export interface JsonLeaf {
  path: string[];
  value: JsonValue;
}

/** The leaves of an object in document order. Empty objects are not state and yield nothing. */
export function leavesOf(obj: JsonObject, prefix: string[] = []): JsonLeaf[] {
  const out: JsonLeaf[] = [];
  for (const [key, value] of Object.entries(obj)) {
    const path = [...prefix, key];
    if (isJsonObject(value)) out.push(...leavesOf(value, path));
    else out.push({ path, value });
  }
  return out;
}
