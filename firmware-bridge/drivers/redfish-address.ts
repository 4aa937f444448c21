import { DriverError, type PointSpec, type RawValue } from "../types.ts";

/**
 * The Redfish point address of a profile, and the pure helpers around it: resolving a resource path,
 * walking JSON pointers (RFC 6901), expanding table rows, building PATCH bodies, and mapping a desired
 * power state to a `ResetType`. No I/O here, so all of it is unit-testable without a BMC.
 *
 * Profile examples:
 *   { resource: "Systems/1", pointer: "/PowerState", write: "reset" }
 *   { resource: "Chassis/1/Power", pointer: "/PowerControl/0/PowerConsumedWatts" }
 *   { resource: "Chassis/1/Thermal", table: "/Temperatures", pointer: "/ReadingCelsius", key: "/MemberId" }
 *   { resource: "Systems/1", pointer: "/AssetTag", write: "patch" }
 */
export interface RedfishAddress {
  /** Absolute resource path, e.g. `/redfish/v1/Systems/1` (profiles may omit the `/redfish/v1/` prefix). */
  resource: string;
  /** JSON pointer of the value inside the resource (inside each row for table points). */
  pointer: string;
  /** JSON pointer of an array: one reading per element, `{index}` of the point path filled from `key`. */
  table?: string;
  /** JSON pointer, inside a row, of the row's index; default the element's position in the array. */
  key?: string;
  /** A missing property gives no reading instead of an error (e.g. SerialNumber on some BMCs). */
  optional?: boolean;
  /** How a desired value is written: `patch` the property, or run the `reset` action. */
  write?: "patch" | "reset";
  /** For `reset`: the action name in the resource's `Actions`; default `#ComputerSystem.Reset`. */
  action?: string;
  /** For `reset`: raw value → ResetType; default maps On → On, Off → ForceOff, others pass through. */
  resetTypes?: Record<string, string>;
}

const ROOT = "/redfish/v1";

export function parseRedfishAddress(point: PointSpec): RedfishAddress {
  const a = point.address;
  const where = `Redfish point ${point.path}`;
  const str = (name: string, required: boolean): string | undefined => {
    const v = a[name];
    if (v === undefined && !required) return undefined;
    if (typeof v !== "string" || v === "")
      throw new DriverError("refused", `${where}: address.${name} must be a string`);
    return v;
  };
  const resource = resourcePath(str("resource", true) ?? "");
  const pointer = str("pointer", true) ?? "";
  const table = str("table", false);
  const key = str("key", false);
  for (const p of [pointer, table, key]) {
    if (p !== undefined && !p.startsWith("/")) {
      throw new DriverError("refused", `${where}: JSON pointer "${p}" must start with "/"`);
    }
  }
  if (table !== undefined && !point.path.includes("{index}")) {
    throw new DriverError("refused", `${where}: a table point needs {index} in its path`);
  }
  const write = a.write;
  if (write !== undefined && write !== "patch" && write !== "reset") {
    throw new DriverError("refused", `${where}: address.write must be "patch" or "reset"`);
  }
  const resetTypes = a.resetTypes;
  if (resetTypes !== undefined && (typeof resetTypes !== "object" || resetTypes === null)) {
    throw new DriverError("refused", `${where}: address.resetTypes must be a map of value → ResetType`);
  }
  return {
    resource,
    pointer,
    table,
    key,
    write,
    optional: a.optional === true,
    action: str("action", false),
    resetTypes: resetTypes as Record<string, string> | undefined,
  };
}

/**
 * `Systems/1` → `/redfish/v1/Systems/1`; absolute `/redfish/v1/...` paths are kept. Profiles may write
 * `{system}` and `{chassis}`, filled from the device options `systemId` / `chassisId` (default `1`),
 * because vendors name them differently (iDRAC `System.Embedded.1`, OpenBMC `system`/`chassis`).
 */
export function resourcePath(resource: string): string {
  const trimmed = resource.replace(/\/+$/, "");
  if (trimmed.startsWith(`${ROOT}/`) || trimmed === ROOT) return trimmed;
  return `${ROOT}/${trimmed.replace(/^\/+/, "")}`;
}

/** RFC 6901 pointer tokens. */
function tokens(pointer: string): string[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** The value at `pointer` in `doc`, or undefined when any step is missing. */
export function getPointer(doc: unknown, pointer: string): unknown {
  let cur: unknown = doc;
  for (const t of tokens(pointer)) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (cur !== null && typeof cur === "object") cur = (cur as Record<string, unknown>)[t];
    else return undefined;
  }
  return cur;
}

/** A JSON value as a driver reading: primitives only (objects and arrays are profile mistakes). */
export function toRaw(value: unknown): RawValue | undefined {
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "string") return value;
  return undefined;
}

/** Table rows: `[index, row]` pairs; the index is the row's `key` value or its position. */
export function tableRows(doc: unknown, addr: RedfishAddress): [string, unknown][] {
  const rows = getPointer(doc, addr.table ?? "");
  if (!Array.isArray(rows)) return [];
  return rows.map((row, i) => {
    const k = addr.key === undefined ? undefined : toRaw(getPointer(row, addr.key));
    return [k === undefined ? String(i) : rowIndex(String(k)), row];
  });
}

/** `{ a: { b: value } }` for pointer `/a/b`: the PATCH body that sets one property. */
export function patchBody(pointer: string, value: RawValue): Record<string, unknown> {
  const ts = tokens(pointer);
  if (ts.length === 0) throw new DriverError("refused", "cannot PATCH the whole resource (empty pointer)");
  if (ts.some((t) => /^\d+$/.test(t))) {
    // Redfish PATCH of arrays replaces the whole array; writing one element needs the others too.
    throw new DriverError("refused", `cannot PATCH array element ${pointer}; point at an object property`);
  }
  let body: unknown = typeof value === "bigint" ? Number(value) : value;
  for (const t of ts.reverse()) body = { [t]: body };
  return body as Record<string, unknown>;
}

/** Desired raw value → `ResetType`: the profile's map first, then On/Off defaults, then as-is. */
export function resetTypeFor(addr: RedfishAddress, value: RawValue): string {
  const v = String(value);
  const mapped = addr.resetTypes?.[v];
  if (mapped !== undefined) return mapped;
  if (v === "On") return "On";
  if (v === "Off") return "ForceOff";
  return v;
}

/** A row key as a shadow path segment: "CPU1 Temp" → "CPU1_Temp". */
export function rowIndex(key: string): string {
  return key.trim().replace(/[^A-Za-z0-9_-]+/g, "_") || "_";
}

/** Fills `{system}` / `{chassis}` in a resource path. */
export function fillIds(resource: string, ids: { system: string; chassis: string }): string {
  return resource.replaceAll("{system}", ids.system).replaceAll("{chassis}", ids.chassis);
}

/** The point path with `{index}` replaced by a row index. */
export function expandPath(path: string, index: string): string {
  return path.replaceAll("{index}", index);
}
