/**
 * A node whose store holds shadows aged to many changes each, all hot, against the same number of
 * fresh shadows, in one run (issue 18, docs/benchmarks.md "Bounded history"):
 *   npx tsx bench/aged-bench.ts [--shadows 10000] [--changes 100000] [--updates 30000] [--inflight 256]
 *     [--cpu-prof DIR]
 * (UMBRA_EPOCH_AFTER_CHANGES / UMBRA_COMPACT_AFTER_CHUNKS in the environment apply to the fill and the
 * nodes alike.)
 * For each store: fill it in a child process (bench/aged-store.ts: aged = epoch bases built by the
 * engine's base builder + the changes since the base through the store; fresh = one change each),
 * start `umbra broker` on it once (the first start after the fill: the fleet index finds 10,000
 * shadows without a view and reads them in the background), wait until that node is idle, stop it,
 * and start it again: start-up (spawn → ready) is given for both starts, the second being a node's
 * ordinary restart. Then every shadow is read once over MQTT (cold loads; all hot afterwards: the
 * cache holds 20,000), with the node's CPU per read, then a closed loop of reported updates to random
 * shadows from one operator client with `--inflight` requests outstanding (bench/touch.ts), in
 * `--rounds` rounds alternating between the two nodes. Each round gives a throughput and a node CPU
 * per update; the aged/fresh ratios are taken round by round (the two rounds of a pair ran back to
 * back, so they saw the same machine) and their median is printed, with the range. Also the node's
 * RSS after start, when hot and at the end. `--cpu-prof DIR` profiles each measured node (the
 * restarted one) into DIR/aged and DIR/fresh (e.g. `npx tsx bench/profile-share.ts DIR/aged prepare`).
 */
import { spawn } from "node:child_process";
import { statSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { cleanupNow, procSample, REPO_ROOT, spawnUmbra, tempDir, track } from "./procs.ts";
import { deviceId } from "./things.ts";
import { touchStored } from "./touch.ts";

const { values } = parseArgs({
  options: {
    shadows: { type: "string", default: "10000" },
    changes: { type: "string", default: "100000" },
    updates: { type: "string", default: "30000" },
    inflight: { type: "string", default: "256" },
    only: { type: "string", default: "aged,fresh" },
    rounds: { type: "string", default: "8" },
    "cpu-prof": { type: "string" },
  },
});
const shadows = Number(values.shadows);
const changes = Number(values.changes);
const updates = Number(values.updates);
const INFLIGHT = Number(values.inflight);
const ROUNDS = Number(values.rounds);
const TIMEOUT = 900_000;
const log = (s: string) => process.stderr.write(`aged-bench: ${s}\n`);

function fill(dataDir: string, ageChanges: number): Promise<number> {
  const t = performance.now();
  const script = join(REPO_ROOT, "bench/aged-store.ts");
  return new Promise((resolve, reject) => {
    const child = track(
      spawn(
        process.execPath,
        // The fresh store holds the aged store's state (its desired edits) in one change.
        ["--import", "tsx", script, dataDir, "0", String(shadows), String(ageChanges), "", String(changes)],
        {
          cwd: REPO_ROOT,
          stdio: ["ignore", "ignore", "pipe"],
        },
      ),
    );
    let err = "";
    child.stderr?.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.once("exit", (code) =>
      code === 0 ? resolve((performance.now() - t) / 1000) : reject(new Error(`fill failed: ${err}`)),
    );
  });
}

interface Figures {
  label: string;
  changes: number;
  fillSeconds: number;
  dbBytes: number;
  /** The first start after the fill (the fleet index backfill pending) and an ordinary restart. */
  firstStartupMs: number;
  startupMs: number;
  /** The restarted node's CPU time up to ready (robust on a loaded machine, unlike the wall time). */
  startupCpuMs: number;
  rssAfterStartBytes: number;
  /** Every shadow read once (all hot): how long it took, node CPU per read, and RSS afterwards. */
  warmSeconds: number;
  coldReadCpuMs: number;
  rssHotBytes: number;
  /** The closed-loop rounds of this store, summed. */
  updates: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Node CPU per accepted update (robust when other work shares the machine): median of rounds. */
  cpuPerUpdateUs: number;
  rssAfterBytes: number;
}

interface Store {
  node: Awaited<ReturnType<typeof spawnUmbra>>;
  figures: Figures;
  p50s: number[];
  p99s: number[];
  /** Per round: updates/s and node CPU µs per update. */
  rates: number[];
  cpus: number[];
}

/** Waits until the node has used < 5 % of a core for 3 s in a row (bounded by `timeoutMs`). */
async function idle(pid: number, timeoutMs = 600_000): Promise<number> {
  const t = performance.now();
  let last = procSample(pid).cpuSeconds;
  let quiet = 0;
  while (quiet < 3 && performance.now() - t < timeoutMs) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = procSample(pid).cpuSeconds;
    quiet = now - last < 0.05 ? quiet + 1 : 0;
    last = now;
  }
  return (performance.now() - t) / 1000;
}

