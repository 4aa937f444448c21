import { isJsonObject, type JsonObject, type JsonValue } from "../../shared/json.ts";
import type { Presence, ShadowDocument } from "../../shared/shadow-document.ts";

/** One row of the console's fleet table: what an operator scans for (see docs/console.md). */
export interface ThingSummary {
  thing: string;
  /** Names of the thing's named shadows (the classic shadow is `classic`). */
  shadows: string[];
  classic: boolean;
  version?: number;
  /** Leaves of the classic shadow's delta (desired values the device has not reported yet). */
  deltaLeaves: number;
  /** Leaves with losing values of concurrent writes at different sites. */
  conflictLeaves: number;
  /** Epoch seconds of the newest reported leaf, if any. */
  lastReport?: number;
  connection?: Presence;
}

/** Number of leaves (non-object values) in a JSON object tree. */
export function countLeaves(value: JsonValue | undefined): number {
  if (!isJsonObject(value)) return value === undefined ? 0 : 1;
  let n = 0;
  for (const v of Object.values(value)) n += countLeaves(v);
  return n;
}

/** The newest `timestamp` in an AWS metadata tree (`{key: {timestamp}}` at the leaves). */
export function newestTimestamp(meta: JsonObject | undefined): number | undefined {
  if (!meta) return undefined;
  let newest: number | undefined;
  for (const [k, v] of Object.entries(meta)) {
    const t =
      k === "timestamp" && typeof v === "number" ? v : isJsonObject(v) ? newestTimestamp(v) : undefined;
    if (t !== undefined && (newest === undefined || t > newest)) newest = t;
  }
  return newest;
}

/** The fleet-table figures of one rendered classic shadow document. */
export function summariseShadow(
  doc: ShadowDocument,
): Pick<ThingSummary, "version" | "deltaLeaves" | "conflictLeaves" | "lastReport"> {
  const conflicts = doc.conflicts
    ? countLeaves(doc.conflicts.desired) + countLeaves(doc.conflicts.reported)
    : 0;
  const out: ReturnType<typeof summariseShadow> = {
    version: doc.version,
    deltaLeaves: countLeaves(doc.state.delta),
    conflictLeaves: conflicts,
  };
  const last = newestTimestamp(doc.metadata.reported);
  if (last !== undefined) out.lastReport = last;
  return out;
}
