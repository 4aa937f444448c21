import { EventEmitter } from "node:events";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { Backoff, type BackoffSettings } from "./backoff.ts";
import { DeviceConnectionError } from "./errors.ts";
import type { DeviceOptions } from "./types.ts";

export interface ConnectionOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  tls?: DeviceOptions["tls"];
  keepaliveSec: number;
  connectTimeoutMs: number;
  reconnect: BackoffSettings;
  random?: () => number;
  /** Retained status topic with a last will on it; none when undefined. */
  statusTopic?: string;
}

export interface ConnectionEvents {
  online: [];
  offline: [];
  message: [topic: string, payload: Buffer];
  /** The broker refused the CONNECT (CONNACK 1–5): bad credentials, not authorized, client id refused. */
  refused: [err: DeviceConnectionError];
  /** A connect attempt failed (or the link dropped) and the next one is scheduled: say why and when. */
  retrying: [info: { attempt: number; delayMs: number; reason: string }];
}

/** Payloads on the status topic. The will is what the broker publishes when the link dies unannounced. */
export function statusPayload(connected: boolean, reason?: string): string {
  const body: Record<string, unknown> = { connected };
  if (connected || reason === "closed") body.since = Math.floor(Date.now() / 1000);
  if (reason) body.reason = reason;
  return JSON.stringify(body);
}

/**
 * One MQTT 3.1.1 connection that keeps itself up: reconnects with exponential backoff and full jitter
 * (mqtt.js only knows a fixed period, which makes a fleet hammer a restarting node in lockstep), a clean
 * session each time (the SDK re-subscribes and re-fetches, so nothing depends on broker-side sessions),
 * and a retained status with a last will so plain MQTT tools see when the device is gone.
 */
export class Connection extends EventEmitter<ConnectionEvents> {
  readonly client: MqttClient;
  private readonly backoff: Backoff;
  private timer: NodeJS.Timeout | undefined;
  private closing = false;
  private up = false;
  /** Successful connects so far (1 after the first). */
  connects = 0;
  /** Failed attempts since the last successful connect. */
  private failures = 0;
  lastError: Error | undefined;

  constructor(private readonly opts: ConnectionOptions) {
    super();
    this.backoff = new Backoff(opts.reconnect, opts.random);
    const options: IClientOptions = {
      protocolVersion: 4,
      clientId: opts.clientId,
      username: opts.username,
      password: opts.password,
      clean: true,
      keepalive: opts.keepaliveSec,
      connectTimeout: opts.connectTimeoutMs,
      reconnectPeriod: 0,
      resubscribe: false,
      queueQoSZero: false,
      manualConnect: true,
      ...(opts.tls ?? {}),
    };
    if (opts.statusTopic) {
      options.will = {
        topic: opts.statusTopic,
        payload: Buffer.from(statusPayload(false, "connection lost")),
        qos: 1,
        retain: true,
      };
    }
    this.client = mqtt.connect(opts.url, options);
    this.client.on("connect", () => this.onConnect());
    this.client.on("close", () => this.onClose());
    this.client.on("message", (topic, payload) => this.emit("message", topic, payload));
    this.client.on("error", (err) => this.onError(err));
  }

  start(): void {
    this.client.connect();
  }

  get connected(): boolean {
    return this.up;
  }

  /** Announces `closed` on the status topic (the will is not sent on a clean disconnect), then disconnects. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.up && this.opts.statusTopic) {
      await this.publishStatus(false, "closed").catch(() => undefined);
    }
    await new Promise<void>((resolve) => {
      // A dead link cannot deliver DISCONNECT: force the close after a bounded wait.
      const force = setTimeout(() => this.client.end(true, () => resolve()), 1000);
      this.client.end(false, () => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  private onConnect(): void {
    this.up = true;
    this.connects++;
    this.backoff.reset();
    this.failures = 0;
    this.lastError = undefined;
    if (this.opts.statusTopic) this.publishStatus(true).catch(() => undefined);
    this.emit("online");
  }

  private onClose(): void {
    const wasUp = this.up;
    this.up = false;
    if (wasUp) this.emit("offline");
    if (this.closing || this.timer) return;
    const delay = this.backoff.next();
    if (!wasUp) this.failures++;
    this.emit("retrying", {
      attempt: this.failures,
      delayMs: delay,
      reason: wasUp ? "connection lost" : describeConnectError(this.lastError),
    });
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.closing) this.client.reconnect();
    }, delay);
  }

  private onError(err: Error & { code?: unknown }): void {
    this.lastError = err;
    // mqtt.js reports a refused CONNECT as an error whose code is the CONNACK return code (1–5).
    if (typeof err.code === "number" && err.code >= 1 && err.code <= 5 && !this.up) {
      this.emit("refused", new DeviceConnectionError("refused", err.message, err.code));
    }
  }

  private publishStatus(connected: boolean, reason?: string): Promise<unknown> {
    const topic = this.opts.statusTopic;
    if (!topic) return Promise.resolve();
    return this.client.publishAsync(topic, statusPayload(connected, reason), { qos: 1, retain: true });
  }
}

/** Why a connect attempt failed, in words an operator can act on. */
export function describeConnectError(err: (Error & { code?: unknown }) | undefined): string {
  if (!err) return "the node closed the connection before CONNACK (is this an MQTT port?)";
  switch (err.code) {
    case "ECONNREFUSED":
      return "connection refused (nothing listens on that port: is the node running, is this its MQTT port?)";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `host not found (${err.message})`;
    case "ETIMEDOUT":
      return "connect timed out (firewall or wrong host?)";
    case "ECONNRESET":
      return "connection reset by the peer (a TLS port reached without TLS, or the other way round?)";
    default:
      return err.message;
  }
}
