import { createServer } from "node:net";
import type { DeviceOptions } from "../../device-agent/sdk/types.ts";
import type { JsonObject } from "../../shared/json.ts";
import { startTestNode, type TestNode } from "./node.ts";

/** A node that requires credentials, as in production (anonymous access off). */
export function startSecureNode(overrides: Parameters<typeof startTestNode>[0] = {}): Promise<TestNode> {
  return startTestNode({ allowAnonymous: false, ...overrides });
}

/** Creates a device identity for `thing` and returns SDK options for it (small timings for tests). */
export function deviceOptions(
  node: TestNode,
  thing: string,
  extra: Partial<DeviceOptions> = {},
): DeviceOptions {
  const password = node.identities.add(thing, "device", thing);
  return {
    url: node.mqttUrl,
    thing,
    username: thing,
    password,
    retry: { initialMs: 20, maxMs: 100 },
    reconnect: { initialMs: 20, maxMs: 200 },
    requestTimeoutMs: 3000,
    ...extra,
  };
}

/** The shadow as the node has it (no MQTT in between). */
export async function shadowOf(
  node: TestNode,
  thing: string,
): Promise<{ desired?: JsonObject; reported?: JsonObject; delta?: JsonObject; version: number }> {
  const r = await node.service.get({ thing, shadow: "" });
  if (!r.ok) throw new Error(`get ${thing}: ${JSON.stringify(r.error)}`);
  const body = r.body as {
    state: { desired?: JsonObject; reported?: JsonObject; delta?: JsonObject };
    version: number;
  };
  return { ...body.state, version: body.version };
}

/** Sets desired state as the node's own service would for an operator. */
export async function setDesired(node: TestNode, thing: string, desired: JsonObject): Promise<number> {
  const r = await node.service.update({ thing, shadow: "" }, { state: { desired } });
  if (!r.ok) throw new Error(`update ${thing}: ${JSON.stringify(r.error)}`);
  return (r.body as { version: number }).version;
}

/** Polls `check` until it returns a value other than undefined/false (bounded). */
export async function until<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 5000,
  everyMs = 10,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A loopback port free right now (for a node that must come back on the same port). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A promise with its resolve exposed (to hold a handler mid-way). */
export function gate<T = void>(): { promise: Promise<T>; open(value: T): void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** GET a shadow over HTTP with a bearer token (what an operator's tools see). */
export async function httpGetShadow(
  httpUrl: string,
  token: string,
  thing: string,
): Promise<{
  status: number;
  body: { state?: { desired?: JsonObject; reported?: JsonObject; delta?: JsonObject }; version?: number };
}> {
  const res = await fetch(`${httpUrl}/things/${thing}/shadow`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: res.status, body: (await res.json()) as never };
}

/** POST desired state over HTTP with a bearer token; resolves with the new version. */
export async function httpSetDesired(
  httpUrl: string,
  token: string,
  thing: string,
  desired: JsonObject,
): Promise<number> {
  const res = await fetch(`${httpUrl}/things/${thing}/shadow`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ state: { desired } }),
  });
  const body = (await res.json()) as { version?: number };
  if (res.status !== 200 || typeof body.version !== "number")
    throw new Error(`POST ${thing}: ${res.status} ${JSON.stringify(body)}`);
  return body.version;
}

/** The `Reconciled` condition in a reported section, if any. */
export function reconciledOf(reported: JsonObject | undefined): JsonObject | undefined {
  const status = reported?.$status as { conditions?: JsonObject[] } | undefined;
  return status?.conditions?.find((c) => c.type === "Reconciled");
}
