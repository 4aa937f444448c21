import { spawn } from "node:child_process";
import { statSync } from "node:fs";
import { join } from "node:path";
import type { BenchOptions } from "./options.ts";
import { procSample, REPO_ROOT, RssWatch, spawnUmbra, tempDir, track } from "./procs.ts";
import { type TouchFigures, touchStored } from "./touch.ts";

export interface StoredFigures {
  shadows: number;
  fillSeconds: number;
  dbBytes: number;
  /** Spawn of `umbra broker` to its ready line. */
  startupMs: number;
  rssAfterStartBytes: number;
  touch: TouchFigures;
  rssAfterTouchBytes: number;
  rssPeakBytes: number;
  hwmBytes: number;
  brokerCpuSecondsTouch: number;
}

const log = (s: string) => process.stderr.write(`bench: ${s}\n`);

function fill(dataDir: string, from: number, to: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = track(
      spawn(
        process.execPath,
        ["--import", "tsx", join(REPO_ROOT, "bench/fill-store.ts"), dataDir, String(from), String(to)],
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
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`fill ${from}..${to} failed (${code ?? signal}): ${err}`));
    });
  });
}

/**
 * Fills a fresh data dir with `opts.stored` shadows through the store API (in a child process),
 * starts the node on it through the CLI and touches a random sample over MQTT, watching the node's
 * memory.
 */
export async function runStored(opts: BenchOptions): Promise<StoredFigures> {
  const dataDir = tempDir("umbra-bench-stored-");
  const t = performance.now();
  // One writer: a node holds its data dir exclusively (SQLite locking_mode=EXCLUSIVE), and so does the filler.
  await fill(dataDir, 0, opts.stored, 60_000 + opts.stored * 5);
  const fillSeconds = (performance.now() - t) / 1000;
  const dbBytes = ["umbra.db", "umbra.db-wal"].reduce((sum, f) => {
    try {
      return sum + statSync(join(dataDir, f)).size;
    } catch {
      return sum;
    }
  }, 0);
  log(
    `stored: ${opts.stored} shadows written in ${fillSeconds.toFixed(1)} s (${(dbBytes / 2 ** 20).toFixed(0)} MiB)`,
  );

  const nodeArgs = opts.cpuProf ? ["--cpu-prof", `--cpu-prof-dir=${join(opts.cpuProf, "stored-node")}`] : [];
  nodeArgs.push(...opts.nodeArgs);
  const node = await spawnUmbra(dataDir, nodeArgs);
  try {
    const watch = new RssWatch(node.pid);
    const rssAfterStartBytes = procSample(node.pid).rssBytes;
    log(
      `stored: node ready in ${node.startMs.toFixed(0)} ms, RSS ${(rssAfterStartBytes / 2 ** 20).toFixed(0)} MiB; touching ${opts.touch}`,
    );
    const cpu0 = procSample(node.pid).cpuSeconds;
    const touch = await touchStored(node.url, opts.stored, opts.touch, 64, 60_000 + opts.touch * 20);
    const after = procSample(node.pid);
    return {
      shadows: opts.stored,
      fillSeconds,
      dbBytes,
      startupMs: node.startMs,
      rssAfterStartBytes,
      touch,
      rssAfterTouchBytes: after.rssBytes,
      rssPeakBytes: Math.max(watch.stop(), after.rssBytes),
      hwmBytes: after.hwmBytes,
      brokerCpuSecondsTouch: after.cpuSeconds - cpu0,
    };
  } finally {
    const stopped = await node.stop();
    if (stopped.code !== 0)
      log(`stored: node exited with ${stopped.code}; stderr: ${node.stderr().slice(-2000)}`);
  }
}
