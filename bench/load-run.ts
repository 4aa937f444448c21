import { Histogram } from "./histogram.ts";
import type { LoopDelay } from "./loop-watch.ts";
import { composition, type NodeComposition, type Scrape, scrape } from "./node-metrics.ts";
import type { BenchOptions } from "./options.ts";
import {
  type BrokerProcess,
  machineBusySeconds,
  mainThreadCpuSeconds,
  procSample,
  RssWatch,
  Worker,
} from "./procs.ts";
import type { ConnectResult, DeviceMode, PhaseResult, WorkerCommand } from "./protocol.ts";
import { deviceId } from "./things.ts";

export interface PhaseFigures {
  /** Replies received inside the window per second of window. */
  perSecond: number;
  sent: number;
  completed: number;
  rejected: number;
  unanswered: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  meanMs: number;
  maxSendLagMs: number;
  /** CPU of the broker process during the phase, % of one core. */
  brokerCpuPct: number;
  /** CPU of the broker's main thread alone (the rest: worker threads, libuv's pool). */
  brokerMainCpuPct: number;
  /** CPU of all load workers together, % of one core. */
  workersCpuPct: number;
  /**
   * CPU used by every other process of the machine during the phase (% of one core): the bench, the
   * OS, and anything else running. Large values mean the figures of this phase are disturbed.
   */
  foreignCpuPct: number;
  /** Worst latency of the requests started in each second of the window, all workers. */
  maxBySecondMs: number[];
  /** Device connections lost since connecting (cumulative). */
  disconnects: number;
  /** The load workers' own event-loop delay (worst worker): a client stall delays every reply it holds. */
  clientLoop: LoopDelay;
  /** What the node's /metrics say about the phase (Umbra only): commit composition, event loop, GC. */
  node?: NodeComposition;
}

export interface LoadProgress {
  /** The step running now (after a failure: the step that failed). */
  during: string;
  figures: Partial<LoadFigures>;
}

export interface LoadFigures {
  devices: number;
  connectFailed: number;
  connectSeconds: number;
  connectsPerSecond: number;
  rssAfterConnectBytes: number;
  closed: PhaseFigures;
  open: PhaseFigures;
  /** desired → delta at the device (shadow mode only). */
  delta?: PhaseFigures;
  /** The unmeasured desired writes before it (its first seconds, reported for what they show). */
  deltaWarmup?: PhaseFigures;
  rssPeakBytes: number;
  hwmBytes: number;
  disconnects: number;
}

const log = (s: string) => process.stderr.write(`bench: ${s}\n`);

/** Seconds of desired writes before the measured desired→delta phase (at most --warmup). */
const DESIRED_WARMUP_S = 2;

/** Connects the devices to `broker` from worker processes and runs the load phases against it. */
export async function runLoad(
  broker: BrokerProcess,
  mode: DeviceMode,
  opts: BenchOptions,
  /** Filled as the run goes, so that what was measured before a failure can still be reported. */
  progress: LoadProgress = { during: "start", figures: {} },
): Promise<LoadFigures> {
  const got = progress.figures;
  const nWorkers = Math.max(1, Math.min(opts.workers, opts.devices));
  const workers = Array.from({ length: nWorkers }, () => new Worker());
  const watch = new RssWatch(broker.pid);
  try {
    const share = Math.ceil(opts.devices / nWorkers);
    // Workers load mqtt.js through tsx first; that start-up is not part of the connect time.
    await Promise.all(workers.map((w) => w.request({ cmd: "ping" }, 30_000)));
    const t = performance.now();
    progress.during = "connect";
    const connects = await Promise.race([
      broker.died,
      Promise.all(
        workers.map((w, k) => {
          const ids: string[] = [];
          for (let i = k * share; i < Math.min(opts.devices, (k + 1) * share); i++) ids.push(deviceId(i));
          const cmd: WorkerCommand = {
            cmd: "connect",
            url: broker.url,
            ids,
            mode,
            concurrency: 50,
            timeoutMs: 30_000,
          };
          return w.request<ConnectResult>(cmd, 60_000 + ids.length * 20);
        }),
      ),
    ]);
    const connectSeconds = (performance.now() - t) / 1000;
    const connected = connects.reduce((a, c) => a + c.connected, 0);
    const connectFailed = connects.reduce((a, c) => a + c.failed, 0);
    log(`${mode}: ${connected} devices connected in ${connectSeconds.toFixed(1)} s, ${connectFailed} failed`);
    if (connected === 0)
      throw new Error(`no device could connect: ${connects.find((c) => c.firstError)?.firstError}`);
    const rssAfterConnectBytes = procSample(broker.pid).rssBytes;
    Object.assign(got, {
      devices: connected,
      connectFailed,
      connectSeconds,
      connectsPerSecond: connected / connectSeconds,
      rssAfterConnectBytes,
    });

    const drainMs = 30_000;
    const limit = (seconds: number) => (seconds * 1000 + drainMs) * 1.5 + 10_000;
    if (opts.warmup > 0) {
      log(`${mode}: warm-up ${opts.warmup} s (closed loop)`);
      progress.during = "warm-up";
      await phase(
        workers,
        broker,
        { cmd: "closed", durationMs: opts.warmup * 1000, drainMs },
        limit(opts.warmup),
      );
    }
    log(`${mode}: closed loop ${opts.duration} s`);
    progress.during = "closed loop";
    const closed = await phase(
      workers,
      broker,
      { cmd: "closed", durationMs: opts.duration * 1000, drainMs },
      limit(opts.duration),
    );
    got.closed = closed;
    log(`${mode}: open loop ${opts.rate}/s for ${opts.duration} s`);
    progress.during = "open loop";
    const perWorker = opts.rate / nWorkers;
    const open = await phase(
      workers,
      broker,
      { cmd: "open", rate: perWorker, durationMs: opts.duration * 1000, drainMs },
      limit(opts.duration),
    );
    got.open = open;
    let delta: PhaseFigures | undefined;
    if (mode === "shadow") {
      const desired = (seconds: number): WorkerCommand => ({
        cmd: "desired",
        rate: opts.deltaRate / nWorkers,
        durationMs: seconds * 1000,
        drainMs,
      });
      // The closed-loop warm-up runs reported updates only: the first second of desired writes ran code
      // neither the node nor the clients had run yet (desired, delta), and its stall was measured as
      // part of the phase (docs/benchmarks.md, "Open-loop latency composition"). Warmed up the same way.
      const warm = Math.min(opts.warmup, DESIRED_WARMUP_S);
      if (warm > 0) {
        log(`${mode}: desired warm-up ${warm} s`);
        progress.during = "desired warm-up";
        got.deltaWarmup = await phase(workers, broker, desired(warm), limit(warm));
      }
      log(`${mode}: desired->delta ${opts.deltaRate}/s for ${opts.duration} s`);
      progress.during = "desired->delta";
      delta = await phase(workers, broker, desired(opts.duration), limit(opts.duration));
    }
    const last = procSample(broker.pid);
    return {
      devices: connected,
      connectFailed,
      connectSeconds,
      connectsPerSecond: connected / connectSeconds,
      rssAfterConnectBytes,
      closed,
      open,
      delta,
      deltaWarmup: got.deltaWarmup,
      rssPeakBytes: Math.max(watch.stop(), last.rssBytes),
      hwmBytes: last.hwmBytes,
      disconnects: (delta ?? open).disconnects,
    };
  } finally {
    got.rssPeakBytes = Math.max(got.rssPeakBytes ?? 0, watch.stop());
    await Promise.all(workers.map((w) => w.close()));
  }
}

