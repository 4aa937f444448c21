import type { HandlerResult } from "../device-agent/index.ts";
import { type JsonObject, type JsonValue, jsonEqual } from "../shared/json.ts";
import { type Logger, silentLogger } from "../shared/logger.ts";
import { pointFor, setPath, toShadow } from "./convert.ts";
import { applyDesired, type DesiredHost } from "./desired.ts";
import { MeasurementSummary, splitReadings, telemetryMessages } from "./measurements.ts";
import type { DeviceStatus, RunnerOptions, ShadowLink } from "./runner-ports.ts";
import {
  type DeviceIdentity,
  type DeviceSpec,
  type Driver,
  DriverError,
  type PointSpec,
  type Profile,
  type Reading,
} from "./types.ts";

/**
 * One runner per bridged device: polls the driver at the device's interval, turns readings into
 * shadow values, reports only what changed (plus a full report every `fullReportMs`), publishes
 * measurements as telemetry and summarises them into `reported` (measurements.ts), writes desired
 * values back with read-back verification, and marks the device unreachable in its shadow.
 *
 * Every device has its own loop and its own driver: a slow or dead device only delays itself. Driver
 * calls of one device are serialized (a poll and a write never overlap), as the Driver contract says.
 */

/** The bridge's own section of `reported` (documented in docs/bridge.md). */
export const BRIDGE_KEY = "$bridge";
export const UNITS_KEY = "$units";

export class DeviceRunner {
  private readonly readable: PointSpec[];
  private readonly last = new Map<string, JsonValue>();
  private lastFullAt = Number.NEGATIVE_INFINITY;
  private tail: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private loopDone: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private unregister: (() => void) | undefined;
  private readonly s: DeviceStatus;
  private readonly fullReportMs: number;
  private readonly backoff: { initialMs: number; maxMs: number };
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly verifyDelays: number[];
  /** Write counter and, per path, the count when it was last written: a poll that read before a write must not report over it. */
  private writeCount = 0;
  private readonly writtenAt = new Map<string, number>();
  /** The last report / telemetry error logged (cleared by one that goes through). */
  private readonly lastError: { report?: string; telemetry?: string } = {};
  private readonly summary: MeasurementSummary;
  private readonly onRead: RunnerOptions["onRead"];
  private readonly desired: DesiredHost;

  constructor(
    readonly spec: DeviceSpec,
    readonly profile: Profile,
    private readonly driver: Driver,
    private readonly link: ShadowLink,
    opts: RunnerOptions = {},
  ) {
    this.readable = profile.points;
    this.fullReportMs = opts.fullReportMs ?? 300_000;
    const initialMs = opts.backoff?.initialMs ?? spec.pollMs;
    this.backoff = { initialMs, maxMs: Math.max(initialMs, opts.backoff?.maxMs ?? 60_000) };
    this.log = opts.log ?? silentLogger;
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.verifyDelays = opts.verifyDelaysMs ?? [0, 250, 1000];
    this.summary = new MeasurementSummary(spec.summaryMs);
    this.onRead = opts.onRead;
    this.s = { reachable: undefined, error: undefined, since: this.now(), failures: 0, polls: 0 };
    this.desired = {
      thing: spec.thing,
      profileName: profile.name,
      points: this.readable,
      driver,
      link,
      log: this.log,
      verifyDelays: this.verifyDelays,
      exclusive: (fn) => this.exclusive(fn),
      guarded: (what, p) => this.guarded(what, p),
      written: (path, value) => {
        this.last.set(path, value);
        this.writtenAt.set(path, this.writeCount++);
      },
    };
  }

  get status(): Readonly<DeviceStatus> {
    return { ...this.s };
  }

