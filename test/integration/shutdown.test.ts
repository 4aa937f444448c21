import { spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type NodeProcess, REPO_ROOT, spawnNode, tempDir, UMBRA_BIN } from "../helpers/node.ts";
import { readSeq, startWriters } from "../helpers/shadow-writers.ts";

const THINGS = ["stop-a", "stop-b", "stop-c"];
const dirs: string[] = [];
const nodes: NodeProcess[] = [];

function dir(): string {
  const d = tempDir("umbra-shutdown-");
  dirs.push(d);
  return d;
}

async function node(args: string[]): Promise<NodeProcess> {
  const n = await spawnNode(args);
  nodes.push(n);
  return n;
}

afterAll(async () => {
  for (const n of nodes) {
    if (n.child.exitCode === null && n.child.signalCode === null) {
      n.child.kill("SIGKILL");
      await n.exited;
    }
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Resolves with the exit code, or fails the test (and kills the process) after `ms`. */
async function exitWithin(n: NodeProcess, ms: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      n.child.kill("SIGKILL");
      reject(new Error(`node did not exit within ${ms} ms; stderr: ${n.stderr()}`));
    }, ms);
  });
  try {
    return await Promise.race([n.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `umbra <args>` to completion. */
function runUmbra(
  args: string[],
  timeoutMs = 20_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [UMBRA_BIN, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, UMBRA_LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`umbra ${args.join(" ")} still running after ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("graceful shutdown", () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`${signal} while clients are sending: exits 0 and keeps every accepted update`, async () => {
      const dataDir = dir();
      const first = await node(["--data-dir", dataDir]);
      const run = await startWriters(
        first.mqttUrl,
        THINGS.map((thing) => ({ thing, seq: 0, version: 0 })),
      );
      await run.waitForAccepted(THINGS.length * 8);
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 300)));
      first.child.kill(signal);
      const code = await exitWithin(first, 10_000);
      const accepted = run.totalAccepted();
      await run.stop();
      expect(code, first.stderr()).toBe(0);
      expect(first.stderr()).not.toMatch(/unclean shutdown/);
      for (const w of run.writers) expect(w.anomalies, w.thing).toEqual([]);
      expect(run.writers.some((w) => w.sent > w.acceptedCount)).toBe(true); // it stopped mid-stream
      // SQLite removes the WAL on the last clean close: the store was really closed, not abandoned.
      expect(existsSync(join(dataDir, "umbra.db-wal"))).toBe(false);

      const second = await node(["--data-dir", dataDir]);
      const lines: string[] = [];
      for (const w of run.writers) {
        const disk = await readSeq(second.httpUrl, w.thing);
        expect(disk.seq, w.thing).toBeGreaterThanOrEqual(w.maxAcceptedSeq);
        expect(disk.version, w.thing).toBe(disk.seq);
        lines.push(`${w.thing} ${w.acceptedCount} accepted / ${disk.seq} on disk / ${w.sent} sent`);
      }
      console.log(`[shutdown] ${signal}: ${accepted} accepted; ${lines.join("; ")}`);
      second.child.kill("SIGTERM");
      expect(await exitWithin(second, 10_000)).toBe(0);
    });
  }
});

describe("signal right after the ready line", () => {
  it("is a graceful stop, not the default kill (handlers are installed before ready is printed)", async () => {
    const outcomes: string[] = [];
    for (let i = 0; i < 6; i++) {
      const n = await node(["--data-dir", dir()]);
      n.child.kill(i % 2 === 0 ? "SIGTERM" : "SIGINT");
      const code = await exitWithin(n, 10_000);
      outcomes.push(`${code}/${n.child.signalCode}`);
    }
    expect(outcomes).toEqual(Array(6).fill("0/null"));
  });
});

describe("start-up errors", () => {
  it("a second node on the same ports fails with a clear message and a non-zero exit", async () => {
    const first = await node(["--data-dir", dir()]);
    const mqttClash = await runUmbra([
      "broker",
      "--data-dir",
      dir(),
      "--mqtt-port",
      String(first.mqttPort),
      "--http-port",
      "0",
    ]);
    expect(mqttClash.code).toBe(1);
    expect(mqttClash.stderr).toMatch(
      new RegExp(`umbra: cannot start: .*address already in use .*:${first.mqttPort}`),
    );
    expect(mqttClash.stdout).not.toMatch(/ready/);

    const httpClash = await runUmbra([
      "broker",
      "--data-dir",
      dir(),
      "--mqtt-port",
      "0",
      "--http-port",
      String(first.httpPort),
    ]);
    expect(httpClash.code).toBe(1);
    expect(httpClash.stderr).toMatch(
      new RegExp(`umbra: cannot start: .*address already in use .*:${first.httpPort}`),
    );

    // The first node is unaffected.
    const health = await fetch(`${first.httpUrl}/healthz`);
    expect(health.status).toBe(200);
    first.child.kill("SIGTERM");
    expect(await exitWithin(first, 10_000)).toBe(0);
  });

  it("a bad flag value exits 2 with a message naming the setting, before touching the data dir", async () => {
    const dataDir = join(dir(), "never-created");
    const r = await runUmbra(["broker", "--data-dir", dataDir, "--mqtt-port", "abc"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^umbra: .*mqttPort must be a port number \(0-65535\) or "off", got "abc"/m);
    expect(r.stdout).toBe("");
    expect(existsSync(dataDir)).toBe(false);
  });

  it("`umbra broker --help` lists the flags", async () => {
    const r = await runUmbra(["broker", "--help"]);
    expect(r.code).toBe(0);
    for (const flag of [
      "--config",
      "--data-dir",
      "--host",
      "--mqtt-port",
      "--http-port",
      "--site",
      "--cache-size",
      "--max-state-bytes",
      "--log-level",
    ]) {
      expect(r.stdout).toContain(flag);
    }
  });
});