async function phase(
  workers: Worker[],
  broker: BrokerProcess,
  cmd: WorkerCommand,
  timeoutMs: number,
): Promise<PhaseFigures> {
  const cpu0 = procSample(broker.pid).cpuSeconds;
  const main0 = mainThreadCpuSeconds(broker.pid);
  const wcpu0 = workers.reduce((a, w) => a + procSample(w.pid).cpuSeconds, 0);
  const m0 = machineBusySeconds();
  const before = await scrapeOrNot(broker);
  const t0 = performance.now();
  const parts = await Promise.race([
    Promise.all(workers.map((w) => w.request<PhaseResult>(cmd, timeoutMs))),
    broker.died,
  ]);
  const wall = (performance.now() - t0) / 1000;
  const cpu = procSample(broker.pid).cpuSeconds - cpu0;
  const mainCpu = mainThreadCpuSeconds(broker.pid) - main0;
  const wcpu = workers.reduce((a, w) => a + procSample(w.pid).cpuSeconds, 0) - wcpu0;
  const foreign = machineBusySeconds() - m0 - cpu - wcpu;
  const after = before ? await scrapeOrNot(broker) : undefined;
  const h = Histogram.from(parts.map((p) => p.latency));
  const sum = (f: (p: PhaseResult) => number) => parts.reduce((a, p) => a + f(p), 0);
  const windowS = Math.max(...parts.map((p) => p.windowMs)) / 1000;
  return {
    perSecond: sum((p) => p.completedInWindow) / windowS,
    sent: sum((p) => p.sent),
    completed: sum((p) => p.completed),
    rejected: sum((p) => p.rejected),
    unanswered: sum((p) => p.unanswered),
    p50Ms: h.quantile(0.5),
    p99Ms: h.quantile(0.99),
    p999Ms: h.quantile(0.999),
    maxMs: h.maxMs,
    meanMs: h.meanMs,
    maxSendLagMs: Math.max(...parts.map((p) => p.maxSendLagMs)),
    brokerCpuPct: (100 * cpu) / wall,
    brokerMainCpuPct: (100 * mainCpu) / wall,
    workersCpuPct: (100 * wcpu) / wall,
    foreignCpuPct: Math.max(0, (100 * foreign) / wall),
    disconnects: sum((p) => p.disconnects),
    maxBySecondMs: worstBySecond(parts.map((p) => p.maxBySecondMs)),
    clientLoop: {
      p99Ms: Math.max(...parts.map((p) => p.loop.p99Ms)),
      maxMs: Math.max(...parts.map((p) => p.loop.maxMs)),
      maxBySecondMs: worstBySecond(parts.map((p) => p.loop.maxBySecondMs)),
      gcMaxMs: Math.max(...parts.map((p) => p.loop.gcMaxMs)),
      gcMajor: sum((p) => p.loop.gcMajor),
      gcMajorMaxMs: Math.max(...parts.map((p) => p.loop.gcMajorMaxMs)),
      heapUsedMiB: Math.max(...parts.map((p) => p.loop.heapUsedMiB)),
    },
    node: before && after ? composition(before, after) : undefined,
  };
}

function worstBySecond(rows: number[][]): number[] {
  return Array.from({ length: Math.max(...rows.map((r) => r.length)) }, (_, i) =>
    Math.max(...rows.map((r) => r[i] ?? 0)),
  );
}

/** The node's metrics, or undefined for a broker without them (the aedes baseline) or if the scrape fails. */
async function scrapeOrNot(broker: BrokerProcess): Promise<Scrape | undefined> {
  if (!broker.httpUrl) return undefined;
  try {
    return await scrape(broker.httpUrl);
  } catch (err) {
    log(`reading ${broker.httpUrl}/metrics failed: ${(err as Error).message}`);
    return undefined;
  }
}
