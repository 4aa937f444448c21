import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDevice, type Device, ShadowRejectedError } from "../../device-agent/index.ts";
import type { JsonObject } from "../../shared/json.ts";
import { deviceOptions, setDesired, shadowOf, startSecureNode, until } from "../helpers/device-sdk.ts";
import { connectClient, Inbox } from "../helpers/mqtt.ts";
import type { TestNode } from "../helpers/node.ts";

/**
 * Two devices for two things on one node: each reconciles only its own shadow, and an identity pointed
 * at the other thing is refused — the SDK surfaces that as a 403 from connectDevice.
 */
describe("device SDK: two devices isolated by ACL", () => {
  let node: TestNode;
  const devices: Device[] = [];
  const passwords: Record<string, string> = {};

  beforeAll(async () => {
    node = await startSecureNode();
  });
  afterAll(async () => {
    for (const d of devices) await d.close();
    await node.stop();
  });

  it("each device reconciles its own shadow and never sees the other's delta", async () => {
    const seen: Record<string, JsonObject[]> = { "acl-a": [], "acl-b": [] };
    for (const thing of ["acl-a", "acl-b"]) {
      const opts = deviceOptions(node, thing);
      passwords[thing] = opts.password ?? "";
      const d = await connectDevice(opts);
      devices.push(d);
      d.onDelta((delta) => {
        seen[thing]?.push(delta);
      });
    }
    await setDesired(node, "acl-a", { color: "red" });
    await setDesired(node, "acl-b", { color: "blue", speed: 2 });
    for (const thing of ["acl-a", "acl-b"]) {
      await until(`${thing} in sync`, async () => (await shadowOf(node, thing)).delta === undefined);
    }
    expect(seen["acl-a"]).toEqual([{ color: "red" }]);
    expect(seen["acl-b"]).toEqual([{ color: "blue", speed: 2 }]);
    expect((await shadowOf(node, "acl-a")).reported).toMatchObject({ color: "red" });
    expect((await shadowOf(node, "acl-a")).reported?.speed).toBeUndefined();
  });

  it("device A's identity pointed at thing B: connectDevice rejects with 403 and B's shadow is untouched", async () => {
    const before = await shadowOf(node, "acl-b");
    const err = await connectDevice({
      url: node.mqttUrl,
      thing: "acl-b",
      clientId: "acl-a-as-b",
      username: "acl-a",
      password: passwords["acl-a"],
      reconnect: { initialMs: 20, maxMs: 100 },
      requestTimeoutMs: 2000,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ShadowRejectedError);
    expect((err as ShadowRejectedError).code).toBe(403);
    const after = await shadowOf(node, "acl-b");
    expect(after.version).toBe(before.version);
    expect(after.reported).toEqual(before.reported);
  });

  it("a plain MQTT client with A's credentials gets 403 for B's get and update; B's state stays", async () => {
    const before = await shadowOf(node, "acl-b");
    const c = await connectClient(node.mqttUrl, {
      username: "acl-a",
      password: passwords["acl-a"],
      clientId: "acl-a-raw",
    });
    const inbox = new Inbox(c);
    const sub = await c.subscribeAsync("$aws/things/acl-b/shadow/#", { qos: 1 }).catch((e: unknown) => e);
    expect((sub as { packet?: { granted: number[] } }).packet?.granted).toEqual([0x80]);
    await c.publishAsync(
      "$aws/things/acl-b/shadow/update",
      JSON.stringify({ state: { reported: { color: "hacked" } }, clientToken: "x1" }),
      { qos: 1 },
    );
    const rejected = await inbox.nextJson<{ code: number; clientToken: string }>(
      "$aws/things/acl-b/shadow/update/rejected",
    );
    expect(rejected).toMatchObject({ code: 403, clientToken: "x1" });
    await c.publishAsync("$aws/things/acl-b/shadow/get", JSON.stringify({ clientToken: "x2" }), { qos: 1 });
    expect(await inbox.nextJson("$aws/things/acl-b/shadow/get/rejected")).toMatchObject({ code: 403 });
    // B's status topic is B's alone as well: A's retained publish there is acknowledged and dropped.
    await c.publishAsync("things/acl-b/status", JSON.stringify({ connected: false }), {
      qos: 1,
      retain: true,
    });
    await c.endAsync();
    const password = node.identities.add("acl-ops", "operator", "*");
    const ops = await connectClient(node.mqttUrl, { username: "acl-ops", password, clientId: "acl-ops" });
    const opsInbox = new Inbox(ops);
    await ops.subscribeAsync("things/acl-b/status", { qos: 1 });
    expect(await opsInbox.nextJson("things/acl-b/status")).toMatchObject({ connected: true });
    await ops.endAsync();
    const after = await shadowOf(node, "acl-b");
    expect(after.version).toBe(before.version);
    expect(after.reported?.color).toBe("blue");
  });
});
