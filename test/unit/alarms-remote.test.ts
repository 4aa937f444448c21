import { describe, expect, it } from "vitest";
import { AlarmStore } from "../../broker/alarms/alarm-store.ts";
import { acceptRemoteAlarm } from "../../broker/alarms/remote.ts";
import { acknowledge, clear, type Firing, fire } from "../../shared/alarms-lifecycle.ts";
import { createLogger } from "../../shared/logger.ts";
import { memoryDb } from "../helpers/memory-db.ts";

const F: Firing = {
  id: "s/r/t",
  system: "s",
  rule: "r",
  thing: "t",
  kind: "offline",
  severity: "major",
  site: "edge",
  summary: "x",
};
const log = createLogger("silent");
const topic = "umbra/alarms/edge/s/r/t";
const buf = (v: unknown) => Buffer.from(JSON.stringify(v));

describe("alarms relayed from a child site", () => {
  it("keeps them with their site, records what happened, ignores stale and foreign records", () => {
    const store = new AlarmStore(memoryDb());
    // As the edge's store would number them.
    const raised = { ...fire(undefined, F, 1000).alarm, rev: 1 };
    const acked = { ...acknowledge(raised, "ann", 2000).alarm, rev: 2 };
    const cleared = { ...clear(acked, 3000).alarm, rev: 3 };
    expect(acceptRemoteAlarm(store, "core", topic, buf(raised), log)).toBe(true);
    expect(acceptRemoteAlarm(store, "core", topic, buf(cleared), log)).toBe(true);
    // A resend of an older record after a reconnect changes nothing.
    expect(acceptRemoteAlarm(store, "core", topic, buf(raised), log)).toBe(false);
    expect(store.get("s/r/t")).toMatchObject({ state: "cleared", site: "edge", ackedBy: "ann" });
    expect(store.eventsSince(0).map((e) => e.kind)).toEqual(["raised", "acknowledged", "cleared"]);
    // Our own feed, removals of retained copies, a topic that disagrees with the record, garbage.
    expect(acceptRemoteAlarm(store, "edge", topic, buf(raised), log)).toBe(false);
    expect(acceptRemoteAlarm(store, "core", topic, Buffer.alloc(0), log)).toBe(false);
    expect(acceptRemoteAlarm(store, "core", "umbra/alarms/other/s/r/t", buf(raised), log)).toBe(false);
    expect(acceptRemoteAlarm(store, "core", topic, Buffer.from("{"), log)).toBe(false);
  });
});
