import type { JsonObject } from "../../shared/json.ts";
import type { AttributesReply } from "./attributes.ts";

/**
 * The public contract of the device SDK. `connectDevice(options)` (device-agent/sdk/connect.ts) returns a
 * `Device`. The host agent and the firmware bridge build on exactly this interface.
 */
export interface DeviceOptions {
  /** mqtt://, mqtts://, ws:// or wss:// URL of a node (or any broker speaking the AWS shadow protocol). */
  url: string;
  /** Thing name; also the MQTT client id unless `clientId` is given. */
  thing: string;
  username?: string;
  password?: string;
  /** TLS material for mqtts/wss: CA to trust, and a client certificate for mutual TLS. */
  tls?: { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer; rejectUnauthorized?: boolean };
  /** Named shadow; the classic shadow when absent. */
  shadowName?: string;
  /** Topic root: `$aws` (default, works against AWS IoT too) or `$umbra`. */
  root?: "$aws" | "$umbra";
  clientId?: string;
  /** Path of the durable offline report queue (SQLite). Default: in memory (lost on exit). */
  queuePath?: string;
  /** Retry of failed handlers: exponential backoff with full jitter. */
  retry?: { initialMs?: number; maxMs?: number };
  /** Reconnect backoff of the MQTT connection. */
  reconnect?: { initialMs?: number; maxMs?: number };
  /**
   * Retained status topic that carries the MQTT last will: `{"connected":true,"since":…}` after each
   * connect, `{"connected":false,"reason":"closed","since":…}` on close(), and the will
   * `{"connected":false,"reason":"connection lost"}` published by the broker when the link dies.
   * Default `things/{thing}/status`; `false` for none.
   */
  statusTopic?: string | false;
  /** How long a shadow request waits for its reply before it is retried (default 10000). */
  requestTimeoutMs?: number;
  /** MQTT keepalive in seconds (default 30): bounds how long a silently dead link goes unnoticed. */
  keepaliveSec?: number;
  /** Timeout of one connection attempt (TCP, TLS, CONNACK) in ms (default 10000). */
  connectTimeoutMs?: number;
  /**
   * `connectDevice` resolves once `ready()` does (default true). With false it resolves at once: the
   * device keeps connecting in the background and reports are queued meanwhile.
   */
  waitForReady?: boolean;
  /**
   * Errors with no caller to hand them to: a queued report the node refused for good (400/403/413), a
   * resynchronisation that failed after a reconnect. Default: logged with `log.error`.
   */
  onError?: (err: Error) => void;
  /** Optional logger (pino-compatible: info/warn/error/debug). */
  log?: {
    debug(o: unknown, m?: string): void;
    info(o: unknown, m?: string): void;
    warn(o: unknown, m?: string): void;
    error(o: unknown, m?: string): void;
  };
}

/** What a delta handler returns: the values to report, or that it cannot apply the change (and why). */
export type HandlerResult =
  | { reported?: JsonObject }
  | { cannot: string; retry?: boolean }
  | undefined
  // biome-ignore lint/suspicious/noConfusingVoidType: a handler that returns nothing (`void`) reports nothing.
  | void;

export interface DeltaContext {
  /** Shadow version the delta belongs to. */
  version: number;
  /** The full desired state at that version. */
  desired: JsonObject;
  /** Attempt number for this delta (1 on the first call, higher on retries). */
  attempt: number;
}

export type DeltaHandler = (delta: JsonObject, ctx: DeltaContext) => Promise<HandlerResult> | HandlerResult;

export interface Device {
  readonly thing: string;
  /** Last known state (from the node's documents or our own accepted reports). */
  readonly reported: JsonObject;
  readonly desired: JsonObject;
  /** Desired leaves that differ from reported, or undefined when in sync. */
  readonly delta: JsonObject | undefined;
  readonly version: number;
  readonly connected: boolean;
  /** Resolves once connected, subscribed and the full shadow has been fetched the first time. */
  ready(): Promise<void>;
  /**
   * Reports state. Online: resolves when the node accepted it. Offline: resolves once the report is in
   * the durable queue; queued reports are coalesced (latest value per key) and sent in order on reconnect.
   */
  report(patch: JsonObject): Promise<void>;
  /**
   * Removes desired keys (dotted paths, e.g. `["power"]`): for one-shot commands such as a reboot,
   * so the command is not run again after a restart. Online only: rejects when the node is not
   * reachable or refuses (the caller decides whether to retry).
   */
  clearDesired(paths: readonly string[]): Promise<void>;
  /**
   * States this device's inventory attributes (type, vendor, model, serial, location, labels; docs/fleet.md):
   * the whole set it knows. Sent now when online and again at every connect; the node drops keys this
   * device set before and no longer states, and never overwrites a key an operator set by hand (the
   * answer's `kept` names those). Resolves undefined while offline (sent on connect) or unchanged.
   */
  setAttributes(attributes: JsonObject): Promise<AttributesReply | undefined>;
  /**
   * Publishes measurements as telemetry on `things/{thing}/telemetry` (docs/telemetry.md), on this
   * device's own connection with QoS 0: best effort, never queued. Add `ts` (Unix ms) for the time the
   * values were measured; the node uses its receive time otherwise. Resolves true once sent, false when
   * the device is offline (the values are dropped: the next sample replaces them).
   */
  publishTelemetry(values: JsonObject): Promise<boolean>;
  /** Registers the reconcile handler (one per device); called for the current delta at once if any. */
  onDelta(handler: DeltaHandler): () => void;
  /** Called with the full desired state whenever it changes. */
  onDesired(listener: (desired: JsonObject, version: number) => void): () => void;
  close(): Promise<void>;
}
