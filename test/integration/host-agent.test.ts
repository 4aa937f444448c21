import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentProcess, eventually, spawnAgent } from "../helpers/host-agent.ts";
import { connectClient, Inbox } from "../helpers/mqtt.ts";
import { startTestNode, type TestNode, tempDir } from "../helpers/node.ts";

type Json = Record<string, unknown>;
interface Shadow {
  version: number;
  state: { desired?: Json; reported?: Json; delta?: Json };
}

const handlersOf = (s: Shadow): Record<string, Json> =>
  ((s.state.reported?.agent ?? {}) as { handlers?: Record<string, Json> }).handlers ?? {};
const reconciledOf = (s: Shadow): Json | undefined =>
  ((s.state.reported?.$status ?? {}) as { conditions?: Json[] }).conditions?.find(
    (c) => c.type === "Reconciled",
  );

/**
 * `umbra agent` as a child process against a real node with authentication on: the agent logs in with
 * the host thing's device identity, an operator sets desired state and watches telemetry.
 */
describe("umbra agent against a secure node", () => {
  const dir = tempDir("umbra-host-agent-");
  const motd = join(dir, "motd");
  const runs = join(dir, "runs");
  const echoed = join(dir, "echoed");
  const marker = join(dir, "marker");
  let node: TestNode;
  let password: string;
  let token: string;
  let operator: MqttClient;
  let agent: AgentProcess;
  let startedAt: number;
  let readyAt: number;

  const shadow = async (thing = "host-1"): Promise<Shadow> => {
    const res = await fetch(`${node.httpUrl}/things/${thing}/shadow`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (res.status !== 200) throw new Error(`GET shadow: ${res.status}`);
    return (await res.json()) as Shadow;
  };
  const setDesired = async (desired: Json) => {
    const inbox = new Inbox(operator);
    await operator.subscribeAsync("$aws/things/host-1/shadow/update/accepted", { qos: 1 });
    await operator.publishAsync("$aws/things/host-1/shadow/update", JSON.stringify({ state: { desired } }), {
      qos: 1,
    });
    const accepted = await inbox.nextJson<{ version: number }>("$aws/things/host-1/shadow/update/accepted");
    await operator.unsubscribeAsync("$aws/things/host-1/shadow/update/accepted");
    return accepted.version;
  };

  beforeAll(async () => {
    node = await startTestNode({ allowAnonymous: false });
    password = node.identities.add("host-1", "device", "host-1");
    const opsPassword = node.identities.add("ops", "operator", "*");
    token = node.identities.createToken("ops-http", "operator", "*").token;
    operator = await connectClient(node.mqttUrl, {
      username: "ops",
      password: opsPassword,
      clientId: "ops-1",
    });
    // A handler that fails for "bad" (exit 3) and counts its runs; one that hands the value to sh as $1.
    const flaky = join(dir, "flaky.sh");
    writeFileSync(
      flaky,
      `#!/bin/sh\necho "$1" >> ${runs}\n[ "$1" = bad ] && { echo "refusing bad" >&2; exit 3; }\nexit 0\n`,
      {
        mode: 0o755,
      },
    );
    writeFileSync(
      join(dir, "agent.yaml"),
      [
        "handlers:",
        "  motd:",
        "    desired: motd",
        `    file: { path: ${motd}, mode: "0600" }`,
        "  flaky:",
        "    desired: flaky",
        `    command: [${flaky}, "{value}"]`,
        "  echo:",
        "    desired: echo",
        `    command: ["/bin/sh", "-c", 'printf "%s" "$1" > ${echoed}', "sh", "{value}"]`,
        "facts:",
        "  interval: 1s",
      ].join("\n"),
    );
    startedAt = Date.now();
    agent = spawnAgent(
      [
        "--url",
        node.mqttUrl,
        "--thing",
        "host-1",
        "--config",
        join(dir, "agent.yaml"),
        "--interval",
        "500ms",
      ],
      { UMBRA_AGENT_PASSWORD: password },
    );
    await agent.waitForStdout(/umbra agent: ready host-1 mqtt:\/\/127\.0\.0\.1:\d+/, 15_000);
    readyAt = Date.now();
  });

  afterAll(async () => {
    await agent?.stop();
    await operator?.endAsync();
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("reports this machine's facts into reported within a few seconds", async () => {
    const doc = await eventually(async () => {
      const s = await shadow();
      return s.state.reported?.host ? s : undefined;
    }, 5000);
    const host = doc.state.reported?.host as Json & {
      cpu: Json;
      memory: Json;
      interfaces: Json;
      uptimeSeconds: number;
    };
    const factsMs = Date.now() - startedAt;
    console.info(
      `host agent: process start → ready ${readyAt - startedAt} ms; facts readable via HTTP after ≤ ${factsMs} ms`,
    );
    expect(factsMs).toBeLessThan(8000);
    expect(host.hostname).toBe(os.hostname());
    expect(host.kernel).toBe(os.release());
    expect(host.cpu.count).toBe(os.cpus().length);
    expect(host.memory.totalBytes).toBe(os.totalmem());
    expect(Math.abs(host.uptimeSeconds - os.uptime())).toBeLessThan(30);
    const addresses = Object.values(os.networkInterfaces())
      .flat()
      .filter((a) => a && !a.internal)
      .map((a) => a?.cidr);
    const reportedAddresses = Object.values(host.interfaces).flatMap(
      (i) => (i as { addresses: string[] }).addresses,
    );
    expect(reportedAddresses.length).toBeGreaterThan(0);
    expect(reportedAddresses.sort()).toEqual(addresses.sort());
    expect(handlersOf(doc)).toMatchObject({
      motd: { desired: "motd" },
      flaky: { desired: "flaky" },
    });
  });

  it("publishes telemetry on things/host-1/telemetry that an operator receives", async () => {
    const inbox = new Inbox(operator);
    await operator.subscribeAsync("things/host-1/telemetry", { qos: 0 });
    const first = await inbox.nextJson<Json & { memory: Json; cpu: Json; ts: number }>(
      "things/host-1/telemetry",
      3000,
    );
    const second = await inbox.nextJson<Json & { ts: number }>("things/host-1/telemetry", 3000);
    await operator.unsubscribeAsync("things/host-1/telemetry");
    expect(first.thing).toBe("host-1");
    expect(first.memory.totalBytes).toBe(os.totalmem());
    expect(first.cpu.count).toBe(os.cpus().length);
    expect(first.load).toHaveLength(3);
    expect(Object.keys(first.disks as Json).length).toBeGreaterThan(0);
    expect(Object.keys(first.net as Json).length).toBeGreaterThan(0);
    const gap = second.ts - first.ts;
    console.info(`host agent: telemetry interval 500 ms, measured gap ${gap} ms`);
    expect(gap).toBeGreaterThanOrEqual(300);
    expect(gap).toBeLessThan(2000);
  });

  it("applies a desired change through the file handler and the delta closes", async () => {
    const t0 = Date.now();
    const version = await setDesired({ motd: "welcome to host-1\n" });
    const doc = await eventually(async () => {
      const s = await shadow();
      return s.state.reported?.motd === "welcome to host-1\n" && s.state.delta === undefined ? s : undefined;
    }, 8000);
    console.info(`host agent: desired motd → file written and delta closed in ${Date.now() - t0} ms`);
    expect(readFileSync(motd, "utf8")).toBe("welcome to host-1\n");
    expect(statSync(motd).mode & 0o777).toBe(0o600);
    const reported = doc.state.reported as Json & {
      $status: { conditions: Json[] };
      agent: { handlers: Json };
    };
    expect(reported.$status.conditions).toContainEqual(
      expect.objectContaining({ type: "Reconciled", status: "True", reason: "Applied" }),
    );
    expect(reported.agent.handlers.motd).toMatchObject({
      status: "Applied",
      message: "",
      observedVersion: version,
    });
  });

  it("a value with shell syntax reaches the command as one argument; nothing else runs", async () => {
    const value = `"; touch ${marker}; echo "$(touch ${marker})`;
    await setDesired({ echo: value });
    await eventually(async () => ((await shadow()).state.reported?.echo === value ? true : undefined), 8000);
    expect(readFileSync(echoed, "utf8")).toBe(value);
    expect(existsSync(marker)).toBe(false);
  });

  it("a failing handler is reported (not closed), retried, and applied once desired is fixed", async () => {
    await setDesired({ flaky: "bad" });
    const failed = await eventually(async () => {
      const s = await shadow();
      // The handler's own status and the SDK's condition are two reports: wait for both.
      return handlersOf(s).flaky?.status === "Failed" && reconciledOf(s)?.status === "False" ? s : undefined;
    }, 8000);
    expect(failed.state.delta).toEqual({ flaky: "bad" });
    const status = reconciledOf(failed);
    expect(status).toMatchObject({ status: "False", reason: "CannotApply" });
    expect(status?.message).toContain("flaky: exited with code 3: refusing bad");
    expect(handlersOf(failed).flaky).toMatchObject({
      message: "exited with code 3: refusing bad",
    });
    // Retried with backoff (SDK default: first retry within 1 s, then 2 s…): a second run within a few seconds.
    await eventually(
      async () =>
        readFileSync(runs, "utf8")
          .split("\n")
          .filter((l) => l === "bad").length >= 2
          ? true
          : undefined,
      8000,
    );
    await setDesired({ flaky: "good" });
    const fixed = await eventually(async () => {
      const s = await shadow();
      return s.state.reported?.flaky === "good" && s.state.delta === undefined ? s : undefined;
    }, 8000);
    expect(handlersOf(fixed).flaky).toMatchObject({
      status: "Applied",
      message: "",
    });
    // Once applied, the failed value is not retried any more.
    const runsNow = readFileSync(runs, "utf8");
    await new Promise((r) => setTimeout(r, 1500));
    expect(readFileSync(runs, "utf8")).toBe(runsNow);
  });

  it("--dry-run --once prints the plan and changes neither the host nor the shadow", async () => {
    // The running agent would apply the change itself: stop it first (the dry run must change nothing).
    expect(await agent.stop()).toBe(0);
    await setDesired({ motd: "dry run only\n", flaky: "bad" });
    const before = await shadow();
    const contentBefore = readFileSync(motd, "utf8");
    const runsBefore = readFileSync(runs, "utf8");
    const dry = spawnAgent(
      [
        "--url",
        node.mqttUrl,
        "--thing",
        "host-1",
        "--config",
        join(dir, "agent.yaml"),
        "--dry-run",
        "--once",
      ],
      { UMBRA_AGENT_PASSWORD: password },
    );
    expect(await dry.exited).toBe(0);
    const out = dry.stdout();
    expect(out).toContain(
      `motd (file) for desired motd: would write 13 bytes to ${motd} (mode 0600) atomically`,
    );
    expect(out).toContain(`flaky (command) for desired flaky: would run ["${join(dir, "flaky.sh")}","bad"]`);
    expect(out).toMatch(/^dry-run: would report facts \{"host":\{"hostname":/m);
    expect(readFileSync(motd, "utf8")).toBe(contentBefore);
    expect(readFileSync(runs, "utf8")).toBe(runsBefore);
    const after = await shadow();
    expect(after.version).toBe(before.version);
    expect(after.state.reported).toEqual(before.state.reported);
  });

  it("--dry-run (continuous) prints a new plan whenever desired state changes, still changing nothing", async () => {
    const dry = spawnAgent(
      ["--url", node.mqttUrl, "--thing", "host-1", "--config", join(dir, "agent.yaml"), "--dry-run"],
      { UMBRA_AGENT_PASSWORD: password },
    );
    try {
      await dry.waitForStdout(/umbra agent: ready host-1 \S+ \(dry run\)/);
      const before = await shadow();
      await setDesired({ motd: "second plan\n" });
      await dry.waitForStdout(/motd \(file\) for desired motd: would write 12 bytes/);
      expect(readFileSync(motd, "utf8")).not.toBe("second plan\n");
      const after = await shadow();
      // Only the operator's desired write happened: one change, nothing reported by the dry run.
      expect(after.version).toBe(before.version + 1);
      expect(after.state.reported).toEqual(before.state.reported);
    } finally {
      expect(await dry.stop()).toBe(0);
    }
  });

  it("never prints or logs the password", async () => {
    for (const text of [agent.stdout(), agent.stderr()]) expect(text).not.toContain(password);
    expect(agent.stderr()).toContain('"msg":"desired state applied"');
  });
});
