import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectClient, Inbox } from "../helpers/mqtt.ts";
import { startTestNode, type TestNode } from "../helpers/node.ts";
import {
  httpShadow,
  type Json,
  mqttShadow,
  type ShadowReply,
  type ShadowRequest,
  shadowUrl,
  withoutTimestamps,
} from "../helpers/shadow-http.ts";

/** Request steps, run once over HTTP and once over MQTT; each names the code it must get. */
interface Step extends ShadowRequest {
  code: number;
}

const big = (n: number) => "x".repeat(n);
const STEPS: Step[] = [
  { op: "get", code: 404 },
  { op: "delete", code: 404 },
  { op: "update", body: '{"state":', code: 400 },
  { op: "update", body: "[1,2]", code: 400 },
  { op: "update", body: "{}", code: 400 },
  { op: "update", body: '{"state":{"desired":{"power":"on","fan":2}},"clientToken":"t1"}', code: 200 },
  { op: "update", body: '{"state":{"reported":{"power":"off"}},"version":7,"clientToken":"t2"}', code: 409 },
  { op: "update", body: '{"state":{"reported":{"power":"off"}},"version":1}', code: 200 },
  { op: "update", body: JSON.stringify({ state: { desired: { pad: big(17 * 1024) } } }), code: 413 },
  { op: "update", body: JSON.stringify({ state: { desired: { pad: big(9 * 1024) } } }), code: 413 },
  { op: "get", code: 200 },
  { op: "get", body: '{"clientToken":"g1"}', code: 200 },
  { op: "get", name: "other", code: 404 },
  { op: "update", name: "other", body: '{"state":{"reported":{"x":1}}}', code: 200 },
  { op: "get", name: "other", code: 200 },
  { op: "delete", body: '{"version":99}', code: 409 },
  { op: "delete", body: '{"clientToken":"d1"}', code: 200 },
  { op: "get", code: 404 },
];

