import { type ChildProcess, fork, spawn } from "node:child_process";
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { WorkerCommand, WorkerReply } from "./protocol.ts";

export const REPO_ROOT = resolve(import.meta.dirname, "..");
const UMBRA_BIN = join(REPO_ROOT, "broker/cli/umbra.mjs");

/**
 * Everything the bench starts is registered here and torn down on every way out: normal end, error,
 * Ctrl-C, SIGTERM and the global deadline. Children are killed by pid, temp dirs removed.
 */
const children = new Set<ChildProcess>();
const dirs = new Set<string>();

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.add(dir);
  return dir;
}

/** Registers a child process for cleanup (killed if still running when the bench exits). */
export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

export function cleanupNow(): void {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  children.clear();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

process.on("exit", cleanupNow);
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    process.stderr.write(`bench: ${sig}, cleaning up\n`);
    process.exit(130);
  });
}

/** A broker under test running as its own process (so its CPU and memory are measured alone). */
export interface BrokerProcess {
  child: ChildProcess;
  pid: number;
  url: string;
  /** The node's HTTP API (Umbra only): the bench reads its /metrics around each phase. */
  httpUrl?: string;
  /** ms from spawn to the ready line. */
  startMs: number;
  stderr(): string;
  /** Rejects if the process exits before stop() was called (a crash under load). */
  died: Promise<never>;
  /** SIGTERM, wait for a clean exit (so --cpu-prof profiles get written), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<{ code: number | null; ms: number }>;
}

function launch(
  args: string[],
  readyLine: RegExp,
  timeoutMs: number,
  env: NodeJS.ProcessEnv = {},
): Promise<BrokerProcess> {
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let err = "";
  // BENCH_NODE_LOG=<file>: keep everything the broker prints (e.g. with --node-args="--trace-gc").
  const keep = process.env.BENCH_NODE_LOG ? createWriteStream(process.env.BENCH_NODE_LOG) : undefined;
  if (keep) child.stdout?.pipe(keep);
  child.stderr?.on("data", (d: Buffer) => {
    err = (err + d.toString()).slice(-20_000);
  });
  let stopping = false;
  const exited = new Promise<number | null>((res) =>
    child.once("exit", (code, signal) => {
      // A broker that dies under load is a finding: say so at once, with what it printed.
      if (!stopping)
        process.stderr.write(`bench: ${args.join(" ")} died (${code ?? signal}); stderr:\n${err}\n`);
      res(code);
    }),
  );
  const stop = async (graceMs = 15_000) => {
    stopping = true;
    const t = performance.now();
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    }
    children.delete(child);
    return { code: child.exitCode, ms: performance.now() - t };
  };
  return new Promise((res, rej) => {
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      rej(new Error(`${args.join(" ")}: not ready after ${timeoutMs} ms; stderr: ${err}`));
    }, timeoutMs);
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const m = readyLine.exec(out);
      if (m?.[1] === undefined) return;
      clearTimeout(timer);
      const died = exited.then((code): never => {
        throw new Error(
          `broker process died (exit ${code ?? child.signalCode}); stderr tail: ${err.slice(-1500)}`,
        );
      });
      died.catch(() => undefined); // observed by whoever races it; never an unhandled rejection
      res({
        child,
        pid: child.pid as number,
        url: m[1],
        httpUrl: m[2],
        startMs: performance.now() - started,
        stderr: () => err,
        died,
        stop,
      });
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      rej(new Error(`${args.join(" ")} exited with ${code} before ready; stderr: ${err}`));
    });
  });
}

/** `umbra broker` through the real CLI, on free loopback ports. */
export function spawnUmbra(
  dataDir: string,
  extraNodeArgs: string[] = [],
  timeoutMs = 120_000,
): Promise<BrokerProcess> {
  const args = [
    ...extraNodeArgs,
    UMBRA_BIN,
    "broker",
    "--data-dir",
    dataDir,
    "--mqtt-port",
    "0",
    "--http-port",
    "0",
    "--site",
    "bench",
    "--log-level",
    "warn",
    // The benchmark measures the shadow path; authentication cost is measured on its own.
    "--host",
    "127.0.0.1",
    "--allow-anonymous",
  ];
  // The per-client request limits protect a node from one abusive client; the bench's operator
  // clients send thousands of requests per second on purpose, so the limits are lifted here.
  const unlimited = {
    UMBRA_REQUEST_RATE: "1000000",
    UMBRA_REQUEST_BURST: "1000000",
    UMBRA_MAX_INFLIGHT: "1000000",
  };
  return launch(args, /umbra: ready (\S+) (\S+)/, timeoutMs, unlimited);
}

export function spawnBaseline(timeoutMs = 30_000): Promise<BrokerProcess> {
  return launch(
    ["--import", "tsx", join(REPO_ROOT, "bench/aedes-baseline.ts")],
    /baseline: ready (\S+)/,
    timeoutMs,
  );
}

/** A load worker process and a request/reply channel to it (one command at a time). */
export class Worker {
  readonly child: ChildProcess;

