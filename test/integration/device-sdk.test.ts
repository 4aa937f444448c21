import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectDevice,
  type DeltaContext,
  type Device,
  DeviceConnectionError,
} from "../../device-agent/index.ts";
import type { JsonObject } from "../../shared/json.ts";
import {
  deviceOptions,
  httpGetShadow,
  reconciledOf,
  setDesired,
  shadowOf,
  startSecureNode,
  until,
} from "../helpers/device-sdk.ts";
import { connectClient, Inbox } from "../helpers/mqtt.ts";
import type { TestNode } from "../helpers/node.ts";

/**
 * The device SDK against a real node over sockets (credentials required): the reconcile loop end to end,
 * retries, "cannot" conditions, reports, the status topic, named shadows on `$umbra`, refused credentials.
 */
describe("device SDK against a node", () => {
  let node: TestNode;
  let operator: MqttClient;
  let token: string;
  const devices: Device[] = [];

  beforeAll(async () => {
    node = await startSecureNode();
    const password = node.identities.add("ops", "operator", "*");
    operator = await connectClient(node.mqttUrl, { username: "ops", password, clientId: "ops-sdk" });
    token = node.identities.createToken("ops-http", "operator", "*").token;
  });
  afterAll(async () => {
    for (const d of devices) await d.close();
    await operator.endAsync();
    await node.stop();
  });

  async function device(thing: string, extra = {}): Promise<Device> {
    const d = await connectDevice(deviceOptions(node, thing, extra));
    devices.push(d);
    return d;
  }

  it("delta → handler → reported → delta empty, at start and for each later change", async () => {
    await setDesired(node, "sdk-1", { power: "on", level: 3 });
    const d = await device("sdk-1");
    expect(d.desired).toEqual({ power: "on", level: 3 });
    const calls: [JsonObject, DeltaContext][] = [];
    d.onDelta((delta, ctx) => {
      calls.push([delta, ctx]);
    });
    await until("in sync", async () => (await shadowOf(node, "sdk-1")).delta === undefined);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.[0]).toEqual({ power: "on", level: 3 });
    expect(calls[0]?.[1]).toMatchObject({ version: 1, attempt: 1 });

    const t0 = Date.now();
    await setDesired(node, "sdk-1", { level: 4 });
    await until("in sync again", async () => (await shadowOf(node, "sdk-1")).delta === undefined);
    const ms = Date.now() - t0;
    const s = await shadowOf(node, "sdk-1");
    expect(calls).toHaveLength(2);
    expect(calls[1]?.[0]).toEqual({ level: 4 }); // only the leaf that differs
    expect(s.reported).toMatchObject({ power: "on", level: 4 });
    const cond = reconciledOf(s.reported);
    expect(cond).toMatchObject({ type: "Reconciled", status: "True", reason: "Applied", observedVersion: 3 });
    expect(d.delta).toBeUndefined();
    console.log(`[device-sdk] desired set → delta empty in ${ms} ms (in-process node, loopback)`);
  });

  it("a failing handler is retried with backoff until it succeeds; the failure is visible meanwhile", async () => {
    const d = await device("sdk-2", { retry: { initialMs: 50, maxMs: 100 } });
    const attempts: { attempt: number; at: number }[] = [];
    let failures = 3;
    d.onDelta((_delta, ctx) => {
      attempts.push({ attempt: ctx.attempt, at: Date.now() });
      if (failures-- > 0) throw new Error("breaker tripped");
    });
    const t0 = Date.now();
    await setDesired(node, "sdk-2", { outlet3: "on" });
    const failing = await until("failure visible", async () => {
      const c = reconciledOf((await shadowOf(node, "sdk-2")).reported);
      return c?.status === "False" && c;
    });
    expect(failing).toMatchObject({ reason: "HandlerFailed", message: "breaker tripped" });
    await until("applied", async () => (await shadowOf(node, "sdk-2")).delta === undefined, 5000);
    const total = Date.now() - t0;
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3, 4]);
    // Caps 50, 100, 100 ms: the three waits together are below 250 ms plus timer slack.
    expect((attempts[3]?.at ?? 0) - (attempts[0]?.at ?? 0)).toBeLessThan(250 + 150);
    const s = await shadowOf(node, "sdk-2");
    expect(s.reported?.outlet3).toBe("on");
    expect(reconciledOf(s.reported)).toMatchObject({
      status: "True",
      reason: "Applied",
    });
    console.log(`[device-sdk] 3 failures + success: desired set → in sync in ${total} ms`);
  });

  it("'cannot' shows up in reported.$status as a False condition an operator can read over HTTP", async () => {
    const d = await device("sdk-3");
    let calls = 0;
    d.onDelta((delta) => {
      calls++;
      if (delta.firmware === "9.9") return { cannot: "firmware 9.9 is not signed by a trusted key" };
      return { reported: delta };
    });
    const version = await setDesired(node, "sdk-3", { firmware: "9.9" });
    const cond = await until("condition", async () => {
      const r = await httpGetShadow(node.httpUrl, token, "sdk-3");
      const c = reconciledOf(r.body.state?.reported);
      return c?.status === "False" && c;
    });
    expect(cond).toMatchObject({
      type: "Reconciled",
      reason: "CannotApply",
      message: "firmware 9.9 is not signed by a trusted key",
      observedVersion: version,
    });
    expect(Date.parse(String(cond.lastTransitionTime))).toBeGreaterThan(Date.now() - 60_000);
    const s = await shadowOf(node, "sdk-3");
    expect(s.delta).toEqual({ firmware: "9.9" }); // not applied: the delta stays, honestly
    await new Promise((r) => setTimeout(r, 100));
    expect(calls).toBe(1); // not retried for the same desired value (the condition's own write is no new work)
    await setDesired(node, "sdk-3", { firmware: "2.1" });
    await until("applied", async () => (await shadowOf(node, "sdk-3")).delta === undefined);
    expect(calls).toBe(2);
  });

  it("report() online resolves once the node has it; onDesired sees the full desired state", async () => {
    const d = await device("sdk-4");
    const seen: JsonObject[] = [];
    d.onDesired((desired) => seen.push(desired));
    await d.report({ temp: 21.5, fans: [1200, 1180] });
    expect((await shadowOf(node, "sdk-4")).reported).toEqual({ temp: 21.5, fans: [1200, 1180] });
    expect(d.reported).toEqual({ temp: 21.5, fans: [1200, 1180] });
    await setDesired(node, "sdk-4", { mode: "eco", fanCurve: { low: 20 } });
    await until("onDesired", () => seen.length > 0 && seen[seen.length - 1]?.mode === "eco");
    expect(seen[seen.length - 1]).toEqual({ mode: "eco", fanCurve: { low: 20 } });
  });

  it("publishes a retained status with a last will, and announces a clean close", async () => {
    const inbox = new Inbox(operator);
    await operator.subscribeAsync("things/sdk-5/status", { qos: 1 });
    const d = await device("sdk-5");
    expect(JSON.parse((await inbox.next("things/sdk-5/status")).toString())).toMatchObject({
      connected: true,
    });
    await d.close();
    expect(JSON.parse((await inbox.next("things/sdk-5/status")).toString())).toMatchObject({
      connected: false,
      reason: "closed",
    });
    // Retained: a tool that subscribes later still sees the last word.
    const late = await connectClient(node.mqttUrl, {
      username: "ops-late",
      password: node.identities.add("ops-late", "operator", "*"),
      clientId: "ops-late",
    });
    const lateInbox = new Inbox(late);
    await late.subscribeAsync("things/sdk-5/status", { qos: 1 });
    expect(JSON.parse((await lateInbox.next("things/sdk-5/status")).toString())).toMatchObject({
      connected: false,
    });
    await late.endAsync();
  });

  it("works on a named shadow under $umbra", async () => {
    const d = await device("sdk-6", { root: "$umbra", shadowName: "config" });
    d.onDelta(() => undefined);
    const r = await node.service.update(
      { thing: "sdk-6", shadow: "config" },
      { state: { desired: { ntp: "10.0.0.1" } } },
    );
    expect(r.ok).toBe(true);
    await until("named in sync", async () => {
      const g = await node.service.get({ thing: "sdk-6", shadow: "config" });
      return (
        g.ok && (g.body.state as JsonObject).delta === undefined && (g.body.state as JsonObject).reported
      );
    });
    expect((await node.service.get({ thing: "sdk-6", shadow: "" })).ok).toBe(false); // classic untouched
  });

  it("refused credentials reject connectDevice (no endless retry)", async () => {
    const opts = deviceOptions(node, "sdk-7");
    const err = await connectDevice({ ...opts, password: "wrong" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceConnectionError);
    expect((err as DeviceConnectionError).reason).toBe("refused");
    expect([4, 5]).toContain((err as DeviceConnectionError).returnCode);
  });
});
