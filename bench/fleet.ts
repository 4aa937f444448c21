import { writeFileSync } from "node:fs";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { Histogram } from "./histogram.ts";
import { LoopWatch } from "./loop-watch.ts";
import type { ConnectResult, DeviceMode, PhaseResult } from "./protocol.ts";

/** A request in flight: the phase it belongs to and when it started (or was scheduled to start). */
interface InFlight {
  phase: number;
  t: number;
}

interface Device {
  id: string;
  client: MqttClient;
  requestTopic: string;
  /** Replies arrive in request order per device (one SQLite commit order, one TCP stream), so a FIFO matches them. */
  pending: InFlight[];
  deltas: InFlight[];
  seq: number;
}

interface Phase {
  id: number;
  kind: "closed" | "open" | "desired";
  running: boolean;
  t0: number;
  t1: number;
  sent: number;
  completed: number;
  completedInWindow: number;
  rejected: number;
  maxSendLagMs: number;
  hist: Histogram;
  maxBySecond: number[];
  loop: LoopWatch;
  /** With BENCH_LATENCY_TRACE=<dir>: each completed request as [sent (ms since the epoch), latency ms]. */
  trace: [number, number][] | undefined;
}

/** Where the load workers write their requests for bench/latency-trace.ts (shadow-bench --trace). */
const TRACE_DIR = process.env.BENCH_LATENCY_TRACE;

const now = () => performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Connects a share of the simulated devices and drives them through the measurement phases. */
export class Fleet {
  private devices: Device[] = [];
  private operator: MqttClient | undefined;
  private phase: Phase | undefined;
  private phaseSeq = 0;
  private disconnects = 0;
  private closing = false;
  private mode: DeviceMode = "shadow";
  private desiredSeq = 0;

  async connect(
    url: string,
    ids: string[],
    mode: DeviceMode,
    concurrency: number,
    timeoutMs: number,
  ): Promise<ConnectResult> {
    this.mode = mode;
    const started = now();
    let failed = 0;
    let firstError: string | undefined;
    let next = 0;
    const one = async (id: string) => {
      try {
        this.devices.push(await this.connectDevice(url, id, timeoutMs));
      } catch (err) {
        failed++;
        firstError ??= (err as Error).message;
      }
    };
    const lanes = Array.from({ length: Math.min(concurrency, ids.length) }, async () => {
      while (next < ids.length) await one(ids[next++] as string);
    });
    await Promise.all(lanes);
    if (mode === "shadow") this.operator = await open(url, `bench-operator-${process.pid}`, timeoutMs);
    return { connected: this.devices.length, failed, firstError, ms: now() - started };
  }

  private async connectDevice(url: string, id: string, timeoutMs: number): Promise<Device> {
    const client = await open(url, id, timeoutMs);
    const base = `$umbra/things/${id}/shadow/update`;
    const echo = `bench/${id}/echo`;
    const device: Device = {
      id,
      client,
      requestTopic: this.mode === "shadow" ? base : echo,
      pending: [],
      deltas: [],
      seq: 0,
    };
    client.on("message", (topic) => {
      if (this.mode === "echo") this.onReply(device, device.pending, false);
      else if (topic.endsWith("/accepted")) this.onReply(device, device.pending, false);
      else if (topic.endsWith("/rejected")) this.onReply(device, device.pending, true);
      else if (topic.endsWith("/delta")) this.onReply(device, device.deltas, false);
    });
    client.on("close", () => {
      if (!this.closing) this.disconnects++;
    });
    const topics =
      this.mode === "shadow" ? [`${base}/accepted`, `${base}/rejected`, `${base}/delta`] : [echo];
    await withTimeout(client.subscribeAsync(topics, { qos: 1 }), timeoutMs, `subscribe ${id}`);
    return device;
  }

  private onReply(device: Device, queue: InFlight[], rejected: boolean): void {
    const req = queue.shift();
    const phase = this.phase;
    // Replies to another client's request (an operator's update also answers on this thing's
    // accepted topic) or to an earlier phase are not this phase's to count.
    if (req === undefined || phase === undefined || req.phase !== phase.id) return;
    const t = now();
    phase.completed++;
    if (t <= phase.t1) phase.completedInWindow++;
    if (rejected) phase.rejected++;
    phase.hist.record(t - req.t);
    phase.trace?.push([performance.timeOrigin + req.t, t - req.t]);
    const second = Math.max(0, Math.floor((req.t - phase.t0) / 1000));
    phase.maxBySecond[second] = Math.max(phase.maxBySecond[second] ?? 0, t - req.t);
    if (phase.kind === "closed" && phase.running) this.send(device, phase, t);
  }

  private send(device: Device, phase: Phase, t: number): void {
    device.seq++;
    const payload =
      this.mode === "shadow"
        ? `{"state":{"reported":{"temp":${(20 + Math.random() * 10).toFixed(2)},"load":${device.seq % 100},"seq":${device.seq}}},"clientToken":"${device.seq}"}`
        : `{"state":{"reported":{"temp":${(20 + Math.random() * 10).toFixed(2)},"load":${device.seq % 100},"seq":${device.seq}}}}`;
    device.pending.push({ phase: phase.id, t });
    phase.sent++;
    device.client.publish(device.requestTopic, payload, { qos: 1 });
  }

