import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectClient } from "../helpers/mqtt.ts";
import { REPO_ROOT, tempDir } from "../helpers/node.ts";

/**
 * The node as a production install: `npm pack` of the repository, installed with `--omit=dev` into an
 * empty project, `umbra` from node_modules/.bin on PATH, started and answering MQTT. No dev dependency
 * (Node-RED, vitest, TypeScript, the AWS SDKs) may land there.
 *
 * better-sqlite3 compiles from source on install where no prebuilt binary can be downloaded (minutes
 * on a loaded machine), so the project links the repository's already built copy (an ordinary
 * `npm install <folder>`) and installs with --ignore-scripts; everything else comes from the tarball
 * and the registry (or npm's cache).
 */
let dir = "";
let host = "";
let child: ChildProcess | undefined;

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  return execFileSync(cmd, args, {
    cwd,
    env,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 240_000,
  });
}

beforeAll(() => {
  dir = tempDir("umbra-prod-install-");
  const packed = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", dir], REPO_ROOT)) as {
    filename: string;
  }[];
  host = join(dir, "host");
  mkdirSync(host);
  writeFileSync(join(host, "package.json"), JSON.stringify({ name: "host", private: true }));
  run(
    "npm",
    [
      "install",
      "--omit=dev",
      "--ignore-scripts",
      "--prefer-offline",
      "--no-audit",
      "--no-fund",
      join(REPO_ROOT, "node_modules/better-sqlite3"),
      join(dir, packed[0]?.filename ?? ""),
    ],
    host,
  );
}, 300_000);

afterAll(() => {
  child?.kill("SIGKILL");
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("production install (npm pack, --omit=dev)", () => {
  it("holds no dev dependency and no tests", () => {
    for (const dev of ["node-red", "vitest", "typescript", "@biomejs", "aws-iot-device-sdk-v2", "fast-check"])
      expect(existsSync(join(host, "node_modules", dev)), dev).toBe(false);
    expect(existsSync(join(host, "node_modules/umbra/test"))).toBe(false);
    expect(existsSync(join(host, "node_modules/umbra/broker/cli/umbra.mjs"))).toBe(true);
    expect(existsSync(join(host, "node_modules/umbra/console/dist/index.html"))).toBe(true);
    expect(existsSync(join(host, "node_modules/umbra/console/src"))).toBe(false);
  });

  it("runs `umbra broker` from node_modules/.bin and serves MQTT", async () => {
    const bin = join(host, "node_modules/.bin");
    const env = { PATH: `${bin}:${process.env.PATH}`, UMBRA_LOG_LEVEL: "warn" };
    expect(run("umbra", ["--version"], host, env).trim()).toBe("0.1.0");
    const data = join(dir, "data");
    child = spawn(
      "umbra",
      [
        "broker",
        "--host",
        "127.0.0.1",
        "--mqtt-port",
        "0",
        "--http-port",
        "0",
        "--allow-anonymous",
        "--data-dir",
        data,
      ],
      { cwd: host, env, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout?.on("data", (d) => (out += d));
    child.stderr?.on("data", (d) => (out += d));
    const end = Date.now() + 30_000;
    while (!/umbra: ready (\S+)/.test(out) && Date.now() < end && child.exitCode === null)
      await new Promise((r) => setTimeout(r, 50));
    const url = /umbra: ready (\S+)/.exec(out)?.[1];
    expect(url, out).toMatch(/^mqtt:\/\//);
    const c = await connectClient(url ?? "", { clientId: "prod-check" });
    await c.publishAsync("things/prod/telemetry", "{}", { qos: 1 });
    await c.endAsync();
    // The web console ships in the tarball (console/dist): `/` is the page, not "console not built".
    const http = /umbra: ready \S+ (http:\/\/\S+)/.exec(out)?.[1];
    expect(http, out).toBeDefined();
    const page = await fetch(new URL("/", (http ?? "").replace("0.0.0.0", "127.0.0.1")));
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
  });
});
