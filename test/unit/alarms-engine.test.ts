import { describe, expect, it } from "vitest";
import { AlarmEngine } from "../../broker/alarms/alarm-engine.ts";
import { AlarmStore } from "../../broker/alarms/alarm-store.ts";
import type { Alarm, AlarmEvent } from "../../shared/alarms-lifecycle.ts";
import { parseRulesFile } from "../../shared/alarms-rules.ts";
import type { JsonObject } from "../../shared/json.ts";
import type { FleetRecord } from "../../shared/query/index.ts";
import type { Presence } from "../../shared/shadow-document.ts";
import { memoryDb } from "../helpers/memory-db.ts";

const RULES = `system: rack
rules:
  - { name: hot, kind: telemetry, metric: temp, above: 40, for: 1m }
  - { name: fan, kind: reported, path: fan.state, equals: failed }
  - { name: offline, kind: offline, for: 2m }
  - { name: unreachable, kind: unreachable }
  - { name: drift, kind: not-converged, for: 10m }
  - { name: conflicts, kind: conflicts }
`;

function record(
  thing: string,
  s: {
    desired?: JsonObject;
    reported?: JsonObject;
    metaDesired?: JsonObject;
    metaReported?: JsonObject;
    conflicts?: JsonObject;
    presence?: Presence;
  },
): FleetRecord {
  return {
    thing,
    attributes: {},
    shadows: {
      "": {
        version: 1,
        desired: s.desired ?? {},
        reported: s.reported ?? {},
        meta: { desired: s.metaDesired ?? {}, reported: s.metaReported ?? {} },
        ...(s.conflicts ? { conflicts: { desired: s.conflicts } } : {}),
      },
    },
    ...(s.presence ? { presence: s.presence } : {}),
    systems: ["rack"],
  };
}

function harness() {
  let now = 1_800_000_000_000;
  const db = memoryDb();
  const store = new AlarmStore(db);
  const events: AlarmEvent[] = [];
  const records = new Map<string, FleetRecord>();
  const engine = new AlarmEngine(
    store,
    {
      record: (t) => records.get(t),
      systemsOf: (t) => (t.startsWith("outside") ? [] : ["rack"]),
      things: () => records.keys(),
    },
    {
      site: "edge",
      now: () => now,
      latest: () => ({}),
      changed: (_a: Alarm, e: AlarmEvent) => events.push(e),
    },
  );
  const parsed = parseRulesFile("rack.yaml", RULES);
  expect(parsed.problems).toEqual([]);
  engine.setRules(parsed.rules);
  return {
    engine,
    store,
    events,
    db,
    advance(ms: number) {
      now += ms;
      engine.tick();
    },
    get now() {
      return now;
    },
    set(thing: string, r: FleetRecord) {
      records.set(thing, r);
      engine.thingChanged(thing, r);
    },
    kinds: () => events.map((e) => `${e.kind} ${e.id}`),
  };
}

