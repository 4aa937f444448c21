import { spawn } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JsonObject } from "../../shared/json.ts";
import { startSecureNode, until } from "../helpers/device-sdk.ts";
import { freePort } from "../helpers/mosquitto.ts";
import { REPO_ROOT, type TestNode, tempDir, UMBRA_BIN } from "../helpers/node.ts";
import { runUmbra } from "../helpers/umbra-cli.ts";

/** `umbra bridge` as a process: --once, config errors (--check), and a run against a node (SIGTERM → 0). */

const dir = tempDir("umbra-bridge-cli-");
let deadPort: number;
let node: TestNode;

const config = (name: string, body: string) => {
  const file = join(dir, name);
  writeFileSync(file, body);
  return file;
};

beforeAll(async () => {
  [deadPort, node] = await Promise.all([freePort(), startSecureNode()]);
});
afterAll(async () => {
  await node?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("umbra bridge", () => {
  it("a bad config exits 2 and names the mistake; --once polls the devices without a node", async () => {
    const good = config(
      "good.yaml",
      `node: { url: 'mqtt://127.0.0.1:1', username: b }\ndevices:\n` +
        `  - { thing: pdu-1, driver: modbus, address: '127.0.0.1:${deadPort}', profile: generic-modbus-pdu, timeout: 300ms }\n`,
    );
    const bad = config(
      "bad.yaml",
      // Four mistakes, all named in the one run: a missing key, a typo, a wrong type, a missing secret file.
      "node: { url: 'mqtt://h', username: b }\ndevices:\n  - { thing: pdu-1, driver: modbus, profile: generic-modbus-pdu, " +
        "pollIntervall: 5s, timeout: [1], options: { unitId: { file: no-such-secret } } }\n",
    );
    // Two processes, not more: each `umbra` start compiles the sources (tsx), which is slow on a busy machine.
    const [wrong, once] = await Promise.all([
      runUmbra(["bridge", "--config", bad, "--check"]),
      runUmbra(["bridge", "--config", good, "--once"]),
    ]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("bad.yaml: 4 problems:");
    expect(wrong.stderr).toContain("devices[0].address: is required");
    expect(wrong.stderr).toContain("devices[0].pollIntervall: unknown key (did you mean 'pollInterval'?)");
    expect(wrong.stderr).toContain("devices[0].timeout: must be a string or number, got a list");
    expect(wrong.stderr).toMatch(
      /devices\[0\]\.options\.unitId: cannot read secret file \S+no-such-secret: ENOENT/,
    );
    expect(once.code).toBe(0);
    const line = JSON.parse(once.stdout.trim()) as { thing: string; reported: JsonObject };
    expect(line.thing).toBe("pdu-1");
    expect(line.reported.$bridge).toMatchObject({
      reachable: false,
      error: expect.stringMatching(/ECONNREFUSED/),
    });
  });

  it("runs against a node: the device appears (unreachable), SIGTERM exits 0, the password is never printed", async () => {
    const password = node.identities.add("cli-bridge", "bridge", "pdu-*");
    const file = config(
      "run.yaml",
      `node: { url: '${node.mqttUrl}', username: cli-bridge }\ndefaults: { pollInterval: 200ms, timeout: 300ms }\n` +
        `devices:\n  - { thing: pdu-cli, driver: modbus, address: '127.0.0.1:${deadPort}', profile: generic-modbus-pdu }\n`,
    );
    const child = spawn(process.execPath, [UMBRA_BIN, "bridge", "--config", file, "--log-level", "debug"], {
      cwd: REPO_ROOT,
      env: { ...process.env, UMBRA_BRIDGE_PASSWORD: password },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      await until("ready line", () => /umbra bridge: ready 1 device mqtt:/.test(out), 12_000);
      const mark = await until("pdu-cli marked unreachable", async () => {
        const r = await node.service.get({ thing: "pdu-cli", shadow: "" });
        const b = r.ok ? (r.body as { state: { reported?: JsonObject } }).state.reported?.$bridge : undefined;
        return (b as JsonObject | undefined)?.reachable === false ? b : undefined;
      });
      expect(mark).toMatchObject({ error: expect.stringMatching(/cannot connect: ECONNREFUSED/) });
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(out).not.toContain(password);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
