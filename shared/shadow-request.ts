import { ShadowError } from "./errors.ts";
import { isJsonObject, type JsonObject, type JsonValue, objectDepth } from "./json.ts";
import type { ShadowLimits } from "./limits.ts";

/** A validated `update` request. `null` for a section deletes the whole section. */
export interface UpdateRequest {
  desired?: JsonObject | null;
  reported?: JsonObject | null;
  version?: number;
  clientToken?: string;
}

/** A validated `get` or `delete` request. */
export interface PlainRequest {
  version?: number;
  clientToken?: string;
}

/**
 * Parses a request payload into a JSON object. An empty payload is `{}` (AWS accepts an empty get/delete).
 * Throws 413 for an oversize payload and 400 for anything that is not a JSON object.
 */
export function parseRequestPayload(payload: Uint8Array | string, limits: ShadowLimits): JsonObject {
  const size = typeof payload === "string" ? Buffer.byteLength(payload) : payload.byteLength;
  if (size > limits.maxRequestBytes) {
    throw new ShadowError(
      413,
      `The payload exceeds the maximum size allowed (${limits.maxRequestBytes} bytes)`,
    );
  }
  if (size === 0) return {};
  const text = typeof payload === "string" ? payload : decodeUtf8(payload);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ShadowError(400, "Payload contains invalid json");
  }
  if (!isJsonObject(parsed as JsonValue)) throw new ShadowError(400, "Payload must be a JSON object");
  return parsed as JsonObject;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new ShadowError(400, "Payload contains invalid json (not UTF-8)");
  }
}

/** The clientToken to echo, or undefined when absent or invalid (an invalid token is never echoed). */
export function clientTokenOf(body: JsonObject, limits: ShadowLimits): string | undefined {
  const token = body.clientToken;
  if (typeof token !== "string" || Buffer.byteLength(token) > limits.maxClientTokenBytes) return undefined;
  return token;
}

function validateCommon(body: JsonObject, limits: ShadowLimits): PlainRequest {
  const out: PlainRequest = {};
  if (body.clientToken !== undefined) {
    const token = clientTokenOf(body, limits);
    if (token === undefined) {
      throw new ShadowError(
        400,
        `Invalid clientToken: must be a string of at most ${limits.maxClientTokenBytes} bytes`,
      );
    }
    out.clientToken = token;
  }
  if (body.version !== undefined) {
    const v = body.version;
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
      throw new ShadowError(400, "Invalid version: must be a non-negative integer");
    }
    out.version = v;
  }
  return out;
}

export function validatePlainRequest(body: JsonObject, limits: ShadowLimits): PlainRequest {
  return validateCommon(body, limits);
}

export function validateUpdateRequest(body: JsonObject, limits: ShadowLimits): UpdateRequest {
  const out: UpdateRequest = validateCommon(body, limits);
  const state = body.state;
  if (state === undefined || state === null) throw new ShadowError(400, "Missing required node: state");
  if (!isJsonObject(state)) throw new ShadowError(400, "State node must be an object");
  for (const key of Object.keys(state)) {
    if (key !== "desired" && key !== "reported") {
      throw new ShadowError(400, `State contains an invalid node: '${key}'`);
    }
  }
  if (!("desired" in state) && !("reported" in state)) {
    throw new ShadowError(400, "State node must contain desired or reported");
  }
  for (const section of ["desired", "reported"] as const) {
    if (!(section in state)) continue;
    const value = state[section];
    if (value === null) {
      out[section] = null;
      continue;
    }
    if (!isJsonObject(value as JsonValue)) {
      throw new ShadowError(400, `${section === "desired" ? "Desired" : "Reported"} node must be an object`);
    }
    const obj = value as JsonObject;
    if (objectDepth(obj, limits.maxDepth) > limits.maxDepth) {
      throw new ShadowError(400, `JSON contains too many levels of nesting; maximum is ${limits.maxDepth}`);
    }
    if (!nodesValid(obj)) checkNodes(obj, section);
    out[section] = obj;
  }
  return out;
}

/** The rule of checkNodes without building paths (the common case: every update is valid). */
function nodesValid(value: JsonValue): boolean {
  if (Array.isArray(value)) {
    for (const item of value) if (item === null || !nodesValid(item)) return false;
  } else if (isJsonObject(value)) {
    for (const k in value) if (k === "__proto__" || !nodesValid(value[k] as JsonValue)) return false;
  }
  return true;
}

/**
 * No null inside arrays, and no `__proto__` key: JSON.parse makes it an own key, but the merge code reads
 * `current[key]`, which for `__proto__` is Object.prototype, and a write through it polluted every object.
 */
function checkNodes(value: JsonValue, path: string): void {
  if (Array.isArray(value)) {
    for (const item of value) {
      if (item === null) throw new ShadowError(400, `Arrays may not contain null (at ${path})`);
      checkNodes(item, path);
    }
  } else if (isJsonObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (k === "__proto__") {
        throw new ShadowError(400, `State contains an invalid key: '__proto__' (at ${path})`);
      }
      checkNodes(v, `${path}.${k}`);
    }
  }
}
