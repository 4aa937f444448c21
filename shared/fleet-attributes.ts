import { isJsonObject, type JsonObject, type JsonValue, jsonByteLength } from "./json.ts";

/**
 * A thing's inventory attributes (docs/fleet.md): what it is and where. Known keys are typed; free
 * labels go under `labels` (string values). Validated here so every face (HTTP, MQTT, CLI) refuses the
 * same input with the same message.
 */
export interface ThingAttributes {
  type?: string;
  vendor?: string;
  model?: string;
  serial?: string;
  owner?: string;
  location?: { site?: string; room?: string; row?: string; rack?: string; unit?: number };
  labels?: Record<string, string>;
}

export const MAX_ATTRIBUTE_BYTES = 8192;
const STRING_KEYS = ["type", "vendor", "model", "serial", "owner"] as const;
const LOCATION_STRINGS = ["site", "room", "row", "rack"] as const;
const LABEL_KEY = /^[A-Za-z0-9_.:-]{1,64}$/;

export class AttributeError extends Error {
  readonly code = "attributes_invalid";
}

function checkString(v: JsonValue | undefined, where: string): void {
  if (v !== undefined && v !== null && (typeof v !== "string" || v.length > 256)) {
    throw new AttributeError(`${where} must be a string of at most 256 characters`);
  }
}

/**
 * Validates an attributes document or a patch (`patch`: null deletes a key). Returns it unchanged;
 * throws AttributeError naming the offending key.
 */
export function validateAttributes(value: JsonValue, patch: boolean): JsonObject {
  if (!isJsonObject(value)) throw new AttributeError("attributes must be a JSON object");
  for (const [k, v] of Object.entries(value)) {
    if (v === null) {
      if (!patch) throw new AttributeError(`${k}: null deletes a key and is only allowed in a PATCH`);
      continue;
    }
    if ((STRING_KEYS as readonly string[]).includes(k)) checkString(v, k);
    else if (k === "location") {
      if (!isJsonObject(v))
        throw new AttributeError("location must be an object {site, room, row, rack, unit}");
      for (const [lk, lv] of Object.entries(v)) {
        if ((LOCATION_STRINGS as readonly string[]).includes(lk)) checkString(lv, `location.${lk}`);
        else if (lk === "unit") {
          if (lv !== null && (typeof lv !== "number" || !Number.isInteger(lv) || lv < 0 || lv > 1000)) {
            throw new AttributeError("location.unit must be an integer from 0 to 1000 (rack unit)");
          }
        } else
          throw new AttributeError(`location.${lk} is not a location field (site, room, row, rack, unit)`);
        if (lv === null && !patch)
          throw new AttributeError(`location.${lk}: null is only allowed in a PATCH`);
      }
    } else if (k === "labels") {
      if (!isJsonObject(v)) throw new AttributeError("labels must be an object of strings");
      for (const [lk, lv] of Object.entries(v)) {
        if (!LABEL_KEY.test(lk))
          throw new AttributeError(`labels.${lk}: a label name is 1-64 of [A-Za-z0-9_.:-]`);
        if (lv === null && !patch) throw new AttributeError(`labels.${lk}: null is only allowed in a PATCH`);
        checkString(lv, `labels.${lk}`);
      }
    } else {
      throw new AttributeError(
        `unknown attribute '${k}': use type, vendor, model, serial, owner, location or labels {name: value}`,
      );
    }
  }
  if (jsonByteLength(value) > MAX_ATTRIBUTE_BYTES) {
    throw new AttributeError(`attributes larger than ${MAX_ATTRIBUTE_BYTES} bytes`);
  }
  return value;
}

/** Applies a validated patch: objects merge, null deletes, empty objects disappear. */
export function mergeAttributes(base: JsonObject, patch: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (isJsonObject(v)) {
      const merged = mergeAttributes(isJsonObject(out[k]) ? (out[k] as JsonObject) : {}, v);
      if (Object.keys(merged).length > 0) out[k] = merged;
      else delete out[k];
    } else out[k] = v;
  }
  return out;
}
