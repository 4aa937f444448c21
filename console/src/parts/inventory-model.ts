/**
 * The inventory panel's pure part: the attribute document as rows with their origins, the edit form's
 * values, and the PATCH a form makes (docs/fleet.md, "Attributes" and "Who fills attributes"). Only the
 * keys the operator changed go in the patch, so a device-filled key left alone stays the device's.
 */

export type Origin = "operator" | "device";

/** `GET /things/{t}/attributes` (docs/fleet.md). */
export interface AttributeDoc {
  thing: string;
  attributes: Record<string, unknown>;
  origins: Record<string, unknown>;
  version: number;
  updatedAt: number;
}

export interface InventoryField {
  path: readonly string[];
  label: string;
  numeric?: boolean;
}

/** The typed keys, in the order shown (labels come after, one row each). */
export const FIELDS: readonly InventoryField[] = [
  { path: ["type"], label: "Type" },
  { path: ["vendor"], label: "Vendor" },
  { path: ["model"], label: "Model" },
  { path: ["serial"], label: "Serial" },
  { path: ["owner"], label: "Owner" },
  { path: ["location", "site"], label: "Site" },
  { path: ["location", "room"], label: "Room" },
  { path: ["location", "row"], label: "Row" },
  { path: ["location", "rack"], label: "Rack" },
  { path: ["location", "unit"], label: "Rack unit", numeric: true },
];

export function at(obj: unknown, path: readonly string[]): unknown {
  let v = obj;
  for (const k of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/** A leaf's origin; a stored leaf without one (written before origins existed) counts as an operator's. */
export function originOf(origins: unknown, path: readonly string[]): Origin {
  return at(origins, path) === "device" ? "device" : "operator";
}

export interface InventoryRow {
  /** Dotted key for display (`location.rack`, `labels.os`). */
  key: string;
  path: readonly string[];
  value: unknown;
  origin: Origin;
}

/** Every stored leaf as a row: the typed keys in order, then the labels by name, then anything else. */
export function inventoryRows(doc: Pick<AttributeDoc, "attributes" | "origins">): InventoryRow[] {
  const rows: InventoryRow[] = [];
  const seen = new Set<string>();
  const push = (path: readonly string[]) => {
    const key = path.join(".");
    if (seen.has(key)) return;
    const value = at(doc.attributes, path);
    if (value === undefined || (value !== null && typeof value === "object")) return;
    seen.add(key);
    rows.push({ key, path, value, origin: originOf(doc.origins, path) });
  };
  for (const f of FIELDS) push(f.path);
  const labels = doc.attributes.labels;
  if (labels && typeof labels === "object")
    for (const name of Object.keys(labels).sort()) push(["labels", name]);
  const walk = (obj: unknown, prefix: string[]) => {
    if (obj === null || typeof obj !== "object") return push(prefix);
    for (const [k, v] of Object.entries(obj)) walk(v, [...prefix, k]);
  };
  walk(doc.attributes, []);
  return rows;
}

export interface LabelRow {
  name: string;
  value: string;
}

export interface FormValues {
  /** Each field's text by dotted key (empty: not set). */
  fields: Record<string, string>;
  labels: LabelRow[];
}

export function formValues(attributes: Record<string, unknown>): FormValues {
  const fields: Record<string, string> = {};
  for (const f of FIELDS) {
    const v = at(attributes, f.path);
    fields[f.path.join(".")] = v === undefined || v === null ? "" : String(v);
  }
  const labels = Object.entries((attributes.labels ?? {}) as Record<string, unknown>)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => ({ name, value: String(value) }));
  return { fields, labels };
}

function put(patch: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let obj = patch;
  for (const k of path.slice(0, -1)) {
    if (typeof obj[k] !== "object" || obj[k] === null) obj[k] = {};
    obj = obj[k] as Record<string, unknown>;
  }
  obj[path[path.length - 1] as string] = value;
}

/**
 * The PATCH that turns `attributes` into what the form says: a changed field is set, an emptied one is
 * `null` (deleted), a removed label is `null`. A rack unit that is a whole number is sent as a number;
 * anything else is sent as typed, for the node to refuse with the field's name (one place judges input).
 * Empty when nothing changed.
 */
export function patchOf(attributes: Record<string, unknown>, form: FormValues): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const f of FIELDS) {
    const before = at(attributes, f.path);
    const text = (form.fields[f.path.join(".")] ?? "").trim();
    if (text === "") {
      if (before !== undefined && before !== null) put(patch, f.path, null);
      continue;
    }
    const value = f.numeric && /^-?\d+$/.test(text) ? Number(text) : text;
    if (value !== before) put(patch, f.path, value);
  }
  const oldLabels = (attributes.labels ?? {}) as Record<string, unknown>;
  const named = new Set<string>();
  for (const { name, value } of form.labels) {
    const n = name.trim();
    if (n === "" && value === "") continue;
    named.add(n);
    if (oldLabels[n] !== value) put(patch, ["labels", n], value);
  }
  for (const n of Object.keys(oldLabels)) if (!named.has(n)) put(patch, ["labels", n], null);
  return patch;
}
