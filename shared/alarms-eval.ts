import type { AlarmRule, Comparison } from "./alarms-rules.ts";
import { oldestStamp } from "./fleet-systems.ts";
import { isJsonObject, type JsonValue } from "./json.ts";
import { getAt } from "./json-path.ts";
import { conflictCount, deltaOf, type FleetRecord } from "./query/index.ts";

/**
 * Whether a rule's condition holds for one thing, from the data alone (pure: no clocks, no I/O).
 * `since` is when the condition began when the data says so (presence `since`, metadata stamps), in
 * epoch milliseconds; otherwise the engine counts from when it first saw the condition.
 */
export type Condition = { holds: false } | { holds: true; value?: JsonValue; since?: number };

const NO: Condition = { holds: false };

export function compares(c: Comparison, v: JsonValue | undefined): boolean {
  switch (c.op) {
    case "above":
      return typeof v === "number" && v > c.value;
    case "below":
      return typeof v === "number" && v < c.value;
    case "equals":
      return v === c.value;
    case "notEquals":
      return v !== undefined && v !== c.value;
  }
}

/** A telemetry rule against the latest sample of its metric (undefined: no sample yet). */
export function telemetryCondition(
  rule: AlarmRule,
  latest: { value: number; ts: number } | undefined,
): Condition {
  if (!latest || !rule.compare || !compares(rule.compare, latest.value)) return NO;
  return { holds: true, value: latest.value };
}

/** Every rule kind but telemetry, against the thing's fleet record (undefined: unknown thing). */
export function recordCondition(rule: AlarmRule, r: FleetRecord | undefined): Condition {
  if (!r) return NO;
  switch (rule.kind) {
    case "offline":
      // Unknown (the device's site cannot be reached) is not offline: no alarm storm on a WAN cut.
      return r.presence && !r.presence.connected && !r.presence.unknown
        ? { holds: true, value: false, since: r.presence.since * 1000 }
        : NO;
    case "reported":
      for (const s of Object.values(r.shadows)) {
        const v = getAt(s.reported, rule.path ?? []);
        if (rule.compare && compares(rule.compare, v))
          return { holds: true, ...(v !== undefined ? { value: v } : {}) };
      }
      return NO;
    case "unreachable":
      for (const s of Object.values(r.shadows)) {
        const b = s.reported.$bridge;
        if (isJsonObject(b) && b.reachable === false) {
          const stamp = getAt(s.meta.reported, ["$bridge", "reachable"]);
          return { holds: true, value: false, ...(typeof stamp === "number" ? { since: stamp * 1000 } : {}) };
        }
      }
      return NO;
    case "not-converged": {
      let oldest: number | undefined;
      let pending = false;
      for (const s of Object.values(r.shadows)) {
        const d = deltaOf(s);
        if (Object.keys(d).length === 0) continue;
        pending = true;
        const t = oldestStamp(d, s.meta.desired);
        if (t !== undefined && (oldest === undefined || t < oldest)) oldest = t;
      }
      if (!pending) return NO;
      return { holds: true, ...(oldest !== undefined ? { since: oldest * 1000 } : {}) };
    }
    case "conflicts": {
      let n = 0;
      for (const s of Object.values(r.shadows)) n += conflictCount(s.conflicts);
      return n > 0 ? { holds: true, value: n } : NO;
    }
    case "telemetry":
      return NO;
  }
}
