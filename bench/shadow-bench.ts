/**
 * The shadow benchmark (`npm run bench`, or `npx tsx bench/shadow-bench.ts --quick`).
 *
 * Over loopback, in one run:
 *  1. Umbra: `umbra broker` started through the real CLI as its own process; N mqtt.js devices in
 *     worker processes update their own shadow's reported state: closed loop (max throughput),
 *     open loop at a fixed rate, then an operator sets desired and devices time the delta.
 *  2. Baseline: a bare aedes in its own process, same devices publishing QoS 1 to a topic they are
 *     subscribed to (publish -> receive), closed and open loop.
 *  3. Stored shadows: a data dir filled with M shadows through the store API, the node started on
 *     it (start-up time, RSS), a random sample touched over MQTT.
 * Prints a table, then one machine-readable line `BENCH_RESULT {json}` last.
 */
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { traceReport } from "./latency-trace.ts";
import { type LoadFigures, type LoadProgress, runLoad } from "./load-run.ts";
import { type BenchOptions, parseOptions } from "./options.ts";
import { cleanupNow, spawnBaseline, spawnUmbra, tempDir, waitForIdle } from "./procs.ts";
import { type BenchResult, evaluateTargets, type Machine, renderReport } from "./report.ts";
import { runStored, type StoredFigures } from "./stored-run.ts";

const log = (s: string) => process.stderr.write(`bench: ${s}\n`);

function machine(): Machine {
  let cpuModel = cpus()[0]?.model ?? "unknown";
  try {
    cpuModel = /^model name\s*:\s*(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? cpuModel;
  } catch {
    // not Linux: keep os.cpus()'s name
  }
  return {
    cores: cpus().length,
    cpuModel,
    memTotalBytes: totalmem(),
    node: process.version,
    platform: process.platform,
    loadAvgAtStart: loadavg(),
  };
}

async function umbraPhase(opts: BenchOptions, progress: LoadProgress): Promise<BenchResult["umbra"]> {
  const dataDir = join(tempDir("umbra-bench-"), "data");
  const prof = opts.cpuProf ? ["--cpu-prof", `--cpu-prof-dir=${join(opts.cpuProf, "load-node")}`] : [];
  prof.push(...opts.nodeArgs);
  // Inherited by the node (broker/metrics/latency-trace.ts) and the load workers forked by runLoad.
  if (opts.trace) {
    mkdirSync(opts.trace, { recursive: true });
    if (readdirSync(opts.trace).length > 0) throw new Error(`--trace ${opts.trace}: not empty`);
    process.env.UMBRA_LATENCY_TRACE = opts.trace;
    process.env.BENCH_LATENCY_TRACE = opts.trace;
  }
  const node = await spawnUmbra(dataDir, prof);
  delete process.env.UMBRA_LATENCY_TRACE;
  log(`umbra node pid ${node.pid} ready at ${node.url} in ${node.startMs.toFixed(0)} ms`);
  let figures: LoadFigures;
  try {
    figures = await runLoad(node, "shadow", opts, progress);
  } catch (err) {
    await node.stop(5000);
    throw err;
  }
  delete process.env.BENCH_LATENCY_TRACE;
  const stopped = await node.stop();
  if (stopped.code !== 0)
    log(`umbra node exited with ${stopped.code}; stderr: ${node.stderr().slice(-2000)}`);
  return { ...figures, startupMs: node.startMs, stopMs: stopped.ms };
}

async function baselinePhase(opts: BenchOptions, progress: LoadProgress): Promise<LoadFigures> {
  const broker = await spawnBaseline();
  log(`aedes baseline pid ${broker.pid} ready at ${broker.url}`);
  try {
    return await runLoad(broker, "echo", opts, progress);
  } finally {
    await broker.stop(5000);
  }
}

async function main(): Promise<number> {
  const opts = parseOptions(process.argv.slice(2));
  const deadline = setTimeout(() => {
    log(`the run exceeded --timeout ${opts.timeout} s; aborting`);
    process.exit(3);
  }, opts.timeout * 1000);
  deadline.unref();

  const result: BenchResult = {
    date: new Date().toISOString(),
    machine: machine(),
    options: opts,
    umbra: null,
    baseline: null,
    ratio: null,
    stored: null,
    targets: [],
    busyBefore: {},
    failed: {},
    errors: [],
  };
  const attempt = async <T>(name: string, run: () => Promise<T>): Promise<T | null> => {
    if (opts.waitIdle > 0) {
      log(`${name}: waiting up to ${opts.waitIdle} s for an idle machine`);
      result.busyBefore[name] = await waitForIdle(opts.waitIdle);
      log(`${name}: machine busy ${result.busyBefore[name]?.toFixed(0)}% of a core`);
    }
    try {
      return await run();
    } catch (err) {
      const msg = `${name}: ${(err as Error).message}`;
      result.errors.push(msg);
      log(msg);
      return null;
    }
  };

  const umbraProgress: LoadProgress = { during: "start", figures: {} };
  const baselineProgress: LoadProgress = { during: "start", figures: {} };
  if (opts.parts.includes("umbra")) {
    result.umbra = await attempt("umbra", () => umbraPhase(opts, umbraProgress));
    if (!result.umbra) result.failed.umbra = umbraProgress;
  }
  if (opts.parts.includes("baseline")) {
    result.baseline = await attempt("baseline", () => baselinePhase(opts, baselineProgress));
    if (!result.baseline) result.failed.aedes = baselineProgress;
  }
  if (result.umbra && result.baseline && result.baseline.closed.perSecond > 0) {
    result.ratio = result.umbra.closed.perSecond / result.baseline.closed.perSecond;
  }
  if (opts.parts.includes("stored") && opts.stored > 0)
    result.stored = await attempt<StoredFigures>("stored", () => runStored(opts));
  result.targets = evaluateTargets(result);

  process.stdout.write(`\n${renderReport(result)}\n\n`);
  if (opts.trace && result.umbra) {
    try {
      process.stdout.write(`${traceReport(opts.trace).join("\n")}\n\n`);
    } catch (err) {
      log(`latency trace: ${(err as Error).message}`);
    }
  }
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`);
  clearTimeout(deadline);
  return result.errors.length > 0 ? 1 : 0;
}

main().then(
  (code) => {
    cleanupNow();
    process.exit(code);
  },
  (err: Error) => {
    log(err.stack ?? err.message);
    cleanupNow();
    process.exit(1);
  },
);
