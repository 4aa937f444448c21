import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addIdentities, loginAs, startSecureNode } from "../helpers/acl-clients.ts";
import { Inbox } from "../helpers/mqtt.ts";
import type { TestNode } from "../helpers/node.ts";

type Json = Record<string, unknown>;

// Who may read and write the fleet (docs/fleet.md) on a node that requires credentials.
describe("fleet access", () => {
  let node: TestNode;
  const tokens: Record<string, string> = {};
  const clients: MqttClient[] = [];
  beforeAll(async () => {
    node = await startSecureNode();
    const id = node.identities;
    tokens.viewer = id.createToken("v", "viewer", "*").token;
    tokens.operator = id.createToken("o", "operator", "pdu-*").token;
    tokens.bridge = id.createToken("b", "bridge", "pdu-*").token;
    tokens.site = id.createToken("d", "site", "*").token;
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) await c.endAsync();
    await node?.stop();
  });

  const call = async (token: string, method: string, path: string, body?: Json) => {
    const res = await fetch(`${node.httpUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as Json };
  };

  it("lets operators write attributes of granted things only, viewers read, others neither", async () => {
    expect(
      (await call(tokens.operator as string, "PUT", "/things/pdu-1/attributes", { type: "pdu" })).status,
    ).toBe(200);
    const denied = await call(tokens.operator as string, "PUT", "/things/ups-1/attributes", { type: "ups" });
    expect(denied).toMatchObject({ status: 403, body: { message: "'o' is not granted thing 'ups-1'" } });
    expect(
      (await call(tokens.viewer as string, "PATCH", "/things/pdu-1/attributes", { owner: "x" })).status,
    ).toBe(403);
    expect((await call(tokens.viewer as string, "GET", "/things?q=attributes.type:pdu")).body).toMatchObject({
      results: [{ thingName: "pdu-1" }],
    });
    expect(
      (await call(tokens.bridge as string, "PATCH", "/things/pdu-2/attributes", { vendor: "apc" })).status,
    ).toBe(200);
    expect((await call(tokens.bridge as string, "GET", "/things?q=")).status).toBe(403);
    expect((await call(tokens.site as string, "GET", "/things/count")).status).toBe(403);
    expect((await call(tokens.viewer as string, "PUT", "/systems/s", { things: [] })).status).toBe(403);
    expect((await call(tokens.operator as string, "PUT", "/systems/s", { things: ["pdu-1"] })).status).toBe(
      200,
    );
  });

  it("lets a device fill its own attributes over MQTT, and no one else's", async () => {
    const passwords = addIdentities(node, [{ name: "bmc-3", role: "device" }]);
    const device = await loginAs(node.mqttUrl, "bmc-3", passwords.get("bmc-3") as string);
    clients.push(device);
    const inbox = new Inbox(device);
    await device.subscribeAsync("$umbra/things/bmc-3/attributes/update/+", { qos: 1 });
    await device.publishAsync(
      "$umbra/things/bmc-3/attributes/update",
      JSON.stringify({ attributes: { type: "bmc", vendor: "dell", serial: "SN3" } }),
      { qos: 1 },
    );
    expect(await inbox.nextJson("$umbra/things/bmc-3/attributes/update/accepted", 10_000)).toMatchObject({
      version: 1,
      attributes: { serial: "SN3" },
    });
    // Another thing's topic is refused by the ACL (acknowledged and dropped): nothing is stored.
    await device.publishAsync(
      "$umbra/things/bmc-4/attributes/update",
      JSON.stringify({ attributes: { type: "bmc" } }),
      { qos: 1 },
    );
    await device.publishAsync(
      "$umbra/things/bmc-3/attributes/update",
      JSON.stringify({ attributes: { model: "r650" } }),
      { qos: 1 },
    );
    expect(await inbox.nextJson("$umbra/things/bmc-3/attributes/update/accepted", 10_000)).toMatchObject({
      version: 2,
    });
    expect((await call(tokens.viewer as string, "GET", "/things/bmc-4/attributes")).status).toBe(404);
    // A device may not subscribe to another thing's replies.
    await expect(device.subscribeAsync("$umbra/things/bmc-4/attributes/#", { qos: 1 })).rejects.toBeDefined();
  });

  it("keeps an operator's keys from a bridge's writes (HTTP and MQTT), and lets operators fill like a device", async () => {
    const op = tokens.operator as string;
    const br = tokens.bridge as string;
    expect((await call(op, "PUT", "/things/pdu-7/attributes", { type: "pdu", owner: "ops" })).status).toBe(
      200,
    );
    const filled = await call(br, "PATCH", "/things/pdu-7/attributes", {
      type: "ups",
      serial: "S7",
      owner: null,
    });
    expect(filled).toMatchObject({
      status: 200,
      body: { attributes: { type: "pdu", owner: "ops", serial: "S7" }, kept: ["type", "owner"], version: 2 },
    });
    // The same statement again changes nothing: same version.
    expect((await call(br, "PATCH", "/things/pdu-7/attributes", { serial: "S7" })).body.version).toBe(2);
    // An operator may write as a device (a script filling in), and must name a known origin.
    const asDevice = await call(op, "PATCH", "/things/pdu-7/attributes?origin=device", {
      owner: "x",
      model: "M",
    });
    expect(asDevice.body).toMatchObject({ attributes: { owner: "ops", model: "M" }, kept: ["owner"] });
    const bad = await call(op, "PATCH", "/things/pdu-7/attributes?origin=robot", { model: "M" });
    expect(bad).toMatchObject({ status: 400, body: { message: 'origin must be "operator" or "device"' } });
    // A bridge over MQTT: replace: true is its whole set (its serial goes, the operator's keys stay).
    const passwords = addIdentities(node, [{ name: "b-mqtt", role: "bridge", things: "pdu-*" }]);
    const bridge = await loginAs(node.mqttUrl, "b-mqtt", passwords.get("b-mqtt") as string);
    clients.push(bridge);
    const inbox = new Inbox(bridge);
    await bridge.subscribeAsync("$umbra/things/pdu-7/attributes/update/+", { qos: 1 });
    const send = (body: Json) =>
      bridge.publishAsync("$umbra/things/pdu-7/attributes/update", JSON.stringify(body), { qos: 1 });
    await send({ attributes: { vendor: "APC", type: "pdu" }, replace: true, origin: "operator" });
    expect(await inbox.nextJson("$umbra/things/pdu-7/attributes/update/accepted", 10_000)).toMatchObject({
      attributes: { type: "pdu", owner: "ops", vendor: "APC" },
      origins: { type: "operator", owner: "operator", vendor: "device" },
    });
    await send({ attributes: {}, replace: "yes" });
    expect(await inbox.nextJson("$umbra/things/pdu-7/attributes/update/rejected", 10_000)).toMatchObject({
      code: 400,
      message: "replace must be true or false",
    });
  });
});
