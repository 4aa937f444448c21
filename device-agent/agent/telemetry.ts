import os from "node:os";
import type { JsonObject } from "../../shared/json.ts";
import { telemetryTopic } from "../../shared/telemetry-payload.ts";
import { diskUsage } from "./facts.ts";
import {
  type CpuTimes,
  cpuPercent,
  parseMeminfo,
  parseMounts,
  parseNetDev,
  parseProcStat,
  readText,
  realMounts,
} from "./proc.ts";

/**
 * Telemetry: how the host is doing right now. Published as plain JSON on `things/{thing}/telemetry`
 * (not shadow state: values that change every few seconds would churn the shadow's history). A device
 * identity may publish there (docs/security.md). Samples are not queued while offline: a missed sample
 * is replaced by the next one.
 */
export const MAX_NET_INTERFACES = 64;

export { telemetryTopic };

export class TelemetrySampler {
  private prevCpu: CpuTimes | undefined;

  constructor() {
    // The first sample's CPU % covers the time since the agent started, not since boot.
    this.prevCpu = parseProcStat(readText("/proc/stat") ?? "");
  }

  async sample(thing: string): Promise<JsonObject> {
    const cpu = parseProcStat(readText("/proc/stat") ?? "");
    const percent = cpu && this.prevCpu ? cpuPercent(this.prevCpu, cpu) : null;
    if (cpu) this.prevCpu = cpu;

    const mem = parseMeminfo(readText("/proc/meminfo") ?? "");
    const total = mem.get("MemTotal") ?? os.totalmem();
    const available = mem.get("MemAvailable") ?? os.freemem();
    const swapTotal = mem.get("SwapTotal") ?? 0;
    const swapFree = mem.get("SwapFree") ?? 0;

    const disks: JsonObject = {};
    for (const m of realMounts(parseMounts(readText("/proc/mounts") ?? ""))) {
      const usage = await diskUsage(m.mountPoint);
      if (usage) disks[m.mountPoint] = usage;
    }

    const net: JsonObject = {};
    const counters = [...parseNetDev(readText("/proc/net/dev") ?? "")].filter(([name]) => name !== "lo");
    for (const [name, c] of counters.slice(0, MAX_NET_INTERFACES)) net[name] = { ...c };

    const [l1 = 0, l5 = 0, l15 = 0] = os.loadavg();
    return {
      thing,
      ts: Date.now(),
      uptimeSeconds: Math.floor(os.uptime()),
      load: [round2(l1), round2(l5), round2(l15)],
      cpu: { percent, count: os.cpus().length },
      memory: {
        totalBytes: total,
        availableBytes: available,
        usedBytes: total - available,
        percent: total > 0 ? Math.round(((total - available) / total) * 1000) / 10 : 0,
      },
      swap: { totalBytes: swapTotal, usedBytes: swapTotal - swapFree },
      disks,
      net,
    };
  }
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

export interface TelemetryLoop {
  stop(): void;
}

/**
 * Samples and publishes every `intervalMs`, first at once. One sample at a time: a slow statfs delays
 * the next tick instead of piling up samples.
 */
export function startTelemetry(opts: {
  thing: string;
  intervalMs: number;
  /** Sends one sample (on `things/{thing}/telemetry`); rejects when it could not be sent. */
  publish: (sample: JsonObject) => Promise<void>;
  onError?: (err: unknown) => void;
  sampler?: TelemetrySampler;
}): TelemetryLoop {
  const sampler = opts.sampler ?? new TelemetrySampler();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    if (stopped) return;
    const started = Date.now();
    try {
      await opts.publish(await sampler.sample(opts.thing));
    } catch (err) {
      opts.onError?.(err);
    }
    if (!stopped) timer = setTimeout(tick, Math.max(0, opts.intervalMs - (Date.now() - started)));
  };
  void tick();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
