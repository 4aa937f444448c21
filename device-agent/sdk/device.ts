import { isJsonObject, type JsonObject, jsonEqual } from "../../shared/json.ts";
import { telemetryTopic } from "../../shared/telemetry-payload.ts";
import { AttributeSync, type AttributesReply, attributeTopics } from "./attributes.ts";
import { Backoff, backoffSettings } from "./backoff.ts";
import { Connection } from "./connection.ts";
import { DeviceConnectionError, isTransient, ShadowRejectedError } from "./errors.ts";
import { OfflineQueue } from "./offline-queue.ts";
import { Reconciler } from "./reconcile.ts";
import { Reporter } from "./reporter.ts";
import { ShadowClient, shadowTopics } from "./shadow-client.ts";
import { readFullState, ShadowState } from "./shadow-state.ts";
import type { DeltaHandler, Device, DeviceOptions } from "./types.ts";

type Log = NonNullable<DeviceOptions["log"]>;
const SILENT: Log = { debug() {}, info() {}, warn() {}, error() {} };

/** Observable counters (tests and the host agent's telemetry read them). */
export interface DeviceStats {
  connects: number;
  resyncs: number;
  staleMessages: number;
  handlerCalls: number;
  handlerFailures: number;
  reportBatches: number;
  reportLeaves: number;
  queued: number;
}

/**
 * The Device behind `connectDevice`. On every (re)connect: subscribe to the shadow's reply topics, send
 * what the queue holds (reports made offline, oldest first), GET the full shadow, then let the reconcile
 * loop act on whatever delta is current. Messages older than the state known so far are ignored.
 */
export class ShadowDevice implements Device {
  readonly thing: string;
  private readonly log: Log;
  private readonly state = new ShadowState();
  private readonly conn: Connection;
  private readonly shadow: ShadowClient;
  private readonly attributeClient: ShadowClient;
  private readonly attributes: AttributeSync;
  private readonly queue: OfflineQueue;
  private readonly reporter: Reporter;
  private readonly reconciler: Reconciler;
  private readonly resyncBackoff: Backoff;
  private readonly desiredListeners = new Set<(desired: JsonObject, version: number) => void>();
  private lastDesired: JsonObject | undefined;
  /** Bumped on every connect and disconnect, so a resync of a connection that is gone stops. */
  private session = 0;
  private resyncs = 0;
  private closed = false;
  private isReady = false;
  private readonly readyPromise: Promise<void>;
  private settleReady!: (err?: Error) => void;

