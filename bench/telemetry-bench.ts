/**
 * The telemetry benchmark (`npm run bench:telemetry`, or `npx tsx bench/telemetry-bench.ts --quick`).
 *
 *  1. Ingest through MQTT: a node started in this process (anonymous, loopback); N devices (default
 *     10,000) as real mqtt.js connections in 2 forked worker processes, each publishing
 *     `things/{thing}/telemetry` with 10 metrics, QoS 1, closed loop. Figure: samples per second
 *     written to telemetry.db (rows committed, not just received) over the measurement window, with
 *     the writer queue and rollup backlog at its end.
 *  2. Query latency over a day of data: one metric with one sample a second for 24 h (86,400 samples)
 *     recorded on that same node (whose store now holds the ingest phase's data too), rolled up, then
 *     queried over HTTP: raw 1 h, raw 1 day (first 20,000 points), 1-minute buckets and hourly buckets
 *     over the day. p50/p95 of 30 requests each.
 *  3. Storage: a fresh telemetry.db filled with 1,000,000 samples (1,000 series × 1,000 samples, 10 s
 *     apart, one-decimal values), rolled up. Figures: bytes per sample (raw only, and with rollups),
 *     direct store write and rollup rates.
 * Prints a table, then one machine-readable line `BENCH_RESULT {json}` last.
 */
