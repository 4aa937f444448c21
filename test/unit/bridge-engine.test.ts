import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { DeltaHandler } from "../../device-agent/sdk/types.ts";
import { DeviceRunner } from "../../firmware-bridge/engine.ts";
import type { ShadowLink } from "../../firmware-bridge/runner-ports.ts";
import {
  type DeviceSpec,
  type Driver,
  DriverError,
  type PointSpec,
  type Profile,
  type RawValue,
  type Reading,
} from "../../firmware-bridge/types.ts";
import type { JsonObject } from "../../shared/json.ts";

/** An in-memory device: a map of raw values by path, with switchable failure modes. */
class FakeDriver implements Driver {
  values = new Map<string, RawValue>();
  fail: DriverError | undefined;
  hang = false;
  /** Values the device reads back after a write, when it does not take the written one. */
  stuck = new Map<string, RawValue>();
  reads = 0;
  writes: [string, RawValue][] = [];
  active = 0;
  maxActive = 0;
  closed = false;

  private async call<T>(fn: () => T): Promise<T> {
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      await new Promise((r) => setTimeout(r, 2));
      if (this.hang) await new Promise(() => undefined);
      if (this.fail) throw this.fail;
      return fn();
    } finally {
      this.active--;
    }
  }

  read(points: readonly PointSpec[]): Promise<Reading[]> {
    return this.call(() => {
      this.reads++;
      return points.flatMap((p) =>
        this.values.has(p.path) ? [{ path: p.path, value: this.values.get(p.path) as RawValue }] : [],
      );
    });
  }

  write(_point: PointSpec, path: string, value: RawValue): Promise<void> {
    return this.call(() => {
      this.writes.push([path, value]);
      this.values.set(path, this.stuck.get(path) ?? value);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

class FakeLink implements ShadowLink {
  reports: JsonObject[] = [];
  cleared: string[][] = [];
  async clearDesired(paths: readonly string[]): Promise<void> {
    this.cleared.push([...paths]);
  }
  handler: DeltaHandler | undefined;
  async report(patch: JsonObject): Promise<void> {
    this.reports.push(structuredClone(patch));
  }
  onDelta(handler: DeltaHandler): () => void {
    this.handler = handler;
    return () => {
      this.handler = undefined;
    };
  }
}

const profile: Profile = {
  name: "test-pdu",
  driver: "modbus",
  points: [
    { path: "outlets.1", type: "bool", enum: { on: true, off: false }, writable: true, address: {} },
    { path: "outlets.2", type: "bool", enum: { on: true, off: false }, writable: true, address: {} },
    { path: "voltage", type: "uint16", scale: 0.1, unit: "V", address: {} },
    {
      path: "mode",
      type: "uint16",
      enum: { eco: 1, normal: 2 },
      writable: true,
      verifyValue: 2,
      address: {},
    },
    {
      path: "power",
      type: "uint16",
      enum: { on: 1, off: 2, reboot: 3 },
      writable: true,
      verifyValues: { reboot: 1 },
      commands: ["reboot"],
      address: {},
    },
  ],
};

const spec = (thing: string, extra: Partial<DeviceSpec> = {}): DeviceSpec => ({
  thing,
  driver: "modbus",
  address: "fake",
  options: {},
  pollMs: 10,
  timeoutMs: 50,
  ...extra,
});

function setup(opts: { now?: () => number; spec?: Partial<DeviceSpec> } = {}) {
  const driver = new FakeDriver();
  driver.values.set("outlets.1", true).set("outlets.2", false).set("voltage", 2304).set("mode", 2);
  const link = new FakeLink();
  const runner = new DeviceRunner(spec("pdu-1", opts.spec), profile, driver, link, {
    fullReportMs: 60_000,
    backoff: { initialMs: 100, maxMs: 800 },
    verifyDelaysMs: [0, 5],
    random: () => 1,
    ...(opts.now ? { now: opts.now } : {}),
  });
  return { driver, link, runner };
}

const running: DeviceRunner[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

describe("polling and reporting", () => {
  it("reports everything first, then only changes, then everything again when a full report is due", async () => {
    let now = 1_000_000;
    const { driver, link, runner } = setup({ now: () => now });
    await runner.pollOnce();
    expect(link.reports[0]).toMatchObject({
      outlets: { 1: "on", 2: "off" },
      voltage: 230.4,
      mode: "normal",
      $bridge: { reachable: true, error: null, driver: "modbus", profile: "test-pdu" },
      $units: { voltage: "V" },
    });
    await runner.pollOnce();
    expect(link.reports).toHaveLength(1); // nothing changed: nothing sent
    driver.values.set("voltage", 2291);
    await runner.pollOnce();
    expect(link.reports[1]).toEqual({ voltage: 229.1 });
    now += 60_000;
    await runner.pollOnce();
    expect(Object.keys(link.reports[2] ?? {}).sort()).toEqual([
      "$bridge",
      "$units",
      "mode",
      "outlets",
      "voltage",
    ]);
  });

  it("marks an unreachable device once, backs off exponentially, and recovers", async () => {
    let now = 0;
    const { driver, link, runner } = setup({ now: () => now });
    await runner.pollOnce();
    driver.fail = new DriverError("unreachable", "modbus 10.0.0.5:502 unit 1: no answer within 50 ms");
    now = 5000;
    await runner.pollOnce();
    await runner.pollOnce();
    await runner.pollOnce();
    const marks = link.reports.slice(1);
    expect(marks).toEqual([
      {
        $bridge: {
          reachable: false,
          since: new Date(5000).toISOString(),
          error: "modbus 10.0.0.5:502 unit 1: no answer within 50 ms",
          driver: "modbus",
          profile: "test-pdu",
        },
      },
    ]);
    // random() = 1: the delay is the cap, doubling from 100 ms up to 800 ms.
    expect(runner.status.failures).toBe(3);
    expect(runner.nextDelay()).toBe(400);
    await runner.pollOnce();
    await runner.pollOnce();
    expect(runner.nextDelay()).toBe(800);
    driver.fail = undefined;
    driver.values.set("voltage", 2200);
    now = 9000;
    await runner.pollOnce();
    expect(link.reports.at(-1)).toMatchObject({
      voltage: 220,
      $bridge: { reachable: true, error: null, since: new Date(9000).toISOString() },
    });
    expect(runner.nextDelay()).toBe(10);
  });

  it("a device that answers but refuses stays reachable, shows the error, and is retried with backoff", async () => {
    const { driver, link, runner } = setup();
    driver.fail = new DriverError("refused", 'Redfish login as "umbra" rejected (HTTP 401)');
    await runner.pollOnce();
    expect(link.reports[0]).toMatchObject({
      $bridge: { reachable: true, error: 'Redfish login as "umbra" rejected (HTTP 401)' },
    });
    // Nothing was read: a wrong password retried at the poll interval would lock the BMC account.
    expect(runner.nextDelay()).toBe(100);
    await runner.pollOnce();
    await runner.pollOnce();
    expect(runner.nextDelay()).toBe(400);
    expect(link.reports).toHaveLength(1);
    driver.fail = undefined;
    await runner.pollOnce();
    expect(runner.nextDelay()).toBe(10);
  });

  it("reports the points that answered when part of a read was refused, with the error", async () => {
    const { driver, link, runner } = setup();
    const read = driver.read.bind(driver);
    driver.read = async (points) => {
      const all = await read(points);
      throw new DriverError("refused", "modbus exception 2: illegal data address", {
        readings: all.filter((r) => r.path !== "voltage"),
      });
    };
    await runner.pollOnce();
    expect(link.reports[0]).toMatchObject({
      outlets: { 1: "on", 2: "off" },
      $bridge: { reachable: true, error: "modbus exception 2: illegal data address" },
    });
    expect(link.reports[0]).not.toHaveProperty("voltage");
    await runner.pollOnce();
    expect(link.reports).toHaveLength(1); // the same error again: nothing new
    expect(runner.nextDelay()).toBe(10); // part of the device answers: its normal interval
  });

  it("a hung device is marked unreachable by the guard and never delays another device", async () => {
    const slow = setup({ spec: { timeoutMs: 20 } });
    const fast = setup();
    slow.driver.hang = true;
    running.push(slow.runner, fast.runner);
    slow.runner.start();
    fast.runner.start();
    const t0 = Date.now();
    while (slow.runner.status.reachable !== false && Date.now() - t0 < 3000)
      await new Promise((r) => setTimeout(r, 20));
    expect(slow.runner.status.reachable).toBe(false);
    expect(slow.runner.status.error).toMatch(/read: no result within 1080 ms/);
    // Meanwhile the other device kept its 10 ms cadence.
    expect(fast.driver.reads).toBeGreaterThan(20);
    slow.driver.hang = false;
  });
});

describe("node refusals", () => {
  it("a report the node refuses is retried each poll but logged once per distinct error", async () => {
    const driver = new FakeDriver();
    driver.values.set("voltage", 2304);
    const errors: unknown[] = [];
    // A real pino logger (the bridge's type) that keeps the fields of each error line.
    const log = pino(
      { level: "error", base: undefined, timestamp: false },
      {
        write: (line: string) => {
          const { level: _level, msg: _msg, ...fields } = JSON.parse(line);
          errors.push(fields);
        },
      },
    );
    let attempts = 0;
    const link: ShadowLink = {
      async report() {
        attempts++;
        throw new Error("update rejected (403): operators may not write reported state");
      },
      onDelta: () => () => undefined,
    };
    const runner = new DeviceRunner(spec("pdu-1"), profile, driver, link, { log });
    for (let i = 0; i < 4; i++) await runner.pollOnce();
    expect(attempts).toBe(4); // values never reached the shadow: every poll tries again
    expect(errors).toEqual([
      { thing: "pdu-1", err: "update rejected (403): operators may not write reported state" },
    ]);
  });
});

describe("desired → device", () => {
  it("writes, reads back and reports the value the device holds", async () => {
    const { driver, link, runner } = setup();
    runner.start();
    running.push(runner);
    const result = await link.handler?.({ outlets: { 2: "on" } }, { version: 3, desired: {}, attempt: 1 });
    expect(result).toEqual({ reported: { outlets: { 2: "on" } } });
    expect(driver.writes).toEqual([["outlets.2", true]]);
    expect(driver.maxActive).toBe(1); // never a poll and a write at the same time
  });

  it("says why it cannot: unknown path, read-only, bad value, read-back mismatch", async () => {
    const { driver, runner } = setup();
    driver.stuck.set("outlets.1", true);
    const result = await runner.applyDesired({
      nope: 1,
      voltage: 240,
      outlets: { 1: "off", 2: "maybe" },
      $status: { x: 1 },
    });
    expect(result).toEqual({
      cannot: [
        "nope: not a point of profile 'test-pdu'",
        "voltage: read-only",
        'outlets.1: wrote "off" but the device reads back "on"',
        'outlets.2: expected one of "on", "off", got "maybe"',
      ].join("; "),
      retry: false,
    });
  });

  it("accepts a different read-back value when the profile says so (verifyValue)", async () => {
    const { driver, runner } = setup();
    driver.stuck.set("mode", 2); // eco (1) is a one-shot command: the device reports normal (2) afterwards
    expect(await runner.applyDesired({ mode: "eco" })).toEqual({ reported: { mode: "normal" } });
    expect(driver.writes).toEqual([["mode", 1]]);
  });

  it("sends a one-shot command once, unverified, and clears it from desired; states are still verified", async () => {
    const { driver, link, runner } = setup();
    driver.stuck.set("power", 1);
    expect(await runner.applyDesired({ power: "reboot" })).toEqual({ reported: {} });
    // reboot is a one-shot command: written once, not verified, removed from desired so it never runs
    // again; the polls report the state the device comes back in.
    expect(driver.writes).toEqual([["power", 3]]);
    expect(link.cleared).toEqual([["power"]]);
    // Only the values it names: "off" must still read back off (verifyValues: reboot only).
    const failed = await runner.applyDesired({ power: "off" });
    expect(failed).toMatchObject({ cannot: 'power: wrote "off" but the device reads back "on"' });
    expect(link.cleared).toEqual([["power"]]); // off is a state, not a command
  });

  it("reports what was written before a failure, and asks for a retry when the device is unreachable", async () => {
    const { driver, link, runner } = setup();
    const write = driver.write.bind(driver);
    driver.write = async (point, path, value) => {
      if (path === "outlets.2") throw new DriverError("unreachable", "connection refused");
      return write(point, path, value);
    };
    const result = await runner.applyDesired({ outlets: { 1: "off", 2: "on" } });
    expect(result).toEqual({ cannot: "outlets.2: connection refused", retry: true });
    expect(link.reports).toEqual([{ outlets: { 1: "off" } }]);
  });
});