  constructor(private readonly opts: DeviceOptions) {
    this.thing = opts.thing;
    this.log = opts.log ?? SILENT;
    this.readyPromise = new Promise<void>((resolve, reject) => {
      this.settleReady = (err) => (err ? reject(err) : resolve());
    });
    this.readyPromise.catch(() => undefined); // observed through ready() / connectDevice
    const retry = backoffSettings(opts.retry, { initialMs: 1000, maxMs: 60_000 });
    const reconnect = backoffSettings(opts.reconnect, { initialMs: 1000, maxMs: 30_000 });
    this.resyncBackoff = new Backoff(reconnect);
    this.conn = new Connection({
      url: opts.url,
      clientId: opts.clientId ?? opts.thing,
      username: opts.username,
      password: opts.password,
      tls: opts.tls,
      keepaliveSec: opts.keepaliveSec ?? 30,
      connectTimeoutMs: opts.connectTimeoutMs ?? 10_000,
      reconnect,
      statusTopic:
        opts.statusTopic === false ? undefined : (opts.statusTopic ?? `things/${opts.thing}/status`),
    });
    this.shadow = new ShadowClient(
      this.conn.client,
      shadowTopics(opts.root ?? "$aws", opts.thing, opts.shadowName),
      {
        delta: (doc) => {
          if (this.reconciler.onDelta(doc)) this.emitDesired();
        },
        documents: (doc) => this.onDocuments(doc),
        malformed: (topic, err) =>
          this.log.warn({ topic, err: err.message }, "malformed shadow message ignored"),
      },
      opts.requestTimeoutMs ?? 10_000,
    );
    this.attributeClient = new ShadowClient(
      this.conn.client,
      attributeTopics(opts.thing),
      {
        delta: () => undefined,
        documents: () => undefined,
        malformed: (topic, err) =>
          this.log.warn({ topic, err: err.message }, "malformed attributes reply ignored"),
      },
      opts.requestTimeoutMs ?? 10_000,
    );
    this.attributes = new AttributeSync(this.attributeClient, (err) =>
      this.fail(err, "attributes not accepted by the node"),
    );
    this.queue = new OfflineQueue(
      opts.queuePath,
      opts.shadowName ? `${opts.thing}/${opts.shadowName}` : opts.thing,
    );
    this.reporter = new Reporter({
      queue: this.queue,
      send: (patch) => this.shadow.request("update", { state: { reported: patch } }),
      retry: reconnect,
      onAccepted: (version) => this.state.noteVersion(version),
      onError: (err) => this.fail(err, "queued report refused by the node; dropped"),
    });
    this.reconciler = new Reconciler({
      state: this.state,
      report: (patch) => {
        this.state.applyReport(patch);
        return this.reporter.report(patch);
      },
      retry,
      onError: (err) => this.fail(err, "reconcile report failed"),
    });
    this.conn.on("message", (topic, payload) => {
      if (!this.shadow.handle(topic, payload) && !this.attributeClient.handle(topic, payload))
        this.log.debug({ topic }, "message on an unexpected topic");
    });
    this.conn.on("online", () => {
      const session = ++this.session;
      this.log.info({ thing: this.thing, connects: this.conn.connects }, "connected");
      void this.resync(session);
    });
    this.conn.on("offline", () => {
      this.session++;
      // close() ends the link on purpose: that is not worth a warning.
      if (this.closed) this.log.debug({ thing: this.thing }, "connection closed");
      else this.log.warn({ thing: this.thing }, "connection lost; reports are queued until it is back");
      this.shadow.failAll(new DeviceConnectionError("offline", "connection lost"));
      this.attributes.disconnected();
      this.attributeClient.failAll(new DeviceConnectionError("offline", "connection lost"));
      this.reporter.setOnline(false);
    });
    this.conn.on("retrying", ({ attempt, delayMs, reason }) => {
      if (reason === "connection lost") return;
      // Attempts 1, 2, 4, 8, … at warn: an unreachable node is said plainly without flooding the log.
      const level = (attempt & (attempt - 1)) === 0 ? "warn" : "debug";
      this.log[level]({ url: this.opts.url, attempt, retryInMs: delayMs }, `cannot connect: ${reason}`);
    });
    this.conn.on("refused", (err) => {
      if (this.isReady) this.fail(err, "connection refused by the broker; retrying");
      else this.failReady(err);
    });
  }

  start(): void {
    this.conn.start();
  }

  get reported(): JsonObject {
    return structuredClone(this.state.reported);
  }

  get desired(): JsonObject {
    return structuredClone(this.state.desired);
  }

  get delta(): JsonObject | undefined {
    return this.state.delta;
  }

  get version(): number {
    return this.state.version;
  }

  get connected(): boolean {
    return this.conn.connected;
  }

  get stats(): DeviceStats {
    const r = this.reconciler.stats;
    return {
      connects: this.conn.connects,
      resyncs: this.resyncs,
      staleMessages: this.state.stale,
      handlerCalls: r.calls,
      handlerFailures: r.failures,
      reportBatches: this.reporter.stats.batches,
      reportLeaves: this.reporter.stats.leaves,
      queued: this.closed ? 0 : this.reporter.queued,
    };
  }

  ready(): Promise<void> {
    return this.readyPromise;
  }

  report(patch: JsonObject): Promise<void> {
    if (this.closed) return Promise.reject(new DeviceConnectionError("closed", "the device is closed"));
    if (!isJsonObject(patch))
      return Promise.reject(new TypeError("report(patch): patch must be a JSON object"));
    this.reconciler.noteReport(patch);
    this.state.applyReport(patch);
    return this.reporter.report(patch);
  }

  async clearDesired(paths: readonly string[]): Promise<void> {
    if (this.closed) throw new DeviceConnectionError("closed", "the device is closed");
    const patch: JsonObject = {};
    for (const path of paths) {
      const keys = path.split(".");
      let obj = patch;
      for (const key of keys.slice(0, -1)) {
        const next = isJsonObject(obj[key]) ? (obj[key] as JsonObject) : {};
        obj[key] = next;
        obj = next;
      }
      obj[keys[keys.length - 1] as string] = null;
    }
    if (Object.keys(patch).length === 0) return;
    const accepted = await this.shadow.request("update", { state: { desired: patch } });
    this.state.applyDesiredPatch(patch);
    if (typeof accepted.version === "number") this.state.noteVersion(accepted.version);
  }

