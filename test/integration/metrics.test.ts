import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addIdentities, loginAs, startSecureNode } from "../helpers/acl-clients.ts";
import { PEERS_REQUIRED } from "../helpers/mosquitto.ts";
import { Inbox } from "../helpers/mqtt.ts";
import type { TestNode } from "../helpers/node.ts";
import { parseSamples, promtoolCheck, promtoolMissing, sample } from "../helpers/prometheus.ts";

/**
 * `GET /metrics` of a secure node after real MQTT and HTTP traffic: who may scrape, that Debian's
 * promtool accepts the exposition, and that each counter moves when the thing it counts happens.
 */
let node: TestNode;
const clients: MqttClient[] = [];
const tokens = { viewer: "", operator: "", bridge: "" };
let devicePassword = "";
let opsPassword = "";
const PROMTOOL_MISSING = promtoolMissing();

beforeAll(async () => {
  node = await startSecureNode();
  const passwords = addIdentities(node, [
    { name: "pdu-7", role: "device" },
    { name: "ops-mqtt", role: "operator" },
  ]);
  devicePassword = passwords.get("pdu-7") ?? "";
  opsPassword = passwords.get("ops-mqtt") ?? "";
  tokens.viewer = node.identities.createToken("prometheus", "viewer", "*").token;
  tokens.operator = node.identities.createToken("ops", "operator", "*").token;
  tokens.bridge = node.identities.createToken("gw", "bridge", "*").token;
});
afterAll(async () => {
  for (const c of clients) await c.endAsync();
  await node?.stop();
});

async function scrape(token = tokens.viewer): Promise<{ status: number; type: string; body: string }> {
  const res = await fetch(`${node.httpUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, type: res.headers.get("content-type") ?? "", body: await res.text() };
}

describe("GET /metrics", () => {
  it("needs an operator or viewer bearer token", async () => {
    const anonymous = await fetch(`${node.httpUrl}/metrics`);
    expect(anonymous.status).toBe(401);
    expect((await scrape("umb_nonsense")).status).toBe(401);
    const bridge = await scrape(tokens.bridge);
    expect(bridge.status).toBe(403);
    expect(bridge.body).toContain("operator or viewer");
    expect((await scrape(tokens.operator)).status).toBe(200);
    const viewer = await scrape(tokens.viewer);
    expect(viewer.status).toBe(200);
    expect(viewer.type).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it("counts connections, messages, shadow requests, commits, cache and presence as they happen", async () => {
    const before = parseSamples((await scrape()).body);

    const operator = await loginAs(node.mqttUrl, "ops-mqtt", opsPassword);
    clients.push(operator);
    const inbox = new Inbox(operator);
    await operator.subscribeAsync("things/pdu-7/telemetry", { qos: 1 });
    const device = await loginAs(node.mqttUrl, "pdu-7", devicePassword);
    clients.push(device);
    await device.publishAsync("things/pdu-7/telemetry", JSON.stringify({ watts: 412 }), { qos: 1 });
    await inbox.next("things/pdu-7/telemetry");
    await device.publishAsync(
      "$aws/things/pdu-7/shadow/update",
      JSON.stringify({ state: { reported: { outlet1: "on" } } }),
      { qos: 1 },
    );
    // An operator sets desired over HTTP; a malformed body is refused with 400.
    const post = (body: string) =>
      fetch(`${node.httpUrl}/things/pdu-7/shadow`, {
        method: "POST",
        headers: { authorization: `Bearer ${tokens.operator}`, "content-type": "application/json" },
        body,
      });
    expect((await post(JSON.stringify({ state: { desired: { outlet1: "off" } } }))).status).toBe(200);
    expect((await post("{not json")).status).toBe(400);

    const { status, body } = await scrape();
    expect(status).toBe(200);
    // Open descriptors, read off the main thread: at least the listeners and the clients connected here.
    expect(sample(parseSamples(body), "process_open_fds")).toBeGreaterThanOrEqual(4);
    // promtool is a real peer: without it the lint fails under CI and is skipped (said on stderr) locally.
    if (PROMTOOL_MISSING === null || PEERS_REQUIRED) {
      expect(PROMTOOL_MISSING).toBeNull();
      const check = promtoolCheck(body);
      expect(check.output).toBe("");
      expect(check.code).toBe(0);
    } else process.stderr.write(`SKIP promtool lint: ${PROMTOOL_MISSING} (set CI to make this a failure)\n`);
    // OpenMetrics names a counter's family without `_total`: no other family may take that name.
    const families = [...body.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1] ?? "", m[2]] as const);
    const names = new Set(families.map(([n]) => n));
    const clashes = families.filter(([n, t]) => t === "counter" && names.has(n.replace(/_total$/, "")));
    expect(clashes).toEqual([]);

    const after = parseSamples(body);
    // A labelled series appears with its first event: absent before means 0.
    const delta = (key: string) => sample(after, key) - (before.get(key) ?? 0);
    expect(sample(after, "umbra_mqtt_clients_connected")).toBe(2);
    expect(delta("umbra_mqtt_connections_total")).toBe(2);
    // telemetry + shadow update from the device (the SUBSCRIBE is not a PUBLISH)
    expect(delta("umbra_mqtt_messages_received_total")).toBeGreaterThanOrEqual(2);
    // the telemetry delivered to the operator
    expect(delta("umbra_mqtt_messages_sent_total")).toBeGreaterThanOrEqual(1);
    expect(delta('umbra_shadow_requests_total{op="update"}')).toBeGreaterThanOrEqual(3);
    expect(delta('umbra_shadow_responses_total{code="200"}')).toBeGreaterThanOrEqual(2);
    expect(sample(after, 'umbra_shadow_responses_total{code="400"}')).toBe(1);
    expect(delta("umbra_shadow_changes_total")).toBe(2);
    expect(delta("umbra_commit_batch_size_count")).toBe(2);
    expect(delta("umbra_commit_batch_size_sum")).toBe(2);
    expect(delta("umbra_commit_duration_seconds_count")).toBe(2);
    expect(delta("umbra_commit_duration_seconds_sum")).toBeGreaterThan(0);
    // Per request, each part of its wait for the commit (bulk histograms: broker/metrics/bulk-histogram.ts).
    for (const part of ["wait", "queue", "prepare", "sql", "fsync", "handoff"])
      expect(delta(`umbra_commit_${part}_seconds_count`), part).toBe(2);
    expect(delta('umbra_commit_wait_seconds_bucket{le="+Inf"}')).toBe(2);
    expect(sample(after, "umbra_shadow_cache_documents")).toBe(1);
    expect(delta("umbra_shadow_cache_hits_total")).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'umbra_presence_things{state="connected"}')).toBe(1);
    expect(sample(after, 'umbra_sqlite_bytes{file="umbra.db"}')).toBeGreaterThan(0);
    expect(sample(after, 'umbra_node_info{site="test"}')).toBe(1);
    expect(sample(after, "process_resident_memory_bytes")).toBeGreaterThan(0);

    // The device leaves: current connections and presence go down, the total stays.
    await device.endAsync();
    clients.splice(clients.indexOf(device), 1);
    await until(
      async () => sample(parseSamples((await scrape()).body), "umbra_mqtt_clients_connected") === 1,
    );
    const gone = parseSamples((await scrape()).body);
    expect(sample(gone, 'umbra_presence_things{state="connected"}')).toBe(0);
    expect(sample(gone, 'umbra_presence_things{state="disconnected"}')).toBe(1);
    expect(sample(gone, "umbra_mqtt_connections_total")).toBe(sample(after, "umbra_mqtt_connections_total"));
  });
});

async function until(cond: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
