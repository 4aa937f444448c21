import { AttributeError } from "./fleet-attributes.ts";
import { isJsonObject, type JsonObject, type JsonValue, jsonEqual } from "./json.ts";

/**
 * Who set each attribute (docs/fleet.md, "Who fills attributes"): `operator` (by hand: HTTP, CLI, an
 * operator's MQTT request) or `device` (the thing's own device, bridge or host agent filling what it
 * knows). A device never overwrites or deletes what an operator set; it fills keys that are absent and
 * keeps up to date the keys it set itself. Origins are a tree of the attributes' shape
 * (`{type: "operator", labels: {os: "device"}}`). Pure: no I/O.
 */
export type AttributeOrigin = "operator" | "device";

export interface AttributeState {
  attributes: JsonObject;
  origins: JsonObject;
}

export interface AttributeWrite {
  /** The validated input: a whole document (`put`) or a patch (`patch`, null deletes). */
  input: JsonObject;
  mode: "put" | "patch";
  origin: AttributeOrigin;
}

export interface AttributeResult extends AttributeState {
  /** Leaves (dotted for display) a device asked to set or delete that an operator owns: left alone. */
  kept: string[];
  changed: boolean;
}

/** A leaf's path: top-level key, or `[location|labels, key]` (label names may contain dots). */
type Path = readonly string[];
const keyOf = (p: Path) => p.join("\u0000");

function leaves(obj: JsonObject, prefix: Path = []): Map<string, { path: Path; value: JsonValue }> {
  const out = new Map<string, { path: Path; value: JsonValue }>();
  for (const [k, v] of Object.entries(obj)) {
    const path = [...prefix, k];
    if (isJsonObject(v)) for (const [key, leaf] of leaves(v, path)) out.set(key, leaf);
    else out.set(keyOf(path), { path, value: v });
  }
  return out;
}

function build(entries: Iterable<{ path: Path; value: JsonValue }>): JsonObject {
  const out: JsonObject = {};
  for (const { path, value } of entries) {
    let obj = out;
    for (const k of path.slice(0, -1)) {
      if (!isJsonObject(obj[k])) obj[k] = {};
      obj = obj[k] as JsonObject;
    }
    obj[path[path.length - 1] as string] = value;
  }
  return out;
}

/** A leaf's recorded origin; a stored leaf without one (written before origins existed) is an operator's. */
function originAt(origins: JsonObject, path: Path): AttributeOrigin {
  let v: JsonValue | undefined = origins;
  for (const k of path) v = isJsonObject(v) ? v[k] : undefined;
  return v === "device" ? "device" : "operator";
}

/**
 * The origin of a write by a principal of `role`: devices and bridges always write as `device`; others
 * (operators, anonymous development nodes) as they ask (`requested`), by hand unless told otherwise.
 */
export function writeOrigin(role: string, requested: unknown): AttributeOrigin {
  if (role === "device" || role === "bridge") return "device";
  if (requested === undefined) return "operator";
  if (requested === "operator" || requested === "device") return requested;
  throw new AttributeError('origin must be "operator" or "device"');
}

/** Applies a write by an operator or a device to the current state, following the origin rule. */
export function applyAttributeWrite(current: AttributeState, w: AttributeWrite): AttributeResult {
  const cur = leaves(current.attributes);
  const next = new Map<string, { path: Path; value: JsonValue }>();
  const origin = new Map<string, AttributeOrigin>();
  for (const [k, leaf] of cur) origin.set(k, originAt(current.origins, leaf.path));
  const kept = new Set<string>();
  const input = leaves(w.input);
  // A null for `location` or `labels` as a whole deletes every leaf below it.
  const deletes = (k: string, path: Path) =>
    input.get(k)?.value === null || (path.length > 1 && w.input[path[0] as string] === null);
  const ownedByOperator = (k: string) => cur.has(k) && origin.get(k) === "operator";

  if (w.origin === "operator") {
    if (w.mode === "patch") for (const [k, leaf] of cur) if (!deletes(k, leaf.path)) next.set(k, leaf);
    for (const [k, leaf] of input) {
      if (leaf.value === null) continue;
      next.set(k, leaf);
      // A PUT that repeats a device's value (a GET sent back) leaves it the device's.
      const same = cur.has(k) && jsonEqual(cur.get(k)?.value, leaf.value);
      if (!(w.mode === "put" && same)) origin.set(k, "operator");
    }
  } else {
    for (const [k, leaf] of cur) {
      if (ownedByOperator(k)) next.set(k, leaf);
      // put: the device's whole set, so keys it set before and no longer sends go.
      else if (w.mode === "patch" && !deletes(k, leaf.path)) next.set(k, leaf);
    }
    for (const [k, leaf] of input) {
      if (ownedByOperator(k)) {
        if (!jsonEqual(cur.get(k)?.value, leaf.value)) kept.add(leaf.path.join("."));
        continue;
      }
      if (leaf.value === null) continue;
      next.set(k, leaf);
      origin.set(k, "device");
    }
    for (const [k, leaf] of cur) {
      if (ownedByOperator(k) && w.mode === "patch" && deletes(k, leaf.path)) kept.add(leaf.path.join("."));
    }
  }
  const attributes = build(next.values());
  const origins = build(
    [...next].map(([k, leaf]) => ({ path: leaf.path, value: origin.get(k) ?? "operator" })),
  );
  const changed = !jsonEqual(attributes, current.attributes) || !jsonEqual(origins, current.origins);
  return { attributes, origins, kept: [...kept], changed };
}
