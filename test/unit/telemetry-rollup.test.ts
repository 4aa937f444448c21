import { rmSync } from "node:fs";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { TelemetryMaintenance } from "../../broker/telemetry/maintenance.ts";
import { TelemetryStore } from "../../broker/telemetry/store.ts";
import { TelemetryService } from "../../broker/telemetry/telemetry-service.ts";
import { TelemetryWriter } from "../../broker/telemetry/writer.ts";
import { foldPoints, HOUR_MS, MINUTE_MS, regroup, toPoint } from "../../shared/telemetry-rollup.ts";
import { tempDir } from "../helpers/node.ts";

const T0 = Date.UTC(2026, 0, 1);
const DAY = 24 * HOUR_MS;
const RETENTION = { rawMs: 2 * HOUR_MS, minuteMs: DAY, hourMs: 3 * DAY };

describe("rollup math", () => {
  it("regrouping minute buckets equals folding the raw points directly", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 4 * HOUR_MS }), fc.integer({ min: -1000, max: 1000 })), {
          minLength: 1,
          maxLength: 300,
        }),
        (pts) => {
          // Distinct timestamps (as stored): `last` is then well defined.
          const points = [...new Map(pts.map(([t, v]) => [T0 + t, v])).entries()];
          const direct = foldPoints(points, HOUR_MS).map(toPoint);
          const viaMinutes = regroup(foldPoints(points, MINUTE_MS), HOUR_MS).map(toPoint);
          expect(viaMinutes).toEqual(direct);
          const total = direct.reduce((n, p) => n + p.count, 0);
          expect(total).toBe(points.length);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("telemetry store, rollup job and retention", () => {
  const dirs: string[] = [];
  const open = (limits: { maxMetricsPerThing?: number; maxSeries?: number } = {}) => {
    const dir = tempDir("umbra-tel-");
    dirs.push(dir);
    let now = T0 + 30 * MINUTE_MS;
    const store = new TelemetryStore(dir);
    const rejected: Record<string, number> = {};
    const writer = new TelemetryWriter(
      store,
      {
        batchSamples: 1e9,
        flushMs: 1e9,
        maxPerTransaction: 1000,
        maxQueued: 10_000,
        turnBudgetMs: 10,
        maxTurnMs: 10,
      },
      {
        written: () => {},
        dropped: (n) => {
          rejected.overflow = (rejected.overflow ?? 0) + n;
        },
        failed: (err) => {
          throw err;
        },
      },
    );
    const clock = { now: () => now, set: (t: number) => (now = t) };
    const service = new TelemetryService(store, writer, {
      retention: RETENTION,
      now: clock.now,
      lateMarginMs: 10 * MINUTE_MS,
      futureMs: 10 * MINUTE_MS,
      onRejected: (reason, n) => {
        rejected[reason] = (rejected[reason] ?? 0) + n;
      },
      onAccepted: () => {},
      ...limits,
    });
    const job = new TelemetryMaintenance(
      store,
      {
        retention: RETENTION,
        now: clock.now,
        intervalMs: 1000,
        backlogDelayMs: 100,
        rollupRows: 7,
        rollupBudgetMs: 0,
        pruneEveryMs: 60_000,
        pruneBudgetMs: 50,
      },
      (err) => {
        throw err;
      },
    );
    return { dir, store, writer, service, job, clock, rejected };
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("rolls up incrementally, exactly, with late and repeated samples", () => {
    const { store, writer, service, job } = open();
    const pts: [number, number][] = [];
    for (let i = 0; i < 30; i++) pts.push([T0 + i * 20_000, i]); // 10 minutes, 3 per minute
    service.record(
      "pdu-1",
      pts.slice(0, 20).map(([ts, value]) => ({ metric: "w", value, ts })),
    );
    writer.flush();
    job.drain();
    // Late (out of order) and repeated samples arrive after the first rollup.
    service.record(
      "pdu-1",
      pts.slice(15).map(([ts, value]) => ({ metric: "w", value, ts })),
      { historical: true },
    );
    writer.flush();
    // Bounded: 7 rows per run, so several runs are needed.
    expect(job.run().rolledUp).toBe(7);
    job.drain();
    const id = store.findSeries("pdu-1", "w") as number;
    expect(store.raw(id, T0, T0 + HOUR_MS, 100)).toEqual(pts);
    expect(store.buckets("1m", id, T0, T0 + HOUR_MS).map(toPoint)).toEqual(
      foldPoints(pts, MINUTE_MS).map(toPoint),
    );
    expect(store.buckets("1h", id, T0, T0 + HOUR_MS).map(toPoint)).toEqual([
      { ts: T0, min: 0, max: 29, avg: 14.5, last: 29, count: 30 },
    ]);
  });

  it("keeps the latest value per metric, not moved back by historical samples, across a reopen", () => {
    const { dir, store, writer, service } = open();
    service.record("ups-1", [{ metric: "load", value: 5, ts: T0 + 20 * MINUTE_MS }]);
    service.record("ups-1", [{ metric: "load", value: 3, ts: T0 + 10 * MINUTE_MS }], { historical: true });
    expect(service.latest("ups-1")).toEqual({ load: { value: 5, ts: T0 + 20 * MINUTE_MS } });
    writer.close();
    store.close();
    const reopened = new TelemetryStore(dir);
    expect(reopened.latestAll()).toEqual([
      { thing: "ups-1", metric: "load", value: 5, ts: T0 + 20 * MINUTE_MS },
    ]);
    reopened.close();
  });

  it("refuses samples too old to keep, from the future, or of an invalid thing", () => {
    const { service, rejected, clock } = open();
    const now = clock.now();
    service.record("x", [
      { metric: "a", value: 1, ts: now - RETENTION.rawMs },
      { metric: "a", value: 1, ts: now + HOUR_MS },
      { metric: "a", value: Number.NaN, ts: now },
      { metric: "a", value: 1, ts: now },
    ]);
    service.record("not a thing", [{ metric: "a", value: 1, ts: now }]);
    expect(rejected).toEqual({ too_old: 1, future: 1, payload: 2 });
    expect(service.latest("x")).toEqual({ a: { value: 1, ts: now } });
  });

  it("deletes each tier after its retention, raw only once rolled up", () => {
    const { store, writer, service, job, clock } = open();
    // One sample every 10 minutes for 2 hours before "now".
    const start = T0;
    clock.set(start);
    for (let t = start; t < start + 2 * HOUR_MS; t += 10 * MINUTE_MS) {
      clock.set(t);
      service.record("pdu-1", [{ metric: "w", value: 1, ts: t }]);
    }
    writer.flush();
    const id = store.findSeries("pdu-1", "w") as number;
    const count = (tier: "raw" | "1m" | "1h") =>
      tier === "raw"
        ? store.raw(id, 0, Number.MAX_SAFE_INTEGER, 1e6).length
        : store.buckets(tier, id, 0, Number.MAX_SAFE_INTEGER).length;
    // Retention before the rollup: raw rows are not deleted while not yet rolled up.
    clock.set(start + 10 * DAY);
    store.prune({ raw: clock.now(), minute: 0, hour: 0 }, 0, 50);
    expect(count("raw")).toBe(12);
    // Three hours later: raw older than 2h goes, minutes (1 day) and hours (3 days) stay.
    clock.set(start + 3 * HOUR_MS + 30 * MINUTE_MS);
    job.drain();
    expect([count("raw"), count("1m"), count("1h")]).toEqual([3, 12, 2]);
    clock.set(start + 2 * DAY);
    job.drain();
    expect([count("raw"), count("1m"), count("1h")]).toEqual([0, 0, 2]);
    clock.set(start + 5 * DAY);
    job.drain();
    expect([count("raw"), count("1m"), count("1h")]).toEqual([0, 0, 0]);
  });

  it("bounds the series per thing and in total, so made-up metric names cannot exhaust memory", () => {
    const { service, rejected, clock, writer, store } = open({ maxMetricsPerThing: 3, maxSeries: 5 });
    const now = clock.now();
    const names = (prefix: string, n: number) =>
      Array.from({ length: n }, (_, i) => ({ metric: `${prefix}${i}`, value: i, ts: now }));
    service.record("a", names("m", 5));
    expect(Object.keys(service.latest("a"))).toEqual(["m0", "m1", "m2"]);
    expect(rejected.series_limit).toBe(2);
    // Known series keep flowing; new ones of another thing count against the total (5).
    service.record("a", [{ metric: "m0", value: 9, ts: now + 1 }]);
    service.record("b", names("n", 3));
    expect(Object.keys(service.latest("b"))).toEqual(["n0", "n1"]);
    expect(rejected.series_limit).toBe(3);
    expect(service.latest("a").m0?.value).toBe(9);
    writer.flush();
    expect(store.seriesOf("a").length + store.seriesOf("b").length).toBe(5);
  });

  it("drops samples beyond the queue bound instead of growing without limit", () => {
    const { service, rejected, writer, clock } = open();
    const now = clock.now();
    const batch = Array.from({ length: 6000 }, (_, i) => ({ metric: "m", value: i, ts: now - i }));
    service.record("a", batch);
    service.record("b", batch);
    expect(rejected.overflow).toBe(6000);
    expect(writer.pending).toBe(6000);
  });
});