async function prepare(label: string, ageChanges: number): Promise<Store> {
  const dataDir = join(tempDir(`umbra-aged-${label}-`), "data");
  log(`${label}: filling ${shadows} shadows of ${ageChanges} changes`);
  const fillSeconds = await fill(dataDir, ageChanges);
  const dbBytes = ["umbra.db", "umbra.db-wal"].reduce((n, f) => {
    try {
      return n + statSync(join(dataDir, f)).size;
    } catch {
      return n;
    }
  }, 0);
  log(
    `${label}: filled in ${fillSeconds.toFixed(0)} s, ${(dbBytes / 2 ** 20).toFixed(1)} MiB; starting the node`,
  );
  const first = await spawnUmbra(dataDir);
  const settled = await idle(first.pid);
  await first.stop();
  log(`${label}: first start ${first.startMs.toFixed(0)} ms, idle after ${settled.toFixed(0)} s; restarting`);
  const prof = values["cpu-prof"];
  const node = await spawnUmbra(dataDir, prof ? ["--cpu-prof", `--cpu-prof-dir=${join(prof, label)}`] : []);
  const { rssBytes: rssAfterStartBytes, cpuSeconds: cpu0 } = procSample(node.pid);
  const t = performance.now();
  const warm = await touchStored(node.url, shadows, shadows, INFLIGHT, TIMEOUT, {
    thing: deviceId,
    pick: (k) => k,
    op: "get",
  });
  if (warm.failures > 0 || warm.unanswered > 0)
    throw new Error(`warm-up: ${warm.failures} failed, ${warm.unanswered} unanswered: ${warm.firstFailure}`);
  const warmSeconds = (performance.now() - t) / 1000;
  const coldReadCpuMs = ((procSample(node.pid).cpuSeconds - cpu0) / shadows) * 1000;
  log(
    `${label}: node ready in ${node.startMs.toFixed(0)} ms; all ${shadows} hot in ${warmSeconds.toFixed(1)} s`,
  );
  return {
    node,
    p50s: [],
    p99s: [],
    rates: [],
    cpus: [],
    figures: {
      label,
      changes: ageChanges,
      fillSeconds,
      dbBytes,
      firstStartupMs: first.startMs,
      startupMs: node.startMs,
      startupCpuMs: cpu0 * 1000,
      rssAfterStartBytes,
      warmSeconds,
      coldReadCpuMs,
      rssHotBytes: procSample(node.pid).rssBytes,
      updates: 0,
      seconds: 0,
      perSecond: 0,
      p50Ms: 0,
      p99Ms: 0,
      cpuPerUpdateUs: 0,
      rssAfterBytes: 0,
    },
  };
}

