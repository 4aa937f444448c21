import { describe, expect, it } from "vitest";
import { countAlarmsByThing } from "../../broker/alarms/counts.ts";
import type { Alarm } from "../../shared/alarms-lifecycle.ts";
import type { Severity } from "../../shared/alarms-rules.ts";
import { compileQuery, type FleetRecord, parseQuery, QueryError } from "../../shared/query/index.ts";

const alarm = (thing: string, severity: Severity, state: Alarm["state"], extra: Partial<Alarm> = {}): Alarm =>
  ({
    id: `sys/rule-${severity}-${state}/${thing}`,
    system: "sys",
    rule: `rule-${severity}-${state}`,
    thing,
    kind: "threshold",
    severity,
    site: "core",
    state,
    summary: "",
    firstSeen: 0,
    lastSeen: 0,
    raisedAt: 0,
    fireCount: 1,
    recentRaises: [],
    ...extra,
  }) as Alarm;

describe("fleet query: alarms", () => {
  it("parses the alarms root", () => {
    expect(parseQuery("alarms.open > 0")).toEqual({
      type: "cmp",
      field: ["alarms", "open"],
      op: ">",
      value: { kind: "number", value: 0, text: "0" },
    });
    expect(() => parseQuery("alarm.open > 0")).toThrow(QueryError);
  });

  it("counts open alarms per thing and evaluates alarms.* over them", () => {
    const now = 1000;
    const counts = countAlarmsByThing(
      [
        alarm("a", "critical", "raised"),
        alarm("a", "minor", "acknowledged", { shelvedUntil: now + 1 }),
        alarm("a", "major", "cleared"),
        alarm("b", "minor", "acknowledged", { shelvedUntil: now - 1 }),
        alarm("c", "critical", "cleared"),
      ],
      now,
    );
    expect(counts.get("a")).toMatchObject({ open: 2, unacknowledged: 1, shelved: 1 });
    expect(counts.get("a")?.bySeverity).toMatchObject({ critical: 1, minor: 1, major: 0 });
    expect(counts.get("b")).toMatchObject({ open: 1, unacknowledged: 0, shelved: 0 });
    expect(counts.has("c")).toBe(false);

    const records: FleetRecord[] = ["a", "b", "c"].map((thing) => {
      const a = counts.get(thing);
      return { thing, attributes: {}, shadows: {}, systems: [], ...(a ? { alarms: a } : {}) };
    });
    const matching = (q: string) => records.filter(compileQuery(parseQuery(q))).map((r) => r.thing);
    expect(matching("alarms.open > 0")).toEqual(["a", "b"]);
    expect(matching("alarms.open:0")).toEqual(["c"]);
    expect(matching("alarms.bySeverity.critical >= 1")).toEqual(["a"]);
    expect(matching("alarms.unacknowledged:0 AND alarms.open > 0")).toEqual(["b"]);
    expect(matching("alarms.shelved:1")).toEqual(["a"]);
    expect(matching("alarms.nothing:*")).toEqual([]);
  });
});
