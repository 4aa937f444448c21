import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import type { Role } from "../../shared/acl.ts";
import { DEFAULT_SECURITY, type SecurityLimits } from "../../shared/config.ts";
import { startTestNode, type TestNode } from "./node.ts";

/**
 * Helpers for the identity, role and ACL tests: a node that requires credentials, clients that log in
 * as a given identity, CONNACK codes of refused connections, and shadow requests that wait for the
 * reply carrying their clientToken.
 */

/** A node with authentication on; `security` overrides single limits (the rest stay the defaults). */
export function startSecureNode(security: Partial<SecurityLimits> = {}): Promise<TestNode> {
  return startTestNode({
    allowAnonymous: false,
    // The rate limit has its own tests; here a matrix sends many requests from one client.
    security: { ...DEFAULT_SECURITY, requestRate: 1_000_000, requestBurst: 1_000_000, ...security },
  });
}

/**
 * Tries to connect and resolves with the CONNACK return code (0 = accepted). A refused client is
 * closed; an accepted one is returned for further use.
 */
export function connackOf(
  url: string,
  opts: IClientOptions = {},
): Promise<{ code: number; client?: MqttClient }> {
  const client = mqtt.connect(url, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...opts,
  });
  return new Promise((resolve, reject) => {
    client.once("connect", () => resolve({ code: 0, client }));
    client.once("error", (err: Error & { code?: unknown }) => {
      client.end(true);
      if (typeof err.code === "number") resolve({ code: err.code });
      else reject(err);
    });
    client.once("close", () => reject(new Error("connection closed before CONNACK")));
  });
}

/** Subscribes to one filter and resolves with the granted QoS, or 128 (0x80) when refused. */
export async function grantOf(client: MqttClient, filter: string, qos: 0 | 1 = 1): Promise<number> {
  try {
    const [grant] = await client.subscribeAsync(filter, { qos });
    return grant?.qos ?? -1;
  } catch (err) {
    // mqtt.js rejects on a 0x80 return code; the SUBACK it got is attached.
    const granted = (err as { packet?: { granted?: number[] } }).packet?.granted;
    if (granted?.length === 1) return granted[0] as number;
    throw err;
  }
}

/** Connects as `username`/`password` and fails the test unless the node accepts (CONNACK 0). */
export async function loginAs(url: string, username: string, password: string): Promise<MqttClient> {
  const { code, client } = await connackOf(url, { username, password, clientId: `${username}-${rnd()}` });
  if (code !== 0 || !client) throw new Error(`${username} was refused with CONNACK ${code}`);
  return client;
}

export function rnd(): string {
  return Math.random().toString(36).slice(2, 10);
}

/** Every message a client receives, in arrival order. */
export class Recorder {
  readonly messages: { topic: string; payload: string }[] = [];

  constructor(client: MqttClient) {
    client.on("message", (topic, payload) => {
      this.messages.push({ topic, payload: payload.toString() });
    });
  }

  has(topic: string, payload: string): boolean {
    return this.messages.some((m) => m.topic === topic && m.payload === payload);
  }

  /** Waits (bounded) until a message matching `pred` arrived and returns it. */
  async waitFor(
    pred: (m: { topic: string; payload: string }) => boolean,
    timeoutMs = 3000,
  ): Promise<{ topic: string; payload: string }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(pred);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no matching message within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

/**
 * Fence: publishes a marker on a topic the observer subscribes to and waits for it. Everything the
 * node delivered to the observer before the fence (e.g. probes whose PUBACK the publisher already
 * got) has then arrived too: a connection's bytes arrive in order.
 */
export async function fence(observer: MqttClient, recorder: Recorder, topic: string): Promise<void> {
  const marker = `fence-${rnd()}`;
  await observer.publishAsync(topic, marker, { qos: 1 });
  await recorder.waitFor((m) => m.topic === topic && m.payload === marker);
}

export interface ShadowReply {
  /** accepted or rejected */
  outcome: string;
  code?: number;
  body: Record<string, unknown>;
}

/**
 * Sends a shadow request with a fresh clientToken and waits for its reply on `{request}/accepted` or
 * `{request}/rejected`. Tries to subscribe to both first; whether the node grants them is returned
 * (a requester that may not subscribe still gets a 403 delivered directly).
 */
export async function shadowRequest(
  client: MqttClient,
  recorder: Recorder,
  requestTopic: string,
  body: Record<string, unknown> = {},
): Promise<ShadowReply & { subscribed: boolean }> {
  let subscribed = true;
  for (const reply of ["accepted", "rejected"]) {
    if ((await grantOf(client, `${requestTopic}/${reply}`)) === 128) subscribed = false;
  }
  const clientToken = `t-${rnd()}`;
  await client.publishAsync(requestTopic, JSON.stringify({ ...body, clientToken }), { qos: 1 });
  const reply = await recorder.waitFor(
    (m) => m.topic.startsWith(`${requestTopic}/`) && m.payload.includes(`"${clientToken}"`),
  );
  const parsed = JSON.parse(reply.payload) as Record<string, unknown>;
  const outcome = reply.topic.slice(requestTopic.length + 1);
  return {
    outcome,
    code: typeof parsed.code === "number" ? parsed.code : undefined,
    body: parsed,
    subscribed,
  };
}

/** Renders rows as an aligned text table (printed when a matrix assertion fails). */
export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("-+-"), ...rows.map(line)].join("\n");
}

/** The identities every matrix test uses: name, role and thing grant. */
export interface IdentitySpec {
  name: string;
  role: Exclude<Role, "anonymous">;
  things?: string;
}

/** Adds identities through the node's store (as `umbra device|user add` would) and returns their passwords. */
export function addIdentities(node: TestNode, specs: IdentitySpec[]): Map<string, string> {
  const passwords = new Map<string, string>();
  for (const s of specs) passwords.set(s.name, node.identities.add(s.name, s.role, s.things ?? "*"));
  return passwords;
}
