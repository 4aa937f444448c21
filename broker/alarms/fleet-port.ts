import type { Aedes, AedesPublishPacket } from "aedes";
import type { FleetRecord } from "../../shared/query/index.ts";
import type { Presence } from "../../shared/shadow-document.ts";
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
  /** Adds fields to every level of a system roll-up (`GET /systems/{name}/rollup`); undefined removes. */
  extendRollup(extra: ((system: string) => Record<string, unknown>) | undefined): void;
}

const PRESENCE_TOPIC = "$umbra/things/+/presence";
const PRESENCE = /^\$umbra\/things\/([^/]+)\/presence$/;

/**
 * `broker` carries presence: the fleet index keeps records only for things with a shadow or
 * attributes, and a device that only connects (a host whose agent is down) must still go offline.
 */
export function fleetPort(
  ext: FleetExtension,
  broker: Aedes,
  presenceThings: () => Iterable<string> = () => [],
): FleetPort & { close(): void } {
  const { fleet } = ext;
  const bare = (thing: string, presence: Presence): FleetRecord => ({
    thing,
    attributes: {},
    shadows: {},
    presence,
    systems: [],
  });
  const record = (thing: string): FleetRecord | undefined => {
    const r = fleet.index.get(thing);
    if (r) return r;
    const p = fleet.index.presenceOf(thing);
    return p ? bare(thing, p) : undefined;
  };
  const listeners = new Set<(thing: string, record: FleetRecord | undefined) => void>();
  const onPresence = (packet: AedesPublishPacket, cb: () => void) => {
    const thing = PRESENCE.exec(packet.topic)?.[1];
    try {
      // Things with a record hear of it from the index; the others from here.
      if (thing && packet.payload.length > 0 && !fleet.index.get(thing)) {
        const p = JSON.parse(packet.payload.toString()) as Presence;
        for (const l of listeners) l(thing, bare(thing, p));
      }
    } catch {
      // not a presence document: ignore
    }
    cb();
  };
  broker.subscribe(PRESENCE_TOPIC, onPresence, () => {});
  const stopIndex = fleet.index.subscribe((r, thing) => {
    for (const l of listeners) l(thing, r ?? record(thing));
  });
  return {
    close() {
      stopIndex();
      broker.unsubscribe(PRESENCE_TOPIC, onPresence, () => {});
    },
    record,
    systemsOf(thing) {
      const r = fleet.index.get(thing);
      // A thing known only by its telemetry: membership of its static systems still applies.
      return fleet.systems.membershipOf(r ?? { thing, attributes: {}, shadows: {}, systems: [] });
    },
    // Things with a record, and those known only by their presence (for a full evaluation).
    things: () => new Set([...fleet.index.things(), ...presenceThings()]),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    thingsOf(system) {
      try {
        return fleet.systems.thingsOf(system);
      } catch {
        return new Set();
      }
    },
    extendRollup(extra) {
      // The one line of wiring in the fleet's code: SystemRegistry.rollup spreads `rollupExtra`.
      fleet.systems.rollupExtra = extra;
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