import { fork } from "node:child_process";
import { rmSync, statSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../broker/config-load.ts";
import { startNode } from "../broker/node.ts";
import type { TelemetryExtension } from "../broker/telemetry/extension.ts";
import { TelemetryStore } from "../broker/telemetry/store.ts";
import { createLogger } from "../shared/logger.ts";
import type { TelemetrySample } from "../shared/telemetry.ts";
import { REPO_ROOT, tempDir, track } from "./procs.ts";

if (process.argv.includes("--help") || process.argv.includes("-h")) {
  process.stdout.write(`Usage: npm run bench:telemetry -- [--quick] [--devices N] [--seconds S]

Telemetry ingest (N MQTT devices in 2 client processes, 10 metrics per message, offered rate stepped up
until the node stops keeping up), query latency over a day of 1 Hz data (raw, 1 m, 1 h), and bytes
per sample on disk. Defaults: 10,000 devices, 10 s per step; --quick: 2,000 devices, 5 s per step.
Results: docs/benchmarks.md.
`);
  process.exit(0);
}
const quick = process.argv.includes("--quick");
const argNum = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const DEVICES = argNum("devices", quick ? 2000 : 10_000);
const METRICS = 10;
const WORKERS = 2;
const WARMUP_MS = quick ? 2000 : 3000;
/** Per-device publish intervals tried in turn: 10,000 devices × 10 metrics give 10k … 100k samples/s. */
const INTERVALS = [10_000, 5000, 3000, 2000, 1500, 1000, 500];
const WINDOW_MS = argNum("seconds", quick ? 5 : 10) * 1000;

interface IngestStep {
  intervalMs: number;
  offeredSamplesPerSec: number;
  storedSamplesPerSec: number;
  dropped: number;
  writerQueueAtEnd: number;
  rollupBacklogAtEnd: number;
  nodeCpuPercent: number;
  seconds: number;
  keptUp?: boolean;
}
const STORAGE_SAMPLES = quick ? 200_000 : 1_000_000;
const log = (s: string) => process.stderr.write(`bench: ${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

async function ingestAndQuery() {
  const dataDir = join(tempDir("umbra-tbench-"), "data");
  const config = loadConfig({
    flags: {
      mqttPort: 0,
      httpPort: 0,
      host: "127.0.0.1",
      allowAnonymous: true,
      site: "bench",
      logLevel: "error",
    },
  });
  const node = await startNode({ ...config, dataDir }, createLogger("error"));
  const tel = node.extensions.get("telemetry") as TelemetryExtension;
  const db = tel.store.db;
  const stored = () =>
    (db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'raw'").pluck().get() as number | undefined) ??
    0;

  // Phase 1: MQTT ingest.
  const per = Math.ceil(DEVICES / WORKERS);
  const workers = Array.from({ length: WORKERS }, (_, w) =>
    track(
      fork(
        join(REPO_ROOT, "bench/telemetry-devices.ts"),
        [node.mqttUrl, String(w * per), String(Math.min(per, DEVICES - w * per)), String(METRICS)],
        {
          execArgv: ["--import", "tsx"],
          stdio: ["ignore", "inherit", "inherit", "ipc"],
        },
      ),
    ),
  );
  const reply = (w: (typeof workers)[number], key: string) =>
    new Promise<Record<string, number>>((resolve, reject) => {
      const died = (code: number | null) => reject(new Error(`worker exited with ${code}`));
      const on = (m: Record<string, number>) => {
        if (!(key in m)) return;
        w.off("message", on);
        w.off("exit", died);
        resolve(m);
      };
      w.on("message", on);
      w.once("exit", died);
    });
  const ask = (w: (typeof workers)[number], msg: Record<string, unknown>, key: string) => {
    const answer = reply(w, key);
    w.send(msg);
    return answer;
  };
  const t0 = performance.now();
  await Promise.all(workers.map((w) => reply(w, "ready")));
  const connectMs = performance.now() - t0;
  log(`${DEVICES} devices connected in ${(connectMs / 1000).toFixed(1)} s`);
  const overflow = async () => {
    const m = (await node.metrics.getMetricsAsJSON()).find(
      (x) => x.name === "umbra_telemetry_rejected_total",
    );
    return (m?.values ?? []).reduce((n, v) => n + (v.labels.reason === "overflow" ? v.value : 0), 0);
  };
  const sent = async () =>
    (await Promise.all(workers.map((w) => ask(w, { cmd: "count" }, "messages")))).reduce(
      (a, r) => a + (r.messages ?? 0),
      0,
    );
  // Open loop, stepping the per-device interval down until the node no longer keeps up.
  const steps: IngestStep[] = [];
  for (const intervalMs of INTERVALS) {
    for (const w of workers) w.send({ cmd: "rate", intervalMs });
    await sleep(WARMUP_MS);
    const [s0, m0, d0] = [stored(), await sent(), await overflow()];
    const cpu0 = process.cpuUsage();
    const w0 = performance.now();
    await sleep(WINDOW_MS);
    const [s1, m1, d1] = [stored(), await sent(), await overflow()];
    const seconds = (performance.now() - w0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const step: IngestStep = {
      intervalMs,
      offeredSamplesPerSec: ((m1 - m0) * METRICS) / seconds,
      storedSamplesPerSec: (s1 - s0) / seconds,
      dropped: d1 - d0,
      writerQueueAtEnd: tel.writer.pending,
      rollupBacklogAtEnd: s1 - tel.store.watermark(),
      nodeCpuPercent: ((cpu.user + cpu.system) / 1000 / (seconds * 1000)) * 100,
      seconds,
    };
    step.keptUp =
      step.dropped === 0 &&
      step.storedSamplesPerSec >= 0.95 * step.offeredSamplesPerSec &&
      step.writerQueueAtEnd < step.offeredSamplesPerSec;
    steps.push(step);
    log(
      `every ${intervalMs} ms: offered ${step.offeredSamplesPerSec.toFixed(0)}/s, stored ${step.storedSamplesPerSec.toFixed(0)}/s, dropped ${step.dropped}, queue ${step.writerQueueAtEnd}`,
    );
    await Promise.all(workers.map((w) => ask(w, { cmd: "pause" }, "paused")));
    for (let i = 0; i < 200 && tel.writer.pending > 0; i++) await sleep(100);
    if (!step.keptUp) break;
  }
  await Promise.all(workers.map((w) => ask(w, { cmd: "stop" }, "done")));
  const best = steps.filter((s) => s.keptUp).at(-1);
  const ingest = {
    devices: DEVICES,
    metricsPerMessage: METRICS,
    transport: "MQTT QoS 1, open loop, 2 client processes",
    sustainedSamplesPerSec: best?.storedSamplesPerSec ?? 0,
    steps,
    nodeRssMB: process.memoryUsage().rss / 2 ** 20,
    connectSeconds: connectMs / 1000,
  };
  // Let the rollup job catch up before the query phase (bounded).
  const drainStart = performance.now();
  tel.flush();
  tel.maintenance.drain(10_000);
  const rollupCatchUpSec = (performance.now() - drainStart) / 1000;

  // Phase 2: one day of one metric, then HTTP queries.
  const now = Date.now();
  const DAY = 86_400;
  const day: TelemetrySample[] = [];
  for (let i = 0; i < DAY; i++)
    day.push({
      metric: "power",
      value: Math.round((500 + 100 * Math.sin(i / 3000) + Math.random() * 10) * 10) / 10,
      ts: now - (DAY - i) * 1000,
    });
  for (let i = 0; i < day.length; i += 5000)
    tel.record("day-1", day.slice(i, i + 5000), { historical: true });
  tel.flush();
  tel.maintenance.drain(10_000);
  const queries: Record<string, string> = {
    "raw 1h (3,600 points)": `from=-1h&step=raw`,
    "raw 1 day (first 20,000 points)": `from=-1d&step=raw`,
    "1m over 1 day (1,440 buckets)": `from=-1d&step=1m`,
    "1h over 1 day (24-25 buckets)": `from=-1d&step=1h`,
  };
  const latency: Record<string, { p50: number; p95: number; points: number }> = {};
  for (const [label, qs] of Object.entries(queries)) {
    const times: number[] = [];
    let points = 0;
    for (let i = 0; i < 30; i++) {
      const t = performance.now();
      const res = await fetch(`${node.httpUrl}/things/day-1/telemetry?metric=power&${qs}`);
      const body = (await res.json()) as { series: { points: unknown[] }[] };
      times.push(performance.now() - t);
      points = body.series[0]?.points.length ?? 0;
    }
    times.sort((a, b) => a - b);
    latency[label] = { p50: percentile(times, 0.5), p95: percentile(times, 0.95), points };
  }
  const dbBytes = statSync(tel.store.path).size;
  await node.close();
  return { ingest, rollupCatchUpSec, latency, nodeDbBytesAfter: dbBytes };
}

function storage() {
  const dir = tempDir("umbra-tstore-");
  const store = new TelemetryStore(dir);
  const SERIES = 1000;
  const per = STORAGE_SAMPLES / SERIES;
  const t0 = Date.now() - per * 10_000;
  const t = performance.now();
  for (let i = 0; i < per; i += 5) {
    const items = [];
    for (let s = 0; s < SERIES; s++) {
      const samples: TelemetrySample[] = [];
      for (let k = i; k < i + 5; k++)
        samples.push({
          metric: `m${s % 10}`,
          value: Math.round((200 + s + Math.sin(k / 50) * 20 + Math.random()) * 10) / 10,
          ts: t0 + k * 10_000,
        });
      items.push({ thing: `dev-${Math.floor(s / 10)}`, samples });
    }
    store.write(items);
  }
  const writeSec = (performance.now() - t) / 1000;
  store.db.pragma("wal_checkpoint(TRUNCATE)");
  const rawBytes = store.sizeBytes();
  const r = performance.now();
  while (store.rollup(50_000) === 50_000);
  const rollupSec = (performance.now() - r) / 1000;
  store.db.pragma("wal_checkpoint(TRUNCATE)");
  const totalBytes = store.sizeBytes();
  const file = statSync(store.path).size;
  store.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    samples: STORAGE_SAMPLES,
    bytesPerSampleRaw: rawBytes / STORAGE_SAMPLES,
    bytesPerSampleWithRollups: totalBytes / STORAGE_SAMPLES,
    mbPerMillionSamples: ((totalBytes / STORAGE_SAMPLES) * 1e6) / 2 ** 20,
    fileBytes: file,
    directWriteSamplesPerSec: STORAGE_SAMPLES / writeSec,
    rollupSamplesPerSec: STORAGE_SAMPLES / rollupSec,
  };
}

const loadAtStart = loadavg()[0] as number;
const { ingest, rollupCatchUpSec, latency } = await ingestAndQuery();
log("storage phase");
const store = storage();
const f = (n: number, d = 0) =>
  n.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });
const lines = [
  `Telemetry benchmark${quick ? " (--quick)" : ""}: ${cpus().length} cores, load average ${loadAtStart.toFixed(1)} at start, ${(loadavg()[0] as number).toFixed(1)} at end`,
  "",
  `Ingest (${ingest.transport}), ${f(ingest.devices)} devices × ${ingest.metricsPerMessage} metrics/message, each publishing every N ms:`,
  ...ingest.steps.map(
    (st) =>
      `  every ${String(st.intervalMs).padStart(5)} ms: offered ${f(st.offeredSamplesPerSec).padStart(7)}/s  stored ${f(st.storedSamplesPerSec).padStart(7)}/s  dropped ${f(st.dropped)}  queue ${f(st.writerQueueAtEnd)}  rollup backlog ${f(st.rollupBacklogAtEnd)}  node CPU ${f(st.nodeCpuPercent)}%${st.keptUp ? "" : "  (not kept up)"}`,
  ),
  `  sustained (highest step kept up, no drops): ${f(ingest.sustainedSamplesPerSec)} samples/s`,
  `  rollup caught up ${f(rollupCatchUpSec, 1)} s after load; node RSS ${f(ingest.nodeRssMB)} MB; ${f(ingest.devices)} connects took ${f(ingest.connectSeconds, 1)} s`,
  "",
  "Query latency over HTTP, one metric, 1 day at 1 sample/s (86,400 samples), 30 requests each:",
  ...Object.entries(latency).map(
    ([k, v]) => `  ${k.padEnd(34)} p50 ${f(v.p50, 1)} ms   p95 ${f(v.p95, 1)} ms   (${f(v.points)} points)`,
  ),
  "",
  `Storage, ${f(store.samples)} samples (1,000 series, 10 s apart):`,
  `  bytes/sample raw only    ${f(store.bytesPerSampleRaw, 1)}`,
  `  bytes/sample + rollups   ${f(store.bytesPerSampleWithRollups, 1)}  (${f(store.mbPerMillionSamples, 1)} MB per million samples)`,
  `  direct store writes      ${f(store.directWriteSamplesPerSec)} samples/s (batches of 5,000, one transaction each)`,
  `  rollup job               ${f(store.rollupSamplesPerSec)} samples/s`,
];
process.stdout.write(`${lines.join("\n")}\n`);
process.stdout.write(
  `BENCH_RESULT ${JSON.stringify({ cores: cpus().length, loadAtStart, loadAtEnd: loadavg()[0], ingest, rollupCatchUpSec, latency, storage: store })}\n`,
);
process.exit(0);
