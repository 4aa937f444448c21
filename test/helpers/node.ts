import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadConfig } from "../../broker/config-load.ts";
import { type RunningNode, startNode } from "../../broker/node.ts";
import type { NodeConfig } from "../../shared/config.ts";
import { createLogger } from "../../shared/logger.ts";

export const REPO_ROOT = resolve(import.meta.dirname, "../..");
export const UMBRA_BIN = join(REPO_ROOT, "broker/cli/umbra.mjs");

export function tempDir(prefix = "umbra-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface TestNode extends RunningNode {
  mqttPort: number;
  httpPort: number;
  dataDir: string;
  /** Closes the node and removes its data dir (unless keepData). */
  stop(opts?: { keepData?: boolean }): Promise<void>;
}

/** Starts a node in this process on free loopback ports with a fresh data dir. */
export async function startTestNode(overrides: Partial<NodeConfig> = {}): Promise<TestNode> {
  const dataDir = overrides.dataDir ?? tempDir();
  // Tests of the shadow protocol run with anonymous access; security tests pass allowAnonymous: false.
  const config = {
    ...loadConfig({
      // Load tests send far more than a real device; the rate limit has its own tests.
      flags: {
        mqttPort: 0,
        httpPort: 0,
        site: "test",
        host: "127.0.0.1",
        allowAnonymous: true,
        requestRate: 1_000_000,
      },
    }),
    dataDir,
    ...overrides,
  };
  const node = await startNode(config, createLogger("silent"));
  return Object.assign(node, {
    mqttPort: Number(new URL(node.mqttUrl).port),
    httpPort: Number(new URL(node.httpUrl).port),
    dataDir,
    async stop(opts: { keepData?: boolean } = {}) {
      await node.close();
      if (!opts.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

export interface NodeProcess {
  child: ChildProcess;
  mqttUrl: string;
  httpUrl: string;
  mqttPort: number;
  httpPort: number;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
}

/**
 * Runs `umbra broker` as a child process on loopback and waits for its ready line. Anonymous access is
 * on unless `secure` is set (then the node requires credentials, as in production).
 */
export async function spawnNode(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 20_000,
  opts: { secure?: boolean } = {},
): Promise<NodeProcess> {
  const base = [
    "broker",
    "--host",
    "127.0.0.1",
    "--mqtt-port",
    "0",
    "--http-port",
    "0",
    "--request-rate",
    "1000000",
  ];
  if (!opts.secure) base.push("--allow-anonymous");
  const child = spawn(process.execPath, [UMBRA_BIN, ...base, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, UMBRA_LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let err = "";
  child.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | null>((res) => child.once("exit", (code) => res(code)));
  const ready = await new Promise<string>((res, rej) => {
    let out = "";
    const timer = setTimeout(
      () => rej(new Error(`node not ready after ${timeoutMs} ms; stderr: ${err}`)),
      timeoutMs,
    );
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const line = /umbra: ready (\S+) (\S+)/.exec(out);
      if (line) {
        clearTimeout(timer);
        res(line[0]);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      rej(new Error(`node exited with ${code} before ready; stderr: ${err}`));
    });
  });
  const [, mqttUrl = "", httpUrl = ""] = /umbra: ready (\S+) (\S+)/.exec(ready) ?? [];
  return {
    child,
    mqttUrl,
    httpUrl,
    mqttPort: Number(new URL(mqttUrl).port),
    httpPort: Number(new URL(httpUrl).port),
    stderr: () => err,
    exited,
  };
}
