import { type ChildProcess, spawn } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkPeers, freePort, type PeerCheck } from "./mosquitto.ts";
import { tempDir } from "./node.ts";

/** Debian's Prometheus Alertmanager (package prometheus-alertmanager). */
export const ALERTMANAGER_BIN = "/usr/bin/prometheus-alertmanager";

export const alertmanagerCheck = (): PeerCheck => checkPeers([ALERTMANAGER_BIN]);

export interface Alertmanager {
  url: string;
  /** `GET /api/v2/alerts` (active, not resolved). */
  alerts(): Promise<
    {
      labels: Record<string, string>;
      annotations: Record<string, string>;
      startsAt: string;
      endsAt: string;
    }[]
  >;
  log(): string;
  stop(): Promise<void>;
}

// One receiver that sends nowhere: the test reads what Alertmanager holds through its own API.
const CONFIG = `route:
  receiver: nowhere
  group_wait: 1s
receivers:
  - name: nowhere
`;

/** Starts Alertmanager on a free loopback port, clustering off, with a temp storage path. */
export async function startAlertmanager(timeoutMs = 30_000): Promise<Alertmanager> {
  const dir = tempDir("umbra-am-");
  writeFileSync(join(dir, "alertmanager.yml"), CONFIG);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = "";
  const child: ChildProcess = spawn(
    ALERTMANAGER_BIN,
    [
      `--config.file=${join(dir, "alertmanager.yml")}`,
      `--storage.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--cluster.listen-address=",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const stop = async () => {
    if (child.exitCode === null) child.kill("SIGTERM");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(`${url}/-/ready`);
      if (r.ok) break;
    } catch {}
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`alertmanager did not become ready: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    async alerts() {
      return (await (await fetch(`${url}/api/v2/alerts`)).json()) as Awaited<
        ReturnType<Alertmanager["alerts"]>
      >;
    },
    log: () => output,
    stop,
  };
}
