import { afterEach, describe, expect, it, vi } from "vitest";
import { BirthCertificate } from "../../broker/sparkplug/birth.ts";
import type { SparkplugMetric } from "../../broker/sparkplug/codec.ts";
import { planCommands } from "../../broker/sparkplug/commands.ts";
import { birthPatch, splitData } from "../../broker/sparkplug/mapping.ts";
import { ReportedWriter } from "../../broker/sparkplug/reported-writer.ts";
import type { JsonObject } from "../../shared/json.ts";

const metric = (m: Partial<SparkplugMetric>): SparkplugMetric => ({
  datatype: "Double",
  value: 0,
  historical: false,
  transient: false,
  ...m,
});

describe("birth → reported", () => {
  it("writes values and the certificate, and removes what the previous birth had and this one lacks", () => {
    const metrics = [
      metric({ name: "temp", alias: 1, value: 20.5, properties: { engUnit: "C" } }),
      metric({ name: "mode", datatype: "String", value: "auto" }),
    ];
    const birth = new BirthCertificate(metrics, 1234);
    const previous: JsonObject = {
      metrics: { old: 1, temp: 3 },
      sparkplug: { metrics: { old: { datatype: "Int32" } } },
    };
    expect(birthPatch({ group: "g", edge: "e", device: "d" }, birth, metrics, previous)).toEqual({
      metrics: { old: null, temp: 20.5, mode: "auto" },
      sparkplug: {
        group: "g",
        edge: "e",
        device: "d",
        birth: 1234,
        bdSeq: null,
        metrics: {
          old: null,
          temp: { datatype: "Double", alias: 1, properties: { engUnit: "C" } },
          mode: { datatype: "String" },
        },
      },
    });
  });
});

describe("DATA split", () => {
  const data = [
    { name: "temp", metric: metric({ value: 21, timestamp: 50 }) },
    { name: "on", metric: metric({ datatype: "Boolean", value: true }) },
    { name: "mode", metric: metric({ datatype: "String", value: "manual" }) },
    { name: "big", metric: metric({ datatype: "UInt64", value: "18446744073709551615" }) },
    { name: "old", metric: metric({ value: 5, historical: true, timestamp: 10 }) },
  ];

  it("sends numbers and booleans to telemetry, non-numbers and chosen metrics to reported", () => {
    const split = splitData(data, 100, (n) => n === "on", true);
    expect(split.samples).toEqual([
      { metric: "temp", value: 21, ts: 50 },
      { metric: "on", value: 1, ts: 100 },
    ]);
    expect(split.historical).toEqual([{ metric: "old", value: 5, ts: 10 }]);
    expect(split.reported).toEqual({ on: true, mode: "manual", big: "18446744073709551615" });
  });

  it("leaves out values a shadow cannot hold (null inside an array)", () => {
    const rows = { name: "ds", metric: metric({ datatype: "DataSet", value: { rows: [[1, null]] } }) };
    const ok = { name: "ok", metric: metric({ datatype: "DataSet", value: { rows: [[1, 2]] } }) };
    expect(splitData([rows, ok], 1, () => true, true).reported).toEqual({ ok: { rows: [[1, 2]] } });
  });

  it("without telemetry puts every current value in reported", () => {
    const split = splitData(data, 100, () => false, false);
    expect(split.samples).toEqual([]);
    expect(split.reported).toEqual({ temp: 21, on: true, mode: "manual", big: "18446744073709551615" });
  });
});

describe("desired → commands", () => {
  const birth = new BirthCertificate(
    [
      metric({ name: "setpoint", alias: 12, datatype: "Int32" }),
      metric({ name: "LED", datatype: "Boolean" }),
    ],
    0,
  );

  it("sends changed desired values that differ from reported, with alias and datatype", () => {
    const plan = planCommands(
      birth,
      { metrics: { setpoint: 42, LED: true, ghost: 1 } },
      { metrics: { setpoint: 10, LED: true } },
      { metrics: {} },
    );
    expect(plan.metrics).toEqual([{ name: "setpoint", alias: 12, datatype: "Int32", value: 42 }]);
    expect(plan.refused).toEqual([
      { name: "ghost", reason: "the edge node's birth certificate has no such metric" },
    ]);
  });

  it("does not resend unchanged desired values, except after a birth", () => {
    const desired = { metrics: { setpoint: 42 } };
    expect(planCommands(birth, desired, { metrics: { setpoint: 10 } }, desired).metrics).toEqual([]);
    expect(planCommands(birth, desired, { metrics: { setpoint: 10 } }, undefined).metrics).toHaveLength(1);
  });

  it("refuses values the datatype cannot take", () => {
    const plan = planCommands(birth, { metrics: { setpoint: "high", LED: 1 } }, {}, undefined);
    expect(plan.metrics).toEqual([]);
    expect(plan.refused.map((r) => r.name)).toEqual(["setpoint", "LED"]);
  });
});

describe("rate-bounded reported writer", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("writes the first change at once, then at most once per interval with values merged", async () => {
    vi.useFakeTimers();
    const writes: [string, JsonObject][] = [];
    const w = new ReportedWriter(
      async (thing, m) => void writes.push([thing, m]),
      1000,
      () => Date.now(),
    );
    w.queue("a", { x: 1 });
    await vi.advanceTimersByTimeAsync(0);
    expect(writes).toEqual([["a", { x: 1 }]]);
    for (let i = 2; i <= 50; i++) w.queue("a", { x: i, [`k${i % 3}`]: i });
    await vi.advanceTimersByTimeAsync(500);
    expect(writes).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(600);
    expect(writes).toEqual([
      ["a", { x: 1 }],
      ["a", { x: 50, k0: 48, k1: 49, k2: 50 }],
    ]);
  });

  it("writes urgent values (closing a delta) at once and flushes on close", async () => {
    vi.useFakeTimers();
    const writes: JsonObject[] = [];
    const w = new ReportedWriter(
      async (_t, m) => void writes.push(m),
      10_000,
      () => Date.now(),
    );
    w.queue("a", { x: 1 });
    await vi.advanceTimersByTimeAsync(0);
    w.queue("a", { y: 1 });
    w.queue("a", { setpoint: 42 }, true);
    await vi.advanceTimersByTimeAsync(0);
    expect(writes).toEqual([{ x: 1 }, { y: 1, setpoint: 42 }]);
    w.queue("a", { z: 1 });
    await w.close();
    expect(writes.at(-1)).toEqual({ z: 1 });
    w.queue("a", { late: 1 });
    await vi.advanceTimersByTimeAsync(20_000);
    expect(writes).toHaveLength(3);
  });
});
