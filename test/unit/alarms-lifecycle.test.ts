import { describe, expect, it } from "vitest";
import {
  AlarmTransitionError,
  acknowledge,
  clear,
  type Firing,
  fire,
  isShelved,
  shelve,
} from "../../shared/alarms-lifecycle.ts";

const F: Firing = {
  id: "s/r/t",
  system: "s",
  rule: "r",
  thing: "t",
  kind: "offline",
  severity: "major",
  site: "edge",
  summary: "t offline",
};

describe("alarm lifecycle", () => {
  it("raised → acknowledged → cleared, with first/last seen and who acknowledged", () => {
    const raised = fire(undefined, F, 1000);
    expect(raised.event).toEqual({ id: "s/r/t", kind: "raised", ts: 1000 });
    expect(raised.alarm).toMatchObject({ state: "raised", firstSeen: 1000, lastSeen: 1000, fireCount: 1 });
    const still = fire(raised.alarm, F, 5000);
    expect(still.event).toBeUndefined();
    expect(still.alarm).toMatchObject({ state: "raised", lastSeen: 5000, fireCount: 1 });
    const acked = acknowledge(still.alarm, "ops-ann", 6000);
    expect(acked.alarm).toMatchObject({ state: "acknowledged", ackedBy: "ops-ann", ackedAt: 6000 });
    expect(() => acknowledge(acked.alarm, "bob", 7000)).toThrow(AlarmTransitionError);
    const stillAcked = fire(acked.alarm, F, 6500);
    expect(stillAcked.alarm.state).toBe("acknowledged");
    const cleared = clear(stillAcked.alarm, 8000);
    expect(cleared.alarm).toMatchObject({ state: "cleared", clearedAt: 8000, ackedBy: "ops-ann" });
    expect(clear(cleared.alarm, 9000).event).toBeUndefined();
  });

  it("a new raise resets the acknowledgement and counts the fire; five in an hour is flapping", () => {
    let a = acknowledge(fire(undefined, F, 0).alarm, "ann", 1).alarm;
    a = clear(a, 2).alarm;
    a = fire(a, F, 10).alarm;
    expect(a).toMatchObject({ state: "raised", fireCount: 2, firstSeen: 0, raisedAt: 10 });
    expect(a.ackedBy).toBeUndefined();
    expect(a.recentRaises).toEqual([0, 10]);
    for (let t = 20; t <= 50; t += 10) a = fire(clear(a, t - 5).alarm, F, t).alarm;
    expect(a.fireCount).toBe(6);
    // Raise times within the flapping window are kept (the review's "most flapping" counts them).
    expect(a.recentRaises).toEqual([0, 10, 20, 30, 40, 50]);
    a = fire(clear(a, 55).alarm, F, 60 + 3_600_000).alarm;
    expect(a.recentRaises).toEqual([60 + 3_600_000]);
  });

  it("shelving lasts until its time; a zero shelve unshelves; cleared alarms may be acknowledged", () => {
    const a = fire(undefined, F, 0).alarm;
    const s = shelve(a, 10_000, "ann", 0);
    expect(s.event?.kind).toBe("shelved");
    expect(isShelved(s.alarm, 5000)).toBe(true);
    expect(isShelved(s.alarm, 10_001)).toBe(false);
    const u = shelve(s.alarm, 0, "ann", 100);
    expect(u.event?.kind).toBe("unshelved");
    expect(u.alarm.shelvedUntil).toBeUndefined();
    const c = acknowledge(clear(a, 5).alarm, "bob", 6);
    expect(c.alarm).toMatchObject({ state: "cleared", ackedBy: "bob" });
  });
});