  constructor() {
    this.child = fork(join(REPO_ROOT, "bench/load-worker.ts"), [], {
      cwd: REPO_ROOT,
      execArgv: ["--import", "tsx", "--max-old-space-size=4096"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    children.add(this.child);
  }

  get pid(): number {
    return this.child.pid as number;
  }

  request<T>(command: WorkerCommand, timeoutMs: number): Promise<T> {
    return new Promise((res, rej) => {
      const timer = setTimeout(
        () => rej(new Error(`worker ${this.pid}: no answer to ${command.cmd} in ${timeoutMs} ms`)),
        timeoutMs,
      );
      const onExit = (code: number | null) => {
        clearTimeout(timer);
        rej(new Error(`worker ${this.pid} exited (${code}) during ${command.cmd}`));
      };
      this.child.once("exit", onExit);
      this.child.once("message", (msg: WorkerReply) => {
        clearTimeout(timer);
        this.child.off("exit", onExit);
        if (msg.ok) res(msg.result as T);
        else rej(new Error(`worker ${this.pid}: ${msg.error}`));
      });
      this.child.send(command);
    });
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.connected) {
      await this.request({ cmd: "close" }, 15_000).catch(() => undefined);
    }
    if (this.child.exitCode === null) this.child.kill("SIGKILL");
    children.delete(this.child);
  }
}

/** Memory and CPU of a process from /proc (Linux). */
export interface ProcSample {
  rssBytes: number;
  hwmBytes: number;
  /** user + system CPU seconds so far. */
  cpuSeconds: number;
}

/** user + system CPU seconds of a process's main thread (its tid is its pid); NaN if unreadable. */
export function mainThreadCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return Number.NaN;
  }
}

const CLK_TCK = 100; // USER_HZ: 100 on every Linux this runs on (getconf CLK_TCK)

export function procSample(pid: number): ProcSample {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key: string) =>
    Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN) * 1024;
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15 of the line.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { rssBytes: kb("VmRSS"), hwmBytes: kb("VmHWM"), cpuSeconds: ticks / CLK_TCK };
}

/** Samples a process's RSS every `everyMs` to catch the peak of a phase (VmHWM is process-lifetime). */
export class RssWatch {
  peakBytes = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    everyMs = 250,
  ) {
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
    this.sample();
  }

  private sample(): void {
    try {
      const rss = procSample(this.pid).rssBytes;
      // A zombie (exited, not yet reaped) has no VmRSS line: NaN must not erase the peak.
      if (Number.isFinite(rss)) this.peakBytes = Math.max(this.peakBytes, rss);
    } catch {
      // the process is gone; the peak so far stands
    }
  }

  stop(): number {
    this.sample();
    clearInterval(this.timer);
    return this.peakBytes;
  }
}

/** CPU seconds all processes of the machine spent busy so far (from /proc/stat), all cores together. */
export function machineBusySeconds(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  // cpu  user nice system idle iowait irq softirq steal ...
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / CLK_TCK;
}

/**
 * Waits (at most `maxSeconds`) until the whole machine has been nearly idle (< `busyPct` % of one
 * core) for 3 consecutive seconds: on a shared machine, other work disturbs every figure.
 * Returns the busy % of the last second seen.
 */
export async function waitForIdle(maxSeconds: number, busyPct = 15): Promise<number> {
  const deadline = performance.now() + maxSeconds * 1000;
  let quiet = 0;
  let last = Number.NaN;
  while (performance.now() < deadline) {
    const b0 = machineBusySeconds();
    await new Promise((r) => setTimeout(r, 1000));
    last = (machineBusySeconds() - b0) * 100;
    quiet = last < busyPct ? quiet + 1 : 0;
    if (quiet >= 3) break;
  }
  return last;
}
