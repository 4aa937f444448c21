import type { JsonObject } from "../../shared/json.ts";
import { deltaOf, type FleetRecord } from "../../shared/query/index.ts";

/** A record as the API shows it (stream events): attributes, presence, systems, each shadow's state. */
export function recordJson(r: FleetRecord): JsonObject {
  const shadows: JsonObject = {};
  for (const [name, s] of Object.entries(r.shadows)) {
    const d = deltaOf(s);
    const state: JsonObject = { desired: s.desired, reported: s.reported };
    if (Object.keys(d).length > 0) state.delta = d;
    shadows[name] = {
      state,
      version: s.version,
      ...(s.conflicts ? { conflicts: s.conflicts as JsonObject } : {}),
    };
  }
  const out: JsonObject = { thingName: r.thing, attributes: r.attributes, shadows, systems: [...r.systems] };
  if (r.presence) out.connectivity = { ...r.presence };
  return out;
}