describe("alarm engine: each rule kind raises and clears", () => {
  it("telemetry above a threshold for a duration", () => {
    const h = harness();
    h.engine.samples("pdu-1", [{ metric: "temp", value: 45, ts: h.now }]);
    h.advance(30_000);
    expect(h.events).toEqual([]);
    h.advance(31_000);
    expect(h.kinds()).toEqual(["raised rack/hot/pdu-1"]);
    expect(h.store.get("rack/hot/pdu-1")).toMatchObject({
      state: "raised",
      value: 45,
      fireCount: 1,
      site: "edge",
    });
    h.engine.samples("pdu-1", [{ metric: "temp", value: 30, ts: h.now }]);
    expect(h.kinds()).toEqual(["raised rack/hot/pdu-1", "cleared rack/hot/pdu-1"]);
  });

  it("a dip below the threshold restarts the duration; things outside the system are not evaluated", () => {
    const h = harness();
    h.engine.samples("pdu-1", [{ metric: "temp", value: 45, ts: h.now }]);
    h.engine.samples("outside-1", [{ metric: "temp", value: 99, ts: h.now }]);
    h.advance(50_000);
    h.engine.samples("pdu-1", [{ metric: "temp", value: 39, ts: h.now }]);
    h.engine.samples("pdu-1", [{ metric: "temp", value: 41, ts: h.now }]);
    h.advance(50_000);
    expect(h.events).toEqual([]);
    h.advance(11_000);
    expect(h.kinds()).toEqual(["raised rack/hot/pdu-1"]);
  });

  it("reported values, unreachable bridges and conflicts at once, cleared when the data says so", () => {
    const h = harness();
    h.set(
      "dev",
      record("dev", {
        reported: { fan: { state: "failed" }, $bridge: { reachable: false } },
        conflicts: { mode: "eco" },
      }),
    );
    expect(h.kinds().sort()).toEqual([
      "raised rack/conflicts/dev",
      "raised rack/fan/dev",
      "raised rack/unreachable/dev",
    ]);
    h.set("dev", record("dev", { reported: { fan: { state: "ok" }, $bridge: { reachable: true } } }));
    expect(
      h
        .kinds()
        .filter((k) => k.startsWith("cleared"))
        .sort(),
    ).toEqual(["cleared rack/conflicts/dev", "cleared rack/fan/dev", "cleared rack/unreachable/dev"]);
  });

  it("offline counts from the presence's since; not-converged from the desired timestamp", () => {
    const h = harness();
    const sec = Math.floor(h.now / 1000);
    h.set("host", record("host", { presence: { connected: false, since: sec - 200, site: "edge" } }));
    expect(h.kinds()).toEqual(["raised rack/offline/host"]);
    h.set("host", record("host", { presence: { connected: true, since: sec, site: "edge" } }));
    h.set(
      "sw",
      record("sw", { desired: { vlan: 7 }, reported: { vlan: 5 }, metaDesired: { vlan: sec - 60 } }),
    );
    h.advance(1000);
    expect(h.kinds()).toEqual(["raised rack/offline/host", "cleared rack/offline/host"]);
    h.advance(9 * 60_000);
    expect(h.kinds()).toContain("raised rack/drift/sw");
    h.set("sw", record("sw", { desired: { vlan: 7 }, reported: { vlan: 7 } }));
    expect(h.kinds()).toContain("cleared rack/drift/sw");
  });

  it("a raise after a clear is the same alarm with a higher fire count, and flapping shows", () => {
    const h = harness();
    for (let i = 0; i < 5; i++) {
      h.set("dev", record("dev", { reported: { fan: { state: "failed" } } }));
      h.advance(60_000);
      h.set("dev", record("dev", { reported: { fan: { state: "ok" } } }));
    }
    const a = h.store.get("rack/fan/dev");
    expect(a?.fireCount).toBe(5);
    expect(a?.recentRaises).toHaveLength(5);
    expect(a?.state).toBe("cleared");
    expect(h.store.eventsSince(0, "rack").filter((e) => e.kind === "raised")).toHaveLength(5);
  });

  it("removing a rule clears its open alarms; a manual clear is not undone while the condition holds", () => {
    const h = harness();
    h.set("dev", record("dev", { reported: { fan: { state: "failed" }, $bridge: { reachable: false } } }));
    h.engine.latch("rack/fan/dev");
    h.set("dev", record("dev", { reported: { fan: { state: "failed" }, $bridge: { reachable: false } } }));
    expect(h.kinds().filter((k) => k.includes("fan"))).toEqual(["raised rack/fan/dev"]);
    h.engine.setRules(
      parseRulesFile(
        "r.yaml",
        "system: rack\nrules:\n  - { name: fan, kind: reported, path: fan.state, equals: failed }\n",
      ).rules,
    );
    expect(h.store.get("rack/unreachable/dev")?.state).toBe("cleared");
  });

  it("alarms survive a new store on the same database (a restart)", () => {
    const h = harness();
    h.set("dev", record("dev", { reported: { fan: { state: "failed" } } }));
    const again = new AlarmStore(h.db);
    expect(again.get("rack/fan/dev")).toEqual(h.store.get("rack/fan/dev"));
  });
});
