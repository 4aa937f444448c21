import { type ChildProcess, spawn } from "node:child_process";
import type { MqttClient } from "mqtt";
import { connackOf } from "./acl-clients.ts";
import { REPO_ROOT, UMBRA_BIN } from "./node.ts";

/**
 * A secure `umbra broker` child process on a given data dir whose whole stdout and stderr are kept
 * (the ready line included), so tests can grep them for secrets.
 */
export interface SecureNodeProcess {
  child: ChildProcess;
  mqttUrl: string;
  httpUrl: string;
  output(): { stdout: string; stderr: string };
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
}

export async function spawnSecureNode(
  dataDir: string,
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 20_000,
): Promise<SecureNodeProcess> {
  const args = [
    "broker",
    "--host",
    "127.0.0.1",
    "--mqtt-port",
    "0",
    "--http-port",
    "0",
    "--data-dir",
    dataDir,
  ];
  const child = spawn(process.execPath, [UMBRA_BIN, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, UMBRA_LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdout?.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  const exited = new Promise<number | null>((res) => child.once("exit", (code) => res(code)));
  const deadline = Date.now() + timeoutMs;
  let ready: RegExpExecArray | null = null;
  while (!ready) {
    ready = /umbra: ready (\S+) (\S+)/.exec(stdout);
    if (ready) break;
    if (child.exitCode !== null) throw new Error(`node exited with ${child.exitCode}; stderr: ${stderr}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`node not ready after ${timeoutMs} ms; stderr: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    child,
    mqttUrl: ready[1] as string,
    httpUrl: ready[2] as string,
    output: () => ({ stdout, stderr }),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}

/** Retries a login until the node accepts it (bounded); resolves with the client and how long it took. */
export async function connectWithin(
  url: string,
  username: string,
  password: string,
  timeoutMs: number,
): Promise<{ client: MqttClient; ms: number; lastCode: number }> {
  const start = Date.now();
  let lastCode = -1;
  for (;;) {
    const r = await connackOf(url, { username, password, clientId: `${username}-probe` });
    lastCode = r.code;
    if (r.client) return { client: r.client, ms: Date.now() - start, lastCode };
    if (Date.now() - start > timeoutMs)
      throw new Error(`${username} still refused (CONNACK ${lastCode}) after ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** Resolves with the ms until the client's connection closed, or rejects after timeoutMs. */
export function closedWithin(client: MqttClient, timeoutMs: number): Promise<number> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    if (!client.connected) return resolve(0);
    const timer = setTimeout(() => reject(new Error(`still connected after ${timeoutMs} ms`)), timeoutMs);
    client.once("close", () => {
      clearTimeout(timer);
      resolve(Date.now() - start);
    });
  });
}
