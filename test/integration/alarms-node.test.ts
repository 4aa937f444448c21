import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectClient } from "../helpers/mqtt.ts";
import { startTestNode, type TestNode, tempDir } from "../helpers/node.ts";
import { eventually } from "../helpers/relay-sites.ts";
import { runUmbra } from "../helpers/umbra-cli.ts";

type Json = Record<string, unknown>;

const RULES = `system: rack-a1
rules:
  - { name: pdu-overload, kind: telemetry, metric: load_pct, above: 80, for: 1s, severity: critical }
  - { name: fan-failed, kind: reported, path: fan.state, equals: failed, severity: major }
  - { name: host-offline, kind: offline, for: 1s, things: "host-*" }
  - { name: bmc-unreachable, kind: unreachable, things: "bmc-*" }
  - { name: drift, kind: not-converged, for: 1s, things: "sw-*" }
`;

// One real node (SQLite, aedes, HTTP) with a rules directory, a webhook receiver and an MQTT watcher:
// each rule kind raised and cleared end to end, acknowledged through the CLI, reviewed.
describe("alarms on a node", () => {
  let node: TestNode;
  let hook: Server;
  const hooked: Json[] = [];
  let watcher: MqttClient;
  const clients: MqttClient[] = [];
  const retained = new Map<string, Json | null>();
  const rulesDir = tempDir("umbra-rules-");

  beforeAll(async () => {
    writeFileSync(join(rulesDir, "rack-a1.yaml"), RULES);
    hook = createServer((req, res) => {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () => {
        hooked.push(JSON.parse(body) as Json);
        // The first delivery fails: the notifier retries.
        res.statusCode = hooked.length === 1 ? 503 : 204;
        res.end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
    const port = (hook.address() as { port: number }).port;
    node = await startTestNode({
      alarmRules: rulesDir,
      alarmRulesPollMs: 200,
      alarmWebhook: `http://127.0.0.1:${port}/hook`,
    });
    const put = await fetch(`${node.httpUrl}/systems/rack-a1`, {
      method: "PUT",
      body: JSON.stringify({ things: ["pdu-1", "dev-1", "host-1", "bmc-1", "sw-1"] }),
    });
    expect(put.status).toBe(200);
    watcher = await connectClient(node.mqttUrl, { clientId: "alarm-watcher" });
    watcher.on("message", (topic, payload) => {
      retained.set(topic, payload.length === 0 ? null : (JSON.parse(payload.toString()) as Json));
    });
    await watcher.subscribeAsync("umbra/alarms/#", { qos: 1 });
  }, 60_000);

  afterAll(async () => {
    for (const c of [watcher, ...clients]) await c?.endAsync();
    await node?.stop();
    await new Promise<void>((r) => hook?.close(() => r()));
  });

  const alarm = async (id: string): Promise<Json | undefined> => {
    const r = (await (await fetch(`${node.httpUrl}/alarms?state=all`)).json()) as { results: Json[] };
    return r.results.find((a) => a.id === id);
  };
  const thingsWhere = async (q: string): Promise<string[]> => {
    const r = await fetch(`${node.httpUrl}/things?q=${encodeURIComponent(q)}`);
    expect(r.status).toBe(200);
    return ((await r.json()) as { results: { thingName: string }[] }).results.map((x) => x.thingName);
  };
  const shadow = (thing: string, state: Json) =>
    fetch(`${node.httpUrl}/things/${thing}/shadow`, { method: "POST", body: JSON.stringify({ state }) });

  it("telemetry over a threshold for its duration raises; a low sample clears", async () => {
    const pdu = await connectClient(node.mqttUrl, { clientId: "pdu-1" });
    await pdu.publishAsync("things/pdu-1/telemetry", JSON.stringify({ load_pct: 91 }), { qos: 1 });
    await eventually(
      async () =>
        expect(await alarm("rack-a1/pdu-overload/pdu-1")).toMatchObject({
          state: "raised",
          value: 91,
          severity: "critical",
        }),
      15_000,
    );
    await eventually(
      () =>
        expect(retained.get("umbra/alarms/test/rack-a1/pdu-overload/pdu-1")).toMatchObject({
          state: "raised",
        }),
      15_000,
    );
    await pdu.publishAsync("things/pdu-1/telemetry", JSON.stringify({ load_pct: 40 }), { qos: 1 });
    await eventually(
      async () => expect((await alarm("rack-a1/pdu-overload/pdu-1"))?.state).toBe("cleared"),
      15_000,
    );
    await eventually(
      () => expect(retained.get("umbra/alarms/test/rack-a1/pdu-overload/pdu-1")).toBeNull(),
      15_000,
    );
    await pdu.endAsync();
  }, 60_000);

  it("reported values, bridged unreachable and not converged raise and clear", async () => {
    await shadow("dev-1", { reported: { fan: { state: "failed" } } });
    await shadow("bmc-1", { reported: { $bridge: { reachable: false } } });
    await shadow("sw-1", { desired: { vlan: 7 } });
    await eventually(async () => {
      expect((await alarm("rack-a1/fan-failed/dev-1"))?.state).toBe("raised");
      expect((await alarm("rack-a1/bmc-unreachable/bmc-1"))?.state).toBe("raised");
      expect((await alarm("rack-a1/drift/sw-1"))?.state).toBe("raised");
    }, 15_000);
    // The fleet query sees the open alarms per thing (`alarms` root).
    expect(await thingsWhere("alarms.open > 0 AND thingName:*-1")).toEqual(
      expect.arrayContaining(["bmc-1", "dev-1", "sw-1"]),
    );
    expect(await thingsWhere("thingName:sw-1 AND alarms.unacknowledged:1")).toEqual(["sw-1"]);
    await shadow("dev-1", { reported: { fan: { state: "ok" } } });
    await shadow("bmc-1", { reported: { $bridge: { reachable: true } } });
    await shadow("sw-1", { reported: { vlan: 7 } });
    await eventually(async () => {
      expect((await alarm("rack-a1/fan-failed/dev-1"))?.state).toBe("cleared");
      expect((await alarm("rack-a1/bmc-unreachable/bmc-1"))?.state).toBe("cleared");
      expect((await alarm("rack-a1/drift/sw-1"))?.state).toBe("cleared");
    }, 15_000);
    expect(await thingsWhere("thingName:sw-1 AND alarms.open:0")).toEqual(["sw-1"]);
  }, 60_000);

  it("a device that goes offline raises after its duration; reconnecting clears", async () => {
    const host = await connectClient(node.mqttUrl, { clientId: "host-1" });
    await host.endAsync();
    await eventually(
      async () => expect((await alarm("rack-a1/host-offline/host-1"))?.state).toBe("raised"),
      15_000,
    );
    const again = await connectClient(node.mqttUrl, { clientId: "host-1" });
    await eventually(
      async () => expect((await alarm("rack-a1/host-offline/host-1"))?.state).toBe("cleared"),
      15_000,
    );
    clients.push(again);
  }, 60_000);

  it("the webhook got raises and clears, retried past a failure", async () => {
    await eventually(() => {
      const events = hooked.map((h) => `${h.event} ${(h.alarm as Json).id}`);
      expect(events).toContain("raised rack-a1/pdu-overload/pdu-1");
      expect(events).toContain("cleared rack-a1/pdu-overload/pdu-1");
      expect(events.filter((e) => e === "raised rack-a1/pdu-overload/pdu-1").length).toBe(2);
    }, 15_000);
  }, 30_000);

  it("acknowledge and shelve through the CLI, review the system", async () => {
    await shadow("dev-1", { reported: { fan: { state: "failed" } } });
    await eventually(
      async () => expect((await alarm("rack-a1/fan-failed/dev-1"))?.state).toBe("raised"),
      15_000,
    );
    const env = { UMBRA_URL: node.httpUrl };
    const ack = await runUmbra(["alarms", "ack", "rack-a1/fan-failed/dev-1"], { env, timeoutMs: 60_000 });
    expect(ack.stderr).toBe("");
    expect(ack.stdout).toContain("acknowledged");
    expect(await alarm("rack-a1/fan-failed/dev-1")).toMatchObject({
      state: "acknowledged",
      ackedBy: "anonymous",
      fireCount: 2,
    });
    const twice = await runUmbra(["alarms", "ack", "rack-a1/fan-failed/dev-1"], { env, timeoutMs: 60_000 });
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain("409");
    const shelved = await runUmbra(["alarms", "shelve", "rack-a1/fan-failed/dev-1", "--for", "2h"], {
      env,
      timeoutMs: 60_000,
    });
    expect(shelved.stdout).toContain("shelved until");
    const list = await runUmbra(["alarms", "list"], { env, timeoutMs: 60_000 });
    expect(list.stdout).toMatch(/rack-a1\/fan-failed\/dev-1 +test +major +acknowledged \(shelved\)/);
    // A job on a thing of the system: the review lists it (the jobs capability's provider).
    const job = await fetch(`${node.httpUrl}/jobs`, {
      method: "POST",
      body: JSON.stringify({
        target: { things: ["host-1"] },
        patch: { mode: "eco" },
        rollout: { waitForConvergence: false },
      }),
    });
    expect(job.status, await job.clone().text()).toBeLessThan(300);
    const jobId = ((await job.json()) as Json).id;
    const review = await runUmbra(["review", "rack-a1", "--since", "1h", "--json"], {
      env,
      timeoutMs: 60_000,
    });
    const r = JSON.parse(review.stdout) as Json;
    expect(r.raised).toEqual({ raises: 6, alarms: 5 });
    expect((r.stillOpen as Json[]).map((a) => a.id)).toEqual(["rack-a1/fan-failed/dev-1"]);
    expect((r.neverAcknowledged as Json[]).map((a) => a.id).sort()).toEqual([
      "rack-a1/bmc-unreachable/bmc-1",
      "rack-a1/drift/sw-1",
      "rack-a1/host-offline/host-1",
      "rack-a1/pdu-overload/pdu-1",
    ]);
    expect(r.mostFlapping).toEqual([
      { id: "rack-a1/fan-failed/dev-1", thing: "dev-1", rule: "fan-failed", raises: 2 },
    ]);
    expect(r.jobs).toEqual([expect.objectContaining({ id: jobId, things: 1, creator: "anonymous" })]);
    const text = await runUmbra(["review", "rack-a1"], { env, timeoutMs: 60_000 });
    expect(text.stdout).toContain("Alarms raised: 6 (5 distinct)");
    const counts = (await (await fetch(`${node.httpUrl}/alarms/counts?system=rack-a1`)).json()) as Json;
    expect(counts).toMatchObject({ open: 1, unacknowledged: 0, shelved: 1 });
    // The same counts in the fleet's system roll-up.
    const rollup = (await (await fetch(`${node.httpUrl}/systems/rack-a1/rollup`)).json()) as Json;
    expect(rollup).toMatchObject({
      name: "rack-a1",
      things: 5,
      alarms: { open: 1, unacknowledged: 0, shelved: 1 },
    });
    expect((rollup.alarms as Json).bySeverity).toMatchObject({ major: 1, critical: 0 });
  }, 120_000);

  it("a changed rules file is picked up; a broken one is refused and the old rules stay", async () => {
    writeFileSync(
      join(rulesDir, "rack-a1.yaml"),
      `${RULES}  - { name: hot, kind: reported, path: temp, above: 50 }\n`,
    );
    await eventually(async () => {
      const r = (await (await fetch(`${node.httpUrl}/alarms/rules`)).json()) as { rules: Json[] };
      expect(r.rules.map((x) => x.name)).toContain("hot");
    }, 15_000);
    await shadow("dev-1", { reported: { temp: 60 } });
    await eventually(async () => expect((await alarm("rack-a1/hot/dev-1"))?.state).toBe("raised"), 15_000);
    writeFileSync(
      join(rulesDir, "rack-a1.yaml"),
      `${RULES}  - { name: hot, kind: reported, path: temp, abov: 50 }\n`,
    );
    await eventually(async () => {
      const r = (await (await fetch(`${node.httpUrl}/alarms/rules`)).json()) as {
        rules: Json[];
        problems: Json[];
      };
      expect(r.problems).toEqual([
        { file: "rack-a1.yaml", line: 8, key: "/rules/5/abov", problem: "unknown key 'abov'" },
      ]);
      expect(r.rules.map((x) => x.name)).toContain("hot");
    }, 15_000);
  }, 60_000);

  it("an alarm of a thing under a maintenance claim is raised but not notified", async () => {
    const claim = await fetch(`${node.httpUrl}/claims`, {
      method: "POST",
      body: JSON.stringify({ things: ["bmc-9"], reason: "PSU swap", durationSeconds: 3600 }),
    });
    expect(claim.status, await claim.clone().text()).toBeLessThan(300);
    const put = await fetch(`${node.httpUrl}/systems/rack-a1`, {
      method: "PUT",
      body: JSON.stringify({ things: ["pdu-1", "dev-1", "host-1", "bmc-1", "sw-1", "bmc-9"] }),
    });
    expect(put.status).toBe(200);
    await shadow("bmc-9", { reported: { fan: { state: "failed" } } });
    await eventually(
      async () => expect((await alarm("rack-a1/fan-failed/bmc-9"))?.state).toBe("raised"),
      15_000,
    );
    // The same rule's alarm of a thing without a claim (dev-1, earlier) reached the webhook.
    await new Promise((r) => setTimeout(r, 3000));
    const ids = hooked.map((h) => (h.alarm as Json).id);
    expect(ids).toContain("rack-a1/fan-failed/dev-1");
    expect(ids).not.toContain("rack-a1/fan-failed/bmc-9");
  }, 40_000);
});
