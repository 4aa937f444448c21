import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "./mosquitto.ts";
import { REPO_ROOT, tempDir } from "./node.ts";

/** The Node-RED the repository depends on (dev dependency node-red 4.1.x; Node 20 cannot run 5.x). */
export const NODE_RED = join(REPO_ROOT, "node_modules/node-red/red.js");

export function nodeRedMissing(): string | null {
  return existsSync(NODE_RED) ? null : `${NODE_RED} is missing (npm ci installs the node-red dev dependency)`;
}

export interface NodeRed {
  /** Everything Node-RED printed so far (its log goes to stdout). */
  log(): string;
  /** Resolves once the log matches `re`; rejects on timeout or exit. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts real Node-RED headless on loopback: a temp user dir, no editor or admin API
 * (httpAdminRoot: false), no node HTTP endpoints, plain-text credentials (credentialSecret: false, so a
 * test can write flows_cred.json), and no update check or diagnostics calling out.
 */
export async function startNodeRed(flow: unknown[], credentials: Record<string, unknown>): Promise<NodeRed> {
  const dir = tempDir("umbra-node-red-");
  const port = await freePort();
  writeFileSync(join(dir, "flows.json"), JSON.stringify(flow, null, 2));
  writeFileSync(join(dir, "flows_cred.json"), JSON.stringify(credentials, null, 2), { mode: 0o600 });
  const settings = {
    uiHost: "127.0.0.1",
    uiPort: port,
    httpAdminRoot: false,
    httpNodeRoot: false,
    flowFile: "flows.json",
    credentialSecret: false,
    diagnostics: { enabled: false },
    telemetry: { enabled: false },
    logging: { console: { level: "info", metrics: false, audit: false } },
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
  };
  writeFileSync(join(dir, "settings.js"), `module.exports = ${JSON.stringify(settings, null, 2)};\n`);
  const child: ChildProcess = spawn(
    process.execPath,
    [NODE_RED, "--userDir", dir, "--settings", join(dir, "settings.js")],
    { cwd: dir, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NODE_RED_ENABLE_PROJECTS: "" } },
  );
  let log = "";
  const listeners = new Set<() => void>();
  const append = (d: Buffer) => {
    log += d.toString();
    for (const l of listeners) l();
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once("exit", () => {
      exited = true;
      for (const l of listeners) l();
      resolve();
    }),
  );
  return {
    log: () => log,
    waitFor(re, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const done = (settle: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        const check = () => {
          if (re.test(log)) done(resolve);
          else if (exited) done(() => reject(new Error(`Node-RED exited before ${re}:\n${log}`)));
        };
        const timer = setTimeout(
          () => done(() => reject(new Error(`Node-RED printed no ${re} in ${timeoutMs} ms:\n${log}`))),
          timeoutMs,
        );
        listeners.add(check);
        check();
      });
    },
    async stop() {
      if (!exited) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
        await exit;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
