import type { MqttClient } from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_SECURITY, type SecurityLimits } from "../../shared/config.ts";
import { DEFAULT_LIMITS, type ShadowLimits } from "../../shared/limits.ts";
import { connectClient } from "../helpers/mqtt.ts";
import { startTestNode, type TestNode } from "../helpers/node.ts";

/**
 * Issue 17, item 4: request limits were per connection and named shadows per thing unbounded — 50
 * connections of one device identity created ~3,560 named shadows of ~7 KB in 10.7 s with no 429
 * (data dir 1.9 → 25.9 MB). Item 7: a request refused with 403 was still delivered to subscribers of
 * its topic (a device watching its own `…/shadow/#` saw desired writes from operators not granted it).
 */
interface Reply {
  topic: string;
  code?: number;
  message?: string;
}

async function secureNode(security: Partial<SecurityLimits>, limits: Partial<ShadowLimits> = {}) {
  return startTestNode({
    allowAnonymous: false,
    security: { ...DEFAULT_SECURITY, requestRate: 1_000_000, requestBurst: 1_000_000, ...security },
    limits: { ...DEFAULT_LIMITS, ...limits },
  });
}

/** Connects `n` clients as `user`, each collecting the replies to its requests by clientToken. */
async function clients(node: TestNode, user: string, password: string, n: number) {
  const replies = new Map<string, Reply>();
  const out: MqttClient[] = [];
  for (let i = 0; i < n; i++) {
    const c = await connectClient(node.mqttUrl, { username: user, password, clientId: `${user}-${i}` });
    c.on("message", (topic, payload) => {
      const r = JSON.parse(payload.toString()) as Reply & { clientToken?: string };
      if (r.clientToken) replies.set(r.clientToken, { ...r, topic });
    });
    out.push(c);
  }
  return { clients: out, replies };
}

async function waitFor(check: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

const body = (token: string) =>
  JSON.stringify({ state: { reported: { blob: "x".repeat(6000) } }, clientToken: token });

describe("security: limits across connections", () => {
  let node: TestNode;
  const ends: MqttClient[] = [];
  afterEach(async () => {
    for (const c of ends.splice(0)) await c.endAsync(true);
    await node?.stop();
  });

  it("caps named shadows per thing (413) and requests per thing across 20 connections (429), with metrics", async () => {
    node = await secureNode({ thingRequestRate: 20, thingRequestBurst: 40 }, { maxNamedShadows: 10 });
    const password = node.identities.add("pdu-1", "device", "pdu-1");
    const { clients: cs, replies } = await clients(node, "pdu-1", password, 20);
    ends.push(...cs);
    for (const c of cs) await c.subscribeAsync("$aws/things/pdu-1/shadow/name/+/update/+", { qos: 1 });
    // Each connection creates 10 named shadows at once: 200 requests, 200 distinct shadows.
    const tokens: string[] = [];
    await Promise.all(
      cs.flatMap((c, i) =>
        Array.from({ length: 10 }, (_, j) => {
          const token = `t-${i}-${j}`;
          tokens.push(token);
          return c.publishAsync(`$aws/things/pdu-1/shadow/name/s${i}x${j}/update`, body(token), { qos: 1 });
        }),
      ),
    );
    await waitFor(() => tokens.every((t) => replies.has(t)));
    const all = tokens.map((t) => replies.get(t) as Reply);
    const accepted = all.filter((r) => r.topic.endsWith("/accepted")).length;
    const limited = all.filter((r) => r.code === 429);
    const capped = all.filter((r) => r.code === 413);
    console.log(
      `200 creations over 20 connections: ${accepted} accepted, ${limited.length} × 429, ${capped.length} × 413`,
    );
    expect(accepted).toBeLessThanOrEqual(10);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]?.message).toMatch(/for thing 'pdu-1'/);
    expect(capped[0]?.message).toMatch(/has 10 named shadows; the limit is 10/);
    const stored = [...node.store.storedHeads()].filter(
      (s) => s.addr.thing === "pdu-1" && s.addr.shadow !== "",
    );
    expect(stored.length).toBeLessThanOrEqual(10);
    const metrics = await node.metrics.metrics();
    expect(metrics).toMatch(/umbra_shadow_requests_limited_total\{scope="thing"\} [1-9]/);
    expect(metrics).toMatch(/umbra_shadow_quota_refused_total\{limit="named_per_thing"\} [1-9]/);
  });

  it("caps the shadows one bridge identity creates (413), across things", async () => {
    node = await secureNode({}, { maxShadowsPerIdentity: 5 });
    const password = node.identities.add("modbus", "bridge", "rack-*");
    const { clients: cs, replies } = await clients(node, "modbus", password, 1);
    const [c] = cs as [MqttClient];
    ends.push(c);
    const tokens = Array.from({ length: 8 }, (_, i) => `b-${i}`);
    for (const i of tokens.keys())
      await c.subscribeAsync(`$aws/things/rack-${i}/shadow/update/+`, { qos: 1 });
    for (const [i, t] of tokens.entries())
      await c.publishAsync(`$aws/things/rack-${i}/shadow/update`, body(t), { qos: 1 });
    await waitFor(() => tokens.every((t) => replies.has(t)));
    const codes = tokens.map((t) => replies.get(t)?.code ?? 200);
    expect(codes).toEqual([200, 200, 200, 200, 200, 413, 413, 413]);
    expect(replies.get("b-5")?.message).toMatch(/Identity 'modbus' has created 5 shadows; the limit is 5/);
  });

  it("delivers a refused (403) shadow request to nobody but the requester", async () => {
    node = await secureNode({});
    const devicePw = node.identities.add("pdu-9", "device", "pdu-9");
    const outsiderPw = node.identities.add("op-rack", "operator", "rack-*");
    const insiderPw = node.identities.add("op-pdu", "operator", "pdu-*");
    const device = await connectClient(node.mqttUrl, { username: "pdu-9", password: devicePw });
    ends.push(device);
    const seen: string[] = [];
    device.on("message", (topic, payload) => seen.push(`${topic} ${payload.toString()}`));
    await device.subscribeAsync("$aws/things/pdu-9/shadow/#", { qos: 1 });
    const { clients: outs, replies } = await clients(node, "op-rack", outsiderPw, 1);
    const { clients: ins } = await clients(node, "op-pdu", insiderPw, 1);
    ends.push(...outs, ...ins);
    const [outsider] = outs as [MqttClient];
    const [insider] = ins as [MqttClient];
    await outsider.subscribeAsync("$aws/things/pdu-9/shadow/update/rejected", { qos: 1 });
    const forged = JSON.stringify({ state: { desired: { power: "off" } }, clientToken: "refused-1" });
    await outsider.publishAsync("$aws/things/pdu-9/shadow/update", forged, { qos: 1 });
    await waitFor(() => replies.has("refused-1"));
    expect(replies.get("refused-1")?.code).toBe(403);
    // A granted operator's write after it: delivered (request, accepted reply, delta), and in order.
    const granted = JSON.stringify({ state: { desired: { power: "on" } }, clientToken: "granted-1" });
    await insider.publishAsync("$aws/things/pdu-9/shadow/update", granted, { qos: 1 });
    await waitFor(() => seen.some((m) => m.includes("/update/delta")));
    expect(seen.filter((m) => m.includes('"off"'))).toEqual([]);
    expect(
      seen.some((m) => m.startsWith("$aws/things/pdu-9/shadow/update {") && m.includes("granted-1")),
    ).toBe(true);
  });
});