describe("HTTP shadow API", () => {
  let node: TestNode;
  let client: MqttClient;
  beforeAll(async () => {
    node = await startTestNode();
    // An anonymous-looking client id that is not a thing name, so no presence is attached to replies.
    client = await connectClient(node.mqttUrl, { clientId: "aedes_http_api_test" });
  });
  afterAll(async () => {
    await client?.endAsync();
    await node?.stop();
  });

  const url = (thing: string, name?: string, suffix = "") => shadowUrl(node.httpUrl, thing, name, suffix);
  const http = async (thing: string, req: ShadowRequest, type?: string) => {
    const reply = await httpShadow(node.httpUrl, thing, req, type);
    expect(reply.type).toMatch(/^application\/json/);
    return reply;
  };

  it("answers every request with the same code and document as MQTT", async () => {
    const overHttp: ShadowReply[] = [];
    for (const step of STEPS) overHttp.push(await http("parity-h", step));
    const overMqtt: ShadowReply[] = [];
    await client.subscribeAsync("$umbra/things/parity-m/#", { qos: 1 });
    for (const step of STEPS) overMqtt.push(await mqttShadow(client, "parity-m", step));

    expect(overHttp.map((r) => r.code)).toEqual(STEPS.map((s) => s.code));
    expect(overMqtt.map((r) => r.code)).toEqual(STEPS.map((s) => s.code));
    for (const [i, step] of STEPS.entries()) {
      const h = withoutTimestamps(overHttp[i]?.body);
      const m = withoutTimestamps(overMqtt[i]?.body) as Json;
      if (step.op === "get" && step.body) delete m.clientToken; // the one thing HTTP could not send
      const norm = JSON.parse(JSON.stringify(h).replaceAll("parity-h", "parity-m"));
      expect(norm, `step ${i} ${step.op} ${step.body ?? ""}`).toEqual(m);
      if (step.code !== 200)
        expect(overHttp[i]?.body).toMatchObject({ code: step.code, message: expect.any(String) });
    }
  });

  it("returns the documented error messages and documents", async () => {
    const thing = "docs-1";
    const bad = await http(thing, { op: "update", body: "{not json" });
    expect(bad).toMatchObject({ code: 400, body: { code: 400, message: "Payload contains invalid json" } });
    const noState = await http(thing, { op: "update", body: '{"clientToken":"c"}' });
    expect(noState).toMatchObject({
      code: 400,
      body: { code: 400, message: "Missing required node: state", clientToken: "c" },
    });
    const missing = await http(thing, { op: "get" });
    expect(missing).toMatchObject({
      code: 404,
      body: { code: 404, message: "No shadow exists with name: 'docs-1'" },
    });

    const created = await http(thing, {
      op: "update",
      body: '{"state":{"desired":{"a":1}},"clientToken":"c1"}',
    });
    expect(created.code).toBe(200);
    expect(created.body).toMatchObject({ state: { desired: { a: 1 } }, version: 1, clientToken: "c1" });
    expect(created.body.metadata).toEqual({ desired: { a: { timestamp: expect.any(Number) } } });

    const conflict = await http(thing, { op: "update", body: '{"state":{"desired":{"a":2}},"version":5}' });
    expect(conflict).toMatchObject({
      code: 409,
      body: { code: 409, message: "Version conflict: the shadow is at version 1" },
    });

    const doc = await http(thing, { op: "get" });
    expect(doc.code).toBe(200);
    expect(doc.body).toMatchObject({ state: { desired: { a: 1 }, delta: { a: 1 } }, version: 1 });
  });

  it("rejects oversize requests and oversize resulting state with 413", async () => {
    const limit = node.config.limits;
    const request = await http("big-1", {
      op: "update",
      body: JSON.stringify({ state: { desired: { p: big(limit.maxRequestBytes) } } }),
    });
    expect(request.code).toBe(413);
    expect(request.body.message).toContain(`${limit.maxRequestBytes} bytes`);
    // Two updates, each within the request limit, whose sum crosses the state limit.
    const half = Math.floor(limit.maxStateBytes / 2);
    expect(
      (await http("big-1", { op: "update", body: JSON.stringify({ state: { desired: { p: big(half) } } }) }))
        .code,
    ).toBe(200);
    const state = await http("big-1", {
      op: "update",
      body: JSON.stringify({ state: { reported: { p: big(half) } } }),
    });
    expect(state.code).toBe(413);
    expect(state.body.message).toContain(`the limit is ${limit.maxStateBytes}`);
    // The rejected update changed nothing.
    const doc = await http("big-1", { op: "get" });
    expect(doc.body).toMatchObject({ version: 1 });
    expect((doc.body.state as Json).reported).toBeUndefined();
  });

  it("rejects a non-JSON content type with 415 and changes nothing", async () => {
    const body = '{"state":{"desired":{"a":1}}}';
    for (const type of ["application/xml", "application/x-www-form-urlencoded", "text/html; charset=utf-8"]) {
      const res = await http("ctype-1", { op: "update", body }, type);
      expect(res.code, type).toBe(415);
      expect(res.body).toMatchObject({ code: 415, message: expect.stringContaining(type) });
    }
    expect((await http("ctype-1", { op: "get" })).code).toBe(404);
    // JSON with a charset parameter, and text/plain (what fetch sends for a string), are accepted.
    expect((await http("ctype-1", { op: "update", body }, "application/json; charset=utf-8")).code).toBe(200);
    const plain = await fetch(url("ctype-1"), { method: "POST", body: '{"state":{"desired":{"b":2}}}' });
    expect(plain.status).toBe(200);
  });

  it("answers a method the path does not take with 405 and Allow, whatever the body; unknown paths 404", async () => {
    for (const type of ["application/json", "application/x-www-form-urlencoded"]) {
      const res = await fetch(url("m-1"), { method: "PUT", body: "x=1", headers: { "content-type": type } });
      expect(res.status, type).toBe(405);
      expect(res.headers.get("allow")).toBe("GET, HEAD, POST, DELETE");
      expect(await res.json()).toMatchObject({
        code: 405,
        message: "PUT is not allowed here; use GET, HEAD, POST, DELETE",
      });
    }
    const missing = await fetch(`${node.httpUrl}/no/such/thing`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 404 });
  });

  it("rejects invalid thing and shadow names with 400", async () => {
    for (const thing of ["bad name", "bad.name", "x".repeat(129), "caf\u00e9"]) {
      for (const op of ["get", "update", "delete"] as const) {
        const res = await http(thing, {
          op,
          body: op === "update" ? '{"state":{"desired":{"a":1}}}' : undefined,
        });
        expect(res.code, `${op} ${thing}`).toBe(400);
        expect(res.body.message).toMatch(/^Invalid thing name/);
      }
    }
    const badShadow = await http("ok-thing", {
      op: "update",
      name: "no/slash",
      body: '{"state":{"desired":{"a":1}}}',
    });
    expect(badShadow).toMatchObject({
      code: 400,
      body: { message: expect.stringMatching(/^Invalid shadow name/) },
    });
    // A valid name at the limit is fine.
    expect((await http("x".repeat(128), { op: "update", body: '{"state":{"desired":{"a":1}}}' })).code).toBe(
      200,
    );
  });

  it("sends a change made over HTTP to a subscribed device as a delta over MQTT", async () => {
    const device = await connectClient(node.mqttUrl, { clientId: "lamp-7" });
    try {
      const deviceInbox = new Inbox(device);
      const deltaTopic = "$umbra/things/lamp-7/shadow/update/delta";
      const namedDelta = "$aws/things/lamp-7/shadow/name/dimmer/update/delta";
      await device.subscribeAsync([deltaTopic, namedDelta], { qos: 1 });

      const res = await http("lamp-7", {
        op: "update",
        body: '{"state":{"desired":{"on":true,"level":40}},"clientToken":"op-1"}',
      });
      expect(res.code).toBe(200);
      const delta = await deviceInbox.nextJson(deltaTopic);
      expect(delta).toMatchObject({
        state: { on: true, level: 40 },
        version: res.body.version,
        clientToken: "op-1",
      });

      const named = await http("lamp-7", {
        op: "update",
        name: "dimmer",
        body: '{"state":{"desired":{"curve":"log"}}}',
      });
      expect(named.code).toBe(200);
      expect(await deviceInbox.nextJson(namedDelta)).toMatchObject({ state: { curve: "log" }, version: 1 });
      expect(deviceInbox.pending(deltaTopic)).toBe(0); // the named change did not touch the classic shadow
    } finally {
      await device.endAsync();
    }
  });

  it("shows an MQTT update in an HTTP GET", async () => {
    const device = await connectClient(node.mqttUrl, { clientId: "ups-3" });
    try {
      const deviceInbox = new Inbox(device);
      await device.subscribeAsync("$aws/things/ups-3/shadow/update/accepted", { qos: 1 });
      await device.publishAsync(
        "$aws/things/ups-3/shadow/update",
        JSON.stringify({ state: { reported: { load: 42 } } }),
        { qos: 1 },
      );
      await deviceInbox.nextJson("$aws/things/ups-3/shadow/update/accepted");

      const doc = await http("ups-3", { op: "get" });
      expect(doc.code).toBe(200);
      expect(doc.body).toMatchObject({ state: { reported: { load: 42 } }, version: 1 });
      // The device is connected to this node, so HTTP shows its presence.
      expect(doc.body.connection).toMatchObject({ connected: true, site: "test" });
    } finally {
      await device.endAsync();
    }
  });

  it("answers /healthz", async () => {
    const res = await fetch(`${node.httpUrl}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok", site: "test" });
  });

  it("lists a thing's named shadows and whether the classic one exists", async () => {
    const shadows = async (thing: string) => {
      const res = await fetch(`${node.httpUrl}/things/${encodeURIComponent(thing)}/shadows`);
      return { code: res.status, body: (await res.json()) as Json };
    };
    const body = '{"state":{"reported":{"ok":true}}}';
    for (const name of [undefined, "b-fan", "a-psu"])
      expect((await http("rack-9", { op: "update", name, body })).code).toBe(200);
    expect((await http("rack-10", { op: "update", name: "only", body })).code).toBe(200);

    expect(await shadows("rack-9")).toMatchObject({
      code: 200,
      body: { thing: "rack-9", classic: true, results: ["a-psu", "b-fan"] },
    });
    expect(await shadows("rack-10")).toMatchObject({
      code: 200,
      body: { thing: "rack-10", classic: false, results: ["only"] },
    });
    expect(await shadows("rack-none")).toMatchObject({ code: 200, body: { classic: false, results: [] } });

    expect((await http("rack-9", { op: "delete" })).code).toBe(200);
    expect((await http("rack-9", { op: "delete", name: "b-fan" })).code).toBe(200);
    expect(await shadows("rack-9")).toMatchObject({ body: { classic: false, results: ["a-psu"] } });

    expect(await shadows("bad.thing")).toMatchObject({ code: 400, body: { code: 400 } });
  });
});
