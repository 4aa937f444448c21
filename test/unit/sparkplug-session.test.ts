import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { SparkplugMetric } from "../../broker/sparkplug/codec.ts";
import { EdgeSession } from "../../broker/sparkplug/edge-session.ts";
import { nextSeq, SeqTracker } from "../../broker/sparkplug/sequence.ts";

const metric = (m: Partial<SparkplugMetric>): SparkplugMetric => ({
  datatype: "Int32",
  value: 0,
  historical: false,
  transient: false,
  ...m,
});

describe("seq tracking", () => {
  it("wraps 255 to 0 and flags gaps, missing and out-of-range values", () => {
    const seq = new SeqTracker();
    expect(seq.accept(0)).toBe(false); // no birth yet
    seq.reset(254);
    expect(seq.accept(255)).toBe(true);
    expect(seq.accept(0)).toBe(true);
    expect(seq.accept(1)).toBe(true);
    expect(seq.accept(3)).toBe(false); // 2 lost
    expect(seq.accept(4)).toBe(true); // follows the received value: one loss, one gap
    expect(seq.accept(undefined)).toBe(false);
    expect(seq.accept(256)).toBe(false);
    expect(seq.accept(4)).toBe(false); // duplicate
  });

  it("accepts exactly the in-order stream from any start (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 600 }), (start, n) => {
        const seq = new SeqTracker();
        seq.reset(start);
        let s = start;
        for (let i = 0; i < n; i++) {
          s = nextSeq(s);
          if (!seq.accept(s)) return false;
        }
        return seq.current === (start + n) % 256;
      }),
    );
  });

  it("flags any skip of 1-254 messages (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 254 }), (start, skip) => {
        const seq = new SeqTracker();
        seq.reset(start);
        return !seq.accept((start + 1 + skip) % 256);
      }),
    );
  });
});

describe("edge node session", () => {
  const nodeBirth = [
    metric({ name: "bdSeq", datatype: "UInt64", value: 3 }),
    metric({ name: "Node Control/Rebirth", datatype: "Boolean", value: false }),
    metric({ name: "uptime", alias: 1 }),
  ];

  it("resolves aliases against the device's birth, then the node's; unknown ones are null", () => {
    const s = new EdgeSession("g", "e", "g:e");
    s.nodeBirth(nodeBirth, 0, 1000);
    const dev = s.deviceBirth("d", "g:e:d", [metric({ name: "temp", alias: 10, datatype: "Double" })], 1000);
    expect(
      s
        .resolveNames(dev, [metric({ alias: 10 }), metric({ alias: 1 }), metric({ name: "x" })])
        ?.map((r) => r.name),
    ).toEqual(["temp", "uptime", "x"]);
    expect(s.resolveNames(dev, [metric({ alias: 99 })])).toBeNull();
    expect(s.resolveNames(undefined, [metric({ alias: 10 })])).toBeNull(); // a device's alias is not the node's
    expect(s.resolveNames(undefined, [metric({})])).toBeNull(); // neither name nor alias
    expect(dev.birth.metrics.get("temp")).toEqual({ datatype: "Double", alias: 10 });
  });

  it("ends only on an NDEATH whose bdSeq matches the birth", () => {
    const s = new EdgeSession("g", "e", "g:e");
    expect(s.deathMatches([])).toBe(false); // never born
    s.nodeBirth(nodeBirth, 0, 1000);
    s.deviceBirth("d", "g:e:d", [], 1000);
    expect(s.bdSeq).toBe("3");
    expect(s.deathMatches([metric({ name: "bdSeq", value: 2 })])).toBe(false); // an older session's will
    expect(s.deathMatches([metric({ name: "bdSeq", value: "3" })])).toBe(true);
    expect(s.nodeDeath().map((d) => d.thing)).toEqual(["g:e:d"]);
    expect(s.online).toBe(false);
    expect(s.devices.size).toBe(0);
  });

  it("a new NBIRTH restarts seq, clears the rebirth request and needs device rebirths", () => {
    const s = new EdgeSession("g", "e", "g:e");
    s.nodeBirth(nodeBirth, 0, 1000);
    s.deviceBirth("d", "g:e:d", [], 1000);
    s.rebirthRequestedAt = 5;
    expect(s.nodeBirth(nodeBirth, 0, 2000).map((d) => d.thing)).toEqual(["g:e:d"]);
    expect(s.rebirthRequestedAt).toBeUndefined();
    // The old session's device certificates (alias tables) are released: devices must be reborn.
    expect(s.devices.size).toBe(0);
    expect(s.seq.accept(1)).toBe(true);
  });
});