  async publishTelemetry(values: JsonObject): Promise<boolean> {
    if (this.closed) throw new DeviceConnectionError("closed", "the device is closed");
    if (!isJsonObject(values)) throw new TypeError("publishTelemetry(values): values must be a JSON object");
    if (!this.conn.connected) return false;
    await this.conn.client.publishAsync(telemetryTopic(this.thing), JSON.stringify(values), { qos: 0 });
    return true;
  }

  setAttributes(attributes: JsonObject): Promise<AttributesReply | undefined> {
    if (this.closed) return Promise.reject(new DeviceConnectionError("closed", "the device is closed"));
    if (!isJsonObject(attributes))
      return Promise.reject(new TypeError("setAttributes(attributes): attributes must be a JSON object"));
    return this.attributes.set(attributes);
  }

  onDelta(handler: DeltaHandler): () => void {
    return this.reconciler.setHandler(handler);
  }

  onDesired(listener: (desired: JsonObject, version: number) => void): () => void {
    this.desiredListeners.add(listener);
    return () => this.desiredListeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.session++;
    this.reconciler.stop();
    // Reports not awaited by the caller get a short chance to go out before the link closes.
    if (this.conn.connected) {
      await Promise.race([this.reporter.drain(), new Promise((r) => setTimeout(r, 1000).unref())]);
    }
    this.reporter.close();
    this.shadow.failAll(new DeviceConnectionError("closed", "the device is closed"));
    this.attributes.disconnected();
    this.attributeClient.failAll(new DeviceConnectionError("closed", "the device is closed"));
    this.failReady(new DeviceConnectionError("closed", "the device was closed before it was ready"));
    await this.conn.close();
    this.queue.close();
  }

  /** After a connect: subscribe, replay the queue, fetch the whole shadow, reconcile. */
  private async resync(session: number): Promise<void> {
    const current = () => session === this.session && !this.closed;
    try {
      await this.shadow.subscribe();
      if (!current()) return;
      this.reporter.setOnline(true);
      await this.reporter.drain();
      if (!current()) return;
      await this.fetch();
      if (!current()) return;
      this.resyncs++;
      this.resyncBackoff.reset();
      this.reconciler.activate();
      this.attributes.connected();
      this.emitDesired();
      if (!this.isReady) {
        this.isReady = true;
        this.settleReady();
      }
    } catch (err) {
      if (!current()) return;
      if (!isTransient(err)) {
        if (this.isReady) this.fail(err as Error, "resynchronisation after reconnect failed");
        else this.failReady(err as Error);
        return;
      }
      const delay = this.resyncBackoff.next();
      this.log.warn({ err: (err as Error).message, delay }, "resynchronisation failed; retrying");
      setTimeout(() => {
        if (current()) void this.resync(session);
      }, delay).unref();
    }
  }

  private async fetch(): Promise<void> {
    try {
      const doc = await this.shadow.request("get");
      const full = readFullState(doc);
      if (full) this.state.applyFull(full);
    } catch (err) {
      // No shadow yet (or deleted): nothing desired, nothing to reconcile.
      if (err instanceof ShadowRejectedError && err.code === 404) this.state.clear();
      else throw err;
    }
  }

  private onDocuments(doc: JsonObject): void {
    const current = isJsonObject(doc.current) ? readFullState(doc.current) : undefined;
    if (!current) return;
    // `previous: null` is a new shadow: on AWS its versions start again at 1 after a delete.
    if (!this.state.applyFull(current, doc.previous === null)) return;
    this.reconciler.poke();
    this.emitDesired();
  }

  private emitDesired(): void {
    const desired = this.state.desired;
    if (this.lastDesired !== undefined && jsonEqual(this.lastDesired, desired)) return;
    this.lastDesired = structuredClone(desired);
    for (const listener of this.desiredListeners) {
      try {
        listener(structuredClone(desired), this.state.version);
      } catch (err) {
        this.fail(err as Error, "onDesired listener threw");
      }
    }
  }

  private failReady(err: Error): void {
    if (this.isReady) return;
    this.isReady = true;
    this.settleReady(err);
  }

  private fail(err: Error, message: string): void {
    if (this.opts.onError) this.opts.onError(err);
    else this.log.error({ err: err.message, thing: this.thing }, message);
  }
}