/** One closed-loop round against one store's node. */
async function round(store: Store, n: number): Promise<void> {
  const cpu0 = procSample(store.node.pid).cpuSeconds;
  const t = performance.now();
  const r = await touchStored(store.node.url, shadows, n, INFLIGHT, TIMEOUT, {
    thing: deviceId,
    op: "update",
  });
  if (r.failures > 0 || r.unanswered > 0)
    throw new Error(
      `${store.figures.label}: ${r.failures} failed, ${r.unanswered} unanswered: ${r.firstFailure}`,
    );
  const cpu = procSample(store.node.pid).cpuSeconds - cpu0;
  const seconds = (performance.now() - t) / 1000;
  store.figures.seconds += seconds;
  store.figures.updates += r.ops;
  store.rates.push(r.ops / seconds);
  store.cpus.push((cpu / r.ops) * 1e6);
  store.p50s.push(r.p50Ms);
  store.p99s.push(r.p99Ms);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;

try {
  const wanted = (values.only as string).split(",");
  const stores: Store[] = [];
  if (wanted.includes("aged")) stores.push(await prepare("aged", changes));
  if (wanted.includes("fresh")) stores.push(await prepare("fresh", 1));
  // Rounds alternate between the stores, so a change in the machine's other load hits both alike.
  const per = Math.ceil(updates / ROUNDS);
  for (let k = 0; k < ROUNDS; k++) for (const s of stores) await round(s, per);
  const results: Figures[] = [];
  for (const s of stores) {
    const f = s.figures;
    f.perSecond = median(s.rates);
    f.p50Ms = median(s.p50s);
    f.p99Ms = median(s.p99s);
    f.cpuPerUpdateUs = median(s.cpus);
    f.rssAfterBytes = procSample(s.node.pid).rssBytes;
    await s.node.stop();
    results.push(f);
  }
  const load = loadavg().map((l) => l.toFixed(1));
  console.log(`load average at the end: ${load.join(" ")}`);
  console.log(
    "store   changes/shadow  db       1st start  restart (CPU)  cold read CPU  RSS start  RSS hot  RSS end  updates/s  p50 ms  p99 ms  CPU µs/update",
  );
  for (const r of results) {
    const cells = [
      r.label.padEnd(6),
      String(r.changes).padStart(14),
      mib(r.dbBytes).padStart(7),
      `${r.firstStartupMs.toFixed(0)} ms`.padStart(9),
      `${r.startupMs.toFixed(0)} (${r.startupCpuMs.toFixed(0)}) ms`.padStart(13),
      `${r.coldReadCpuMs.toFixed(2)} ms`.padStart(13),
      mib(r.rssAfterStartBytes).padStart(9),
      mib(r.rssHotBytes).padStart(7),
      mib(r.rssAfterBytes).padStart(7),
      r.perSecond.toFixed(0).padStart(9),
      r.p50Ms.toFixed(1).padStart(6),
      r.p99Ms.toFixed(1).padStart(6),
      r.cpuPerUpdateUs.toFixed(0).padStart(13),
    ];
    console.log(cells.join("  "));
  }
  const [aged, fresh] = stores;
  let ratios: { throughput: number[]; cpu: number[] } | undefined;
  if (aged && fresh) {
    ratios = {
      throughput: aged.rates.map((r, k) => r / (fresh.rates[k] as number)),
      cpu: aged.cpus.map((c, k) => c / (fresh.cpus[k] as number)),
    };
    const show = (xs: number[]) =>
      `${median(xs).toFixed(2)} (rounds ${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;
    console.log(
      `aged/fresh, median of ${ROUNDS} paired rounds: closed-loop throughput ${show(ratios.throughput)}, node CPU per update ${show(ratios.cpu)}`,
    );
    const cold = (aged.figures.coldReadCpuMs / fresh.figures.coldReadCpuMs).toFixed(2);
    console.log(`aged/fresh: node CPU per cold read ${cold}`);
  }
  console.log(JSON.stringify({ results, ratios }));
} finally {
  cleanupNow();
}