  /** Starts the poll loop and takes over desired state for this device. */
  start(): void {
    this.unregister = this.link.onDelta((delta) => this.applyDesired(delta));
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unregister?.();
    this.wake?.();
    await this.loopDone;
    await this.tail;
    await this.driver.close();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const started = this.now();
      await this.pollOnce();
      if (this.stopped) break;
      await this.sleep(Math.max(0, this.nextDelay() - (this.now() - started)));
    }
  }

  /**
   * Until the next poll: the interval while reads succeed (wholly or in part), exponential backoff
   * (equal jitter) after a poll that read nothing: no answer, or a refusal of everything such as a
   * wrong password, which retried at the poll interval would get the account locked on many BMCs.
   */
  nextDelay(): number {
    if (this.s.failures === 0) return this.spec.pollMs;
    const cap = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** Math.min(this.s.failures - 1, 30));
    // Half fixed, half random: retries stay predictable for an operator yet devices that failed together spread out.
    return Math.round(cap / 2 + (this.random() * cap) / 2);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  /** What the device says it is (driver `identify`, in turn with the other driver calls); {} without. */
  identify(): Promise<DeviceIdentity> {
    const driver = this.driver;
    if (!driver.identify) return Promise.resolve({});
    return this.exclusive(() =>
      this.guarded("identify", (driver.identify as () => Promise<DeviceIdentity>)()),
    );
  }

  /** Driver calls one at a time, in order. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn);
    this.tail = next.catch(() => undefined);
    return next;
  }

  /** A hung driver call must not stall the device forever: it counts as no answer. */
  private guarded<T>(what: string, p: Promise<T>): Promise<T> {
    if (this.driver.timesItself) return p;
    const ms = this.spec.timeoutMs * 4 + 1000;
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new DriverError("unreachable", `${what}: no result within ${ms} ms`)),
          ms,
        );
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /**
   * One poll: read every point, publish the measurements as telemetry, report the state that changed
   * and the measurement summary when due (or everything when a full report is due).
   */
  async pollOnce(): Promise<void> {
    this.s.polls++;
    const writesBefore = this.writeCount;
    let readings: Reading[];
    let partial: DriverError | undefined;
    try {
      readings = await this.exclusive(() => this.guarded("read", this.driver.read(this.readable)));
    } catch (err) {
      if (!(err instanceof DriverError && err.kind === "refused" && err.readings?.length)) {
        await this.failed(err);
        return;
      }
      readings = err.readings;
      partial = err;
    }
    const values = new Map<string, JsonValue>();
    for (const r of readings) {
      const point = pointFor(this.readable, r.path);
      // Read before a write to this path completed: stale; the write reported the fresh value.
      if ((this.writtenAt.get(r.path) ?? -1) >= writesBefore) continue;
      if (point) values.set(r.path, toShadow(point, r.value));
    }
    const now = this.now();
    const { state, samples } = splitReadings(this.readable, values);
    for (const path of state.keys()) this.summary.forget(path);
    this.summary.observe(samples, now);
    await this.publishTelemetry(samples, now);
    const full = now - this.lastFullAt >= this.fullReportMs;
    const patch: JsonObject = {};
    for (const [path, value] of state) {
      if (full || !this.last.has(path) || !jsonEqual(this.last.get(path), value)) setPath(patch, path, value);
    }
    for (const [path, value] of this.summary.take(now, full)) setPath(patch, path, value);
    const error = partial?.message;
    const answering = this.s.reachable !== true;
    const changed = answering || this.s.error !== error;
    if (changed) this.transition(true, error);
    this.onRead?.(state, answering);
    if (changed || full) patch[BRIDGE_KEY] = this.bridgeSection();
    if (full) patch[UNITS_KEY] = this.units();
    this.s.failures = 0;
    if (Object.keys(patch).length === 0) return;
    try {
      await this.link.report(patch);
      for (const [path, value] of state) this.last.set(path, value);
      for (const path of samples.keys()) this.last.delete(path);
      if (full) this.lastFullAt = now;
      this.lastError.report = undefined;
    } catch (err) {
      // Refused by the node (e.g. a value too large): logged; the next poll tries again.
      this.refused("report", err);
    }
  }

  /** Telemetry is best effort: offline, the SDK drops it (the next poll's values replace it). */
  private async publishTelemetry(samples: ReadonlyMap<string, number>, ts: number): Promise<void> {
    if (!this.link.publishTelemetry || samples.size === 0) return;
    try {
      for (const message of telemetryMessages(samples, ts)) await this.link.publishTelemetry(message);
      this.lastError.telemetry = undefined;
    } catch (err) {
      this.refused("telemetry", err);
    }
  }

  private async failed(err: unknown): Promise<void> {
    const e =
      err instanceof DriverError
        ? err
        : new DriverError("refused", (err as Error)?.message ?? String(err), { cause: err });
    const reachable = e.kind === "refused";
    this.s.failures++;
    if (this.s.reachable === reachable && this.s.error === e.message) return;
    this.transition(reachable, e.message);
    try {
      await this.link.report({ [BRIDGE_KEY]: this.bridgeSection() });
    } catch (reportErr) {
      this.refused("report", reportErr);
    }
  }

  /** Logs a failed report or publish once per distinct error: a wrong role would otherwise log every poll. */
  private refused(what: "report" | "telemetry", err: unknown): void {
    const message = (err as Error)?.message ?? String(err);
    if (message === this.lastError[what]) return;
    this.lastError[what] = message;
    this.log.error(
      { thing: this.spec.thing, err: message },
      what === "report" ? "report refused" : "telemetry publish failed",
    );
  }

  private transition(reachable: boolean, error: string | undefined): void {
    if (this.s.reachable !== reachable) {
      this.s.since = this.now();
      if (reachable) this.log.info({ thing: this.spec.thing }, "device answers");
      else this.log.warn({ thing: this.spec.thing, error }, "device unreachable: retrying with backoff");
    } else if (error)
      this.log.warn(
        { thing: this.spec.thing, error },
        reachable ? "device refused a request" : "device still unreachable",
      );
    this.s.reachable = reachable;
    this.s.error = error;
  }

  /** `reported.$bridge`: whether the device answers, since when, and the last error (null when none). */
  private bridgeSection(): JsonObject {
    return {
      reachable: this.s.reachable === true,
      since: new Date(this.s.since).toISOString(),
      error: this.s.error ?? null,
      driver: this.spec.driver,
      profile: this.profile.name,
    };
  }

  private units(): JsonObject {
    const units: JsonObject = {};
    for (const p of this.readable) if (p.unit) setPath(units, p.path.replace("{index}", "*"), p.unit);
    return units;
  }

  /** The delta handler: desired → raw → driver.write → read back → reported (desired.ts). */
  applyDesired(delta: JsonObject): Promise<HandlerResult> {
    return applyDesired(this.desired, delta);
  }
}