  private setDesired(device: Device, phase: Phase, t: number): void {
    const op = this.operator;
    if (!op) throw new Error("the desired phase needs shadow mode");
    this.desiredSeq++;
    device.deltas.push({ phase: phase.id, t });
    phase.sent++;
    op.publish(
      `$umbra/things/${device.id}/shadow/update`,
      `{"state":{"desired":{"setpoint":${this.desiredSeq}}}}`,
      {
        qos: 1,
      },
    );
  }

  private startPhase(kind: Phase["kind"], durationMs: number): Phase {
    const t0 = now();
    this.phase?.loop.stop();
    this.phase = {
      id: ++this.phaseSeq,
      kind,
      running: true,
      t0,
      t1: t0 + durationMs,
      sent: 0,
      completed: 0,
      completedInWindow: 0,
      rejected: 0,
      maxSendLagMs: 0,
      hist: new Histogram(),
      maxBySecond: [],
      loop: new LoopWatch(t0),
      trace: TRACE_DIR && kind !== "closed" ? [] : undefined,
    };
    return this.phase;
  }

  /** Closed loop: every device keeps exactly one update in flight for the whole window. */
  async closed(durationMs: number, drainMs: number): Promise<PhaseResult> {
    const phase = this.startPhase("closed", durationMs);
    for (const d of this.devices) this.send(d, phase, now());
    await sleep(durationMs);
    return this.finish(phase, drainMs);
  }

  /** Open loop: requests at a fixed rate whatever the replies do; latency counts from the schedule. */
  async open(
    kind: "open" | "desired",
    rate: number,
    durationMs: number,
    drainMs: number,
  ): Promise<PhaseResult> {
    if (this.devices.length === 0) throw new Error("no devices connected");
    const phase = this.startPhase(kind, durationMs);
    const total = Math.floor((rate * durationMs) / 1000);
    let k = 0;
    await new Promise<void>((resolve) => {
      const tick = () => {
        const t = now();
        // Request k is due at t0 + k/rate: every k with a due time <= now is sent in this tick.
        const due = Math.min(total, Math.floor(((t - phase.t0) * rate) / 1000) + 1);
        for (; k < due; k++) {
          const scheduled = phase.t0 + (k * 1000) / rate;
          phase.maxSendLagMs = Math.max(phase.maxSendLagMs, t - scheduled);
          const device = this.devices[k % this.devices.length] as Device;
          if (kind === "open") this.send(device, phase, scheduled);
          else this.setDesired(device, phase, scheduled);
        }
        if (k >= total || t >= phase.t1) {
          clearInterval(timer);
          resolve();
        }
      };
      const timer = setInterval(tick, 1);
    });
    const left = phase.t1 - now();
    if (left > 0) await sleep(left);
    return this.finish(phase, drainMs);
  }

  private async finish(phase: Phase, drainMs: number): Promise<PhaseResult> {
    phase.running = false;
    const deadline = now() + drainMs;
    while (phase.completed < phase.sent && now() < deadline) await sleep(10);
    const loop = phase.loop.stop();
    // Named so that bench/latency-trace.ts takes the last phase of a kind (after the desired warm-up).
    if (TRACE_DIR && phase.trace)
      writeFileSync(
        join(TRACE_DIR, `${phase.kind}-${phase.id}-${process.pid}.json`),
        JSON.stringify(phase.trace),
      );
    return {
      sent: phase.sent,
      completedInWindow: phase.completedInWindow,
      completed: phase.completed,
      rejected: phase.rejected,
      unanswered: phase.sent - phase.completed,
      maxSendLagMs: phase.maxSendLagMs,
      disconnects: this.disconnects,
      windowMs: phase.t1 - phase.t0,
      latency: phase.hist.toData(),
      maxBySecondMs: Array.from(phase.maxBySecond, (v) => Math.round(v ?? 0)),
      loop,
    };
  }

  async close(): Promise<void> {
    this.closing = true;
    const all = [...this.devices.map((d) => d.client), ...(this.operator ? [this.operator] : [])];
    await Promise.all(all.map((c) => withTimeout(c.endAsync(true), 2000, "end").catch(() => undefined)));
    this.devices = [];
  }
}

async function open(url: string, clientId: string, timeoutMs: number): Promise<MqttClient> {
  const client = mqtt.connect(url, {
    clientId,
    // UMBRA_BENCH_MQTT=5: the same fleet over MQTT 5 (docs/mqtt5.md); default 3.1.1.
    protocolVersion: process.env.UMBRA_BENCH_MQTT === "5" ? 5 : 4,
    clean: true,
    keepalive: 60,
    reconnectPeriod: 0,
    connectTimeout: timeoutMs,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      client.once("connect", () => resolve());
      client.once("error", reject);
      client.once("close", () => reject(new Error(`connection of ${clientId} closed before CONNACK`)));
    });
  } catch (err) {
    client.end(true);
    throw err;
  }
  client.on("error", () => undefined); // counted through "close"
  // The simulated devices disable Nagle: with it, a QoS 1 round trip on loopback waits for delayed
  // ACKs (~40 ms) and the bench would measure TCP timers instead of the broker.
  (client.stream as unknown as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  return client;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}
