import { createHash } from "node:crypto";
import type * as A from "@automerge/automerge";
import { isJsonObject, type JsonObject, type JsonValue } from "../../shared/json.ts";

/**
 * The base change of a shadow's epoch `n >= 1` (docs/shadow-engine.md): one change on top of the
 * pinned skeleton that holds the state at the cut and nothing of the history before it. Everything in
 * it is a function of (shadow key, epoch, state): a fixed actor derived from key and epoch, time 0, no
 * message, keys in sorted order, containers built element by element. Two sites cutting the same
 * state therefore produce byte-identical changes with the same hash, and later changes merge.
 */
type RawDoc = ReturnType<typeof A.getBackend>;
type ObjId = string;

/** The state a base is cut from (the plain view of the shadow at the cut). */
export interface EpochState {
  exists: boolean;
  version: number;
  desired: JsonObject;
  reported: JsonObject;
}

/** The actor of epoch `epoch`'s base change of shadow `key`: 32 hex chars, the same at every site. */
export function epochActor(key: string, epoch: number): string {
  return createHash("sha256").update(`umbra-epoch:${key}:${epoch}`).digest("hex").slice(0, 32);
}

/**
 * Writes the base change into `raw`, a fresh clone of the skeleton whose actor is `epochActor(key,
 * epoch)`, and commits it. `roots` are the skeleton's `desired`/`reported` map ids.
 */
export function writeBase(
  raw: RawDoc,
  roots: { desired: ObjId; reported: ObjId },
  epoch: number,
  state: EpochState,
  message: string | null = null,
): void {
  raw.put("/", "deleted", !state.exists);
  raw.put("/", "epoch", epoch);
  // A counter of its own whose initial value is the version at the cut: later increments continue it.
  raw.put("/", "version", state.version, "counter");
  for (const key of sortedKeys(state.desired)) putSorted(raw, roots.desired, key, state.desired[key]);
  for (const key of sortedKeys(state.reported)) putSorted(raw, roots.reported, key, state.reported[key]);
  // Local cuts write no message (byte-identical bases); agreed cuts record the cut (epoch-carry.ts).
  raw.commit(message, 0);
}

/** Code-point order, independent of locale and of the object's insertion order. */
function sortedKeys(obj: JsonObject): string[] {
  return Object.keys(obj).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Integers beyond the safe range are stored as f64 (as local writes do: see value-writer.ts putValue). */
function datatype(value: JsonValue): "f64" | undefined {
  return typeof value === "number" && Number.isInteger(value) && !Number.isSafeInteger(value)
    ? "f64"
    : undefined;
}

function putSorted(raw: RawDoc, obj: ObjId, key: string, value: JsonValue | undefined): void {
  if (value === undefined) return;
  if (isJsonObject(value)) {
    const child = raw.putObject(obj, key, {} as never) as ObjId;
    for (const k of sortedKeys(value)) putSorted(raw, child, k, value[k]);
  } else if (Array.isArray(value)) {
    const child = raw.putObject(obj, key, [] as never) as ObjId;
    for (const [i, v] of value.entries()) insertSorted(raw, child, i, v);
  } else {
    raw.put(obj, key, value as never, datatype(value));
  }
}

function insertSorted(raw: RawDoc, list: ObjId, index: number, value: JsonValue): void {
  if (isJsonObject(value)) {
    const child = raw.insertObject(list, index, {} as never) as ObjId;
    for (const k of sortedKeys(value)) putSorted(raw, child, k, value[k]);
  } else if (Array.isArray(value)) {
    const child = raw.insertObject(list, index, [] as never) as ObjId;
    for (const [i, v] of value.entries()) insertSorted(raw, child, i, v);
  } else {
    raw.insert(list, index, value as never, datatype(value));
  }
}
