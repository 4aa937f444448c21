import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { accessSync, constants, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { tempDir } from "./node.ts";

export const MOSQUITTO_BIN = "/usr/sbin/mosquitto";
export const MOSQUITTO_PUB = "/usr/bin/mosquitto_pub";
export const MOSQUITTO_SUB = "/usr/bin/mosquitto_sub";
/** Debian's python3: the `python3` first on PATH may be a pyenv shim that does not see Debian packages. */
export const SYSTEM_PYTHON = "/usr/bin/python3";

/** Whether the tests that need external peers must fail (CI set) rather than skip when a peer is missing. */
export const PEERS_REQUIRED = (process.env.CI ?? "") !== "";

export interface PeerCheck {
  ok: boolean;
  /** Why the peer is unusable (empty when ok). */
  reason: string;
}

function executable(path: string): string | null {
  try {
    accessSync(path, constants.X_OK);
    return null;
  } catch {
    return `${path} is not installed or not executable`;
  }
}

/** Checks external binaries; `extra` may add further checks (e.g. a Python import). */
export function checkPeers(paths: string[], extra: (() => string | null)[] = []): PeerCheck {
  const problems = [...paths.map(executable), ...extra.map((f) => f())].filter(
    (p): p is string => p !== null,
  );
  return { ok: problems.length === 0, reason: problems.join("; ") };
}

/** The installed paho-mqtt version seen by SYSTEM_PYTHON, or null with the reason in `error`. */
export function pahoVersion(): { version: string | null; error: string } {
  try {
    const out = execFileSync(SYSTEM_PYTHON, ["-c", "import paho.mqtt; print(paho.mqtt.__version__)"], {
      encoding: "utf8",
      timeout: 10_000,
      stdio: ["ignore", "pipe", "pipe"],
    });
    return { version: out.trim(), error: "" };
  } catch (err) {
    return {
      version: null,
      error: `paho-mqtt not importable by ${SYSTEM_PYTHON}: ${(err as Error).message}`,
    };
  }
}

/**
 * Tells vitest whether to run a peer-dependent suite. Missing peers: with CI set the suite runs and
 * fails in its beforeAll (call `assertPeers`); without CI it is skipped and says why on stderr.
 */
export function shouldRunPeerSuite(name: string, check: PeerCheck): boolean {
  if (check.ok || PEERS_REQUIRED) return true;
  process.stderr.write(`SKIP ${name}: ${check.reason} (set CI to make this a failure)\n`);
  return false;
}

export function assertPeers(check: PeerCheck): void {
  if (!check.ok) throw new Error(`external peer missing (CI is set, so this fails): ${check.reason}`);
}

/** A free TCP port on loopback (mosquitto reads `listener 0` as a unix socket path, so it needs a number). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface Mosquitto {
  port: number;
  url: string;
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts Debian's mosquitto on a free loopback port with anonymous access and no persistence file;
 * `extraConfig` lines are appended to its config (e.g. a bridge `connection` section).
 */
export async function startMosquitto(timeoutMs = 10_000, extraConfig: string[] = []): Promise<Mosquitto> {
  let lastError: unknown;
  // freePort() releases the port before mosquitto binds it; another process may grab it meanwhile.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      return await startOn(port, timeoutMs, extraConfig);
    } catch (err) {
      lastError = err;
      if (!/Address already in use/.test((err as Error).message)) break;
    }
  }
  throw lastError;
}

async function startOn(port: number, timeoutMs: number, extraConfig: string[]): Promise<Mosquitto> {
  const dir = tempDir("umbra-mosquitto-");
  const conf = join(dir, "mosquitto.conf");
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      "allow_anonymous true",
      "persistence false",
      "log_dest stderr",
      ...extraConfig,
      "",
    ].join("\n"),
  );
  const child: ChildProcess = spawn(MOSQUITTO_BIN, ["-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`mosquitto not running after ${timeoutMs} ms: ${log}`)),
        timeoutMs,
      );
      child.stderr?.on("data", (d: Buffer) => {
        log += d.toString();
        if (/mosquitto version \S+ running/.test(log)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`mosquitto exited with ${code}: ${log}`));
      });
    });
  } catch (err) {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    log: () => log,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PeerRun {
  /** Resolves with the first stdout line matching `re` (rejects on timeout or exit). */
  waitForLine(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves when the process has exited (killed after the run's time limit). */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  kill(): void;
}

/** Runs an external client with a hard time limit, so a peer that hangs cannot hang the test. */
export function runPeer(cmd: string, args: string[], limitMs = 15_000, env: NodeJS.ProcessEnv = {}): PeerRun {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  let stdout = "";
  let stderr = "";
  const listeners = new Set<() => void>();
  child.stdout?.on("data", (d: Buffer) => {
    stdout += d.toString();
    for (const l of listeners) l();
  });
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const limit = setTimeout(() => child.kill("SIGKILL"), limitMs);
  let exited = false;
  const done = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>((resolve) => {
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(limit);
      exited = true;
      for (const l of listeners) l();
      resolve({ code, signal, stdout, stderr });
    };
    child.once("close", finish);
    child.once("error", (err) => {
      stderr += String(err);
      finish(null, null);
    });
  });
  return {
    done,
    kill: () => child.kill("SIGKILL"),
    waitForLine(re, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = stdout.split("\n").find((l) => re.test(l));
          if (line !== undefined) return finish(() => resolve(line));
          if (exited)
            finish(() =>
              reject(new Error(`${cmd} exited before printing ${re}; stdout: ${stdout} stderr: ${stderr}`)),
            );
        };
        const timer = setTimeout(
          () =>
            finish(() =>
              reject(
                new Error(`${cmd} printed no ${re} in ${timeoutMs} ms; stdout: ${stdout} stderr: ${stderr}`),
              ),
            ),
          timeoutMs,
        );
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        listeners.add(check);
        check();
      });
    },
  };
}
