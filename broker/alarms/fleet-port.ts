import type { FleetRecord } from "../../shared/query/index.ts";
import type { FleetExtension } from "../fleet/extension.ts";
import type { AlarmScope } from "./alarm-engine.ts";

/**
 * The alarms capability's one window on the fleet (issue 13's public API): records, membership, the
 * index's change listener, and things below a system. Everything the alarms code knows of the fleet
 * goes through here, so a change in the fleet's code is a change in this file only.
 */
export interface FleetPort extends AlarmScope {
  /** Calls `listener` after every change of a thing's record; returns the unsubscribe. */
  subscribe(listener: (thing: string, record: FleetRecord | undefined) => void): () => void;
  /** Distinct things below a system (static, dynamic, subsystems); empty for an unknown system. */
  thingsOf(system: string): ReadonlySet<string>;
  /** Whether a system of that name exists. */
  systemExists(system: string): boolean;
}

export function fleetPort(ext: FleetExtension): FleetPort {
  const { fleet } = ext;
  return {
    record: (thing) => fleet.index.get(thing),
    systemsOf(thing) {
      const r = fleet.index.get(thing);
      // A thing known only by its telemetry: membership of its static systems still applies.
      return fleet.systems.membershipOf(r ?? { thing, attributes: {}, shadows: {}, systems: [] });
    },
    things: () => fleet.index.things(),
    subscribe: (listener) => fleet.index.subscribe((r, thing) => listener(thing, r)),
    thingsOf(system) {
      try {
        return fleet.systems.thingsOf(system);
      } catch {
        return new Set();
      }
    },
    systemExists(system) {
      try {
        fleet.systems.get(system);
        return true;
      } catch {
        return false;
      }
    },
  };
}
