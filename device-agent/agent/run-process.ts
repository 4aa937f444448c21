import { spawn } from "node:child_process";

/**
 * Runs a program with an argv array — never through a shell — with a timeout that kills the whole
 * process group (a script's children too), and bounded output capture.
 */
export interface RunRequest {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  stdin?: string;
  /** After SIGTERM at the timeout, SIGKILL follows this much later. */
  killGraceMs?: number;
}

export interface RunResult {
  /** Exit code, or null when killed by a signal or not started. */
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** The program could not be started (ENOENT, EACCES…). */
  spawnError?: string;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export const MAX_OUTPUT_BYTES = 64 * 1024;
const DEFAULT_KILL_GRACE_MS = 2000;

/**
 * The environment a handler runs with: a few variables a program expects and nothing else of the
 * agent's own — above all not UMBRA_AGENT_PASSWORD.
 */
export function baseEnv(): Record<string, string> {
  const out: Record<string, string> = {
    PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  };
  for (const key of ["HOME", "LANG", "LC_ALL", "TZ", "USER", "LOGNAME"]) {
    const v = process.env[key];
    if (v !== undefined) out[key] = v;
  }
  return out;
}

export function runProcess(req: RunRequest): Promise<RunResult> {
  const started = Date.now();
  const [program, ...args] = req.argv;
  return new Promise((resolve) => {
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    let settled = false;
    let spawnError: string | undefined;
    const child = spawn(program ?? "", args, {
      cwd: req.cwd,
      env: req.env,
      shell: false,
      // Its own process group, so a timeout can kill the program's children as well.
      detached: true,
      stdio: [req.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    const take = (prev: string, chunk: Buffer) =>
      prev.length >= MAX_OUTPUT_BYTES ? prev : (prev + chunk.toString("utf8")).slice(0, MAX_OUTPUT_BYTES);
    child.stdout?.on("data", (d: Buffer) => {
      stdout = take(stdout, d);
    });
    child.stderr?.on("data", (d: Buffer) => {
      stderr = take(stderr, d);
    });
    if (req.stdin !== undefined) {
      child.stdin?.on("error", () => {}); // a program that exits without reading its stdin: EPIPE, not a crash
      child.stdin?.end(req.stdin);
    }
    const killGroup = (signal: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    let killTimer: NodeJS.Timeout | undefined;
    let hardStop: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup("SIGTERM");
      const grace = req.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
      killTimer = setTimeout(() => killGroup("SIGKILL"), grace);
      // A grandchild that left the group could hold stdout open forever: do not wait for it.
      hardStop = setTimeout(() => finish(null, "SIGKILL"), grace + 1000);
    }, req.timeoutMs);
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(killTimer);
      clearTimeout(hardStop);
      // Children the program left behind in its group are not ours to keep running.
      if (timedOut) killGroup("SIGKILL");
      resolve({ code, signal, timedOut, spawnError, stdout, stderr, durationMs: Date.now() - started });
    };
    child.once("error", (err: NodeJS.ErrnoException) => {
      spawnError = `cannot run ${program}: ${err.code ?? err.message}`;
      finish(null, null);
    });
    child.once("close", (code, signal) => finish(code, signal));
  });
}

/** One line for a report or log: why a run did not succeed, or undefined when it did. */
export function runFailure(r: RunResult, timeoutMs: number): string | undefined {
  if (r.spawnError) return r.spawnError;
  if (r.timedOut) return `timed out after ${timeoutMs} ms and was killed`;
  if (r.signal) return `killed by ${r.signal}`;
  if (r.code !== 0) {
    const tail = r.stderr.trim().split("\n").slice(-3).join(" | ").slice(-300);
    return `exited with code ${r.code}${tail ? `: ${tail}` : ""}`;
  }
  return undefined;
}
