import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectClient, Inbox } from "../helpers/mqtt.ts";
import { startTestNode, type TestNode } from "../helpers/node.ts";
import { SseReader } from "../helpers/sse-reader.ts";

type Json = Record<string, unknown>;

// The fleet (docs/fleet.md) against a real node: inventory, queries, systems, stream, MQTT topic.
describe("fleet over HTTP and MQTT", () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await startTestNode();
  }, 60_000);
  afterAll(async () => {
    await node?.stop();
  });

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${node.httpUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const update = async (thing: string, state: Json, name?: string) => {
    const r = await call("POST", `/things/${thing}/shadow${name ? `?name=${name}` : ""}`, { state });
    expect(r.status).toBe(200);
  };
  const find = async (q: string, extra = "") => {
    const r = await call("GET", `/things?q=${encodeURIComponent(q)}${extra}`);
    expect(r.status).toBe(200);
    return r.body as { results: Json[]; nextCursor?: string; partial?: unknown };
  };
  const names = (page: { results: Json[] }) => page.results.map((r) => r.thingName);

  it("answers queries over attributes and state, reading its own writes", async () => {
    for (let i = 1; i <= 5; i++) {
      const put = await call("PUT", `/things/pdu-${i}/attributes`, {
        type: "pdu",
        vendor: i % 2 ? "raritan" : "apc",
        location: { site: "core", room: i <= 3 ? "r1" : "r2", rack: `a${i}`, unit: i },
        labels: { tier: "gold" },
      });
      expect(put.status).toBe(200);
      expect(put.body).toMatchObject({ thing: `pdu-${i}`, version: 1 });
      await update(`pdu-${i}`, { reported: { watts: i * 100, outlet1: i === 2 ? "off" : "on" } });
    }
    await update("bmc-1", { desired: { power: "on" }, reported: { power: "off" } });
    // Every write above was answered; every query below must see it (no index lag).
    expect(names(await find("attributes.type:pdu AND shadow.reported.watts >= 300"))).toEqual([
      "pdu-3",
      "pdu-4",
      "pdu-5",
    ]);
    expect(names(await find('shadow.reported.outlet1:off AND attributes.location.room:"r1"'))).toEqual([
      "pdu-2",
    ]);
    expect(names(await find("shadow.hasDelta:true"))).toEqual(["bmc-1"]);
    expect(names(await find("thingName:pdu-* AND NOT attributes.vendor:apc"))).toEqual([
      "pdu-1",
      "pdu-3",
      "pdu-5",
    ]);
    await update("pdu-1", { reported: { watts: 999 } });
    expect(names(await find("shadow.reported.watts > 900"))).toEqual(["pdu-1"]);
  });

  it("sorts, projects fields and pages with a cursor", async () => {
    const first = await find(
      "attributes.type:pdu",
      "&sort=-shadow.reported.watts&fields=shadow.reported.watts,attributes.location.rack&limit=2",
    );
    expect(first.results).toEqual([
      { thingName: "pdu-1", "shadow.reported.watts": 999, "attributes.location.rack": "a1" },
      { thingName: "pdu-5", "shadow.reported.watts": 500, "attributes.location.rack": "a5" },
    ]);
    expect(first.nextCursor).toBeTypeOf("string");
    const second = await find(
      "attributes.type:pdu",
      `&sort=-shadow.reported.watts&limit=2&cursor=${first.nextCursor}`,
    );
    expect(names(second)).toEqual(["pdu-4", "pdu-3"]);
    const byName = await find("", "&limit=3");
    expect(names(byName)).toEqual(["bmc-1", "pdu-1", "pdu-2"]);
    expect(names(await find("", `&limit=3&cursor=${byName.nextCursor}`))).toEqual([
      "pdu-3",
      "pdu-4",
      "pdu-5",
    ]);
  });

  it("keeps the plain listing without q", async () => {
    const r = await call("GET", "/things?limit=2");
    expect(r.body).toEqual({ things: ["bmc-1", "pdu-1"], nextCursor: "pdu-1" });
  });

  it("counts and groups with min/max/avg", async () => {
    expect((await call("GET", "/things/count?q=attributes.type:pdu")).body).toEqual({ count: 5 });
    const g = await call(
      "GET",
      "/things/count?q=attributes.type:pdu&groupBy=attributes.location.room&stat=shadow.reported.watts",
    );
    expect(g.body.groups).toEqual([
      { key: "r1", count: 3, min: 200, max: 999, avg: (999 + 200 + 300) / 3 },
      { key: "r2", count: 2, min: 400, max: 500, avg: 450 },
    ]);
  });

  it("refuses a malformed query with 400 naming the position and the problem", async () => {
    const r = await call(
      "GET",
      `/things?q=${encodeURIComponent("attributes.type:pdu AND (shadow.reported.x >")}`,
    );
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({
      code: 400,
      error: "query_invalid",
      position: 44,
      problem: "expected a value after '>', found the end of the query",
    });
    expect((await call("GET", "/things?q=a:1&limit=5000")).status).toBe(400);
    expect((await call("GET", "/things/count?q=x.y:1")).body).toMatchObject({ position: 0 });
  });

  it("validates and versions attributes (PATCH merges, null deletes, stale version 409)", async () => {
    const patched = await call("PATCH", "/things/pdu-1/attributes", { owner: "ops", labels: { tier: null } });
    expect(patched.body).toMatchObject({ version: 2, attributes: { owner: "ops", type: "pdu" } });
    expect((patched.body.attributes as Json).labels).toBeUndefined();
    expect((await call("PATCH", "/things/pdu-1/attributes?version=1", { owner: "x" })).status).toBe(409);
    const bad = await call("PUT", "/things/pdu-1/attributes", { colour: "red" });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain("unknown attribute 'colour'");
    expect((await call("GET", "/things/pdu-1/attributes")).body).toMatchObject({ version: 2 });
    expect((await call("GET", "/things/nobody/attributes")).status).toBe(404);
  });

  it("builds systems of things and systems, refuses cycles, rolls up every level", async () => {
    expect((await call("PUT", "/systems/rack-a", { things: ["pdu-1", "pdu-2"] })).status).toBe(200);
    expect((await call("PUT", "/systems/room-r2", { query: "attributes.location.room:r2" })).status).toBe(
      200,
    );
    expect(
      (await call("PUT", "/systems/core", { systems: ["rack-a", "room-r2"], things: ["bmc-1", "pdu-1"] }))
        .status,
    ).toBe(200);
    const cycle = await call("PUT", "/systems/rack-a", { systems: ["core"] });
    expect(cycle.status).toBe(409);
    expect(cycle.body.message).toBe("cycle: rack-a → core → rack-a");
    expect((await call("PUT", "/systems/x", { systems: ["nope"] })).status).toBe(400);
    const rollup = await call("GET", "/systems/core/rollup?depth=1");
    expect(rollup.body).toMatchObject({
      name: "core",
      things: 5, // pdu-1 counted once although it is in core and in rack-a
      notConverged: 1,
      systems: [
        { name: "rack-a", things: 2, systems: [] },
        { name: "room-r2", things: 2 },
      ],
    });
    expect((rollup.body as { oldestDeltaSeconds: number }).oldestDeltaSeconds).toBeGreaterThanOrEqual(0);
    expect((await call("GET", "/systems/core/rollup?depth=0")).body.systems).toEqual([
      { name: "rack-a" },
      { name: "room-r2" },
    ]);
    expect(names(await find("systems:core AND shadow.reported.watts < 450"))).toEqual(["pdu-2", "pdu-4"]);
    expect((await call("GET", "/systems/room-r2")).body).toMatchObject({ members: ["pdu-4", "pdu-5"] });
    expect((await call("DELETE", "/systems/rack-a")).status).toBe(409);
    const list = await call("GET", "/systems");
    expect((list.body.results as Json[]).map((s) => s.name)).toEqual(["core", "rack-a", "room-r2"]);
  });

  it("streams changes of matching things", async () => {
    const stream = await SseReader.open(
      `${node.httpUrl}/things/stream?q=${encodeURIComponent("shadow.reported.temp > 40")}`,
    );
    try {
      expect(await stream.next(10_000)).toMatchObject({ event: "ready", data: { matching: 0 } });
      await update("sensor-1", { reported: { temp: 20 } });
      await update("sensor-2", { reported: { temp: 45 } });
      expect(await stream.next(10_000)).toMatchObject({ event: "match", data: { thing: "sensor-2" } });
      await update("sensor-2", { reported: { temp: 30 } });
      expect(await stream.next(10_000)).toMatchObject({ event: "unmatch", data: { thing: "sensor-2" } });
    } finally {
      stream.close();
    }
    expect((await call("GET", "/things/stream?q=(")).status).toBe(400);
  });

  it("follows presence: connectivity.connected and site", async () => {
    const device = await connectClient(node.mqttUrl, { clientId: "sensor-1" });
    const connected = 'connectivity.connected:true AND connectivity.site:test AND thingName:"sensor-1"';
    try {
      for (let i = 0; i < 100 && names(await find(connected)).length === 0; i++)
        await new Promise((r) => setTimeout(r, 50));
      expect(names(await find(connected))).toEqual(["sensor-1"]);
    } finally {
      await device.endAsync();
    }
    const gone = 'connectivity.connected:false AND connectivity.timestamp > 0 AND thingName:"sensor-1"';
    for (let i = 0; i < 100 && names(await find(gone)).length === 0; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(names(await find(gone))).toEqual(["sensor-1"]);
  });

  it("sets attributes over MQTT with accepted/rejected replies, and refuses forged replies", async () => {
    const client = await connectClient(node.mqttUrl, { clientId: "fleet-mqtt-1" });
    try {
      const inbox = new Inbox(client);
      await client.subscribeAsync("$umbra/things/ups-1/attributes/#", { qos: 1 });
      await client.publishAsync(
        "$umbra/things/ups-1/attributes/update",
        JSON.stringify({ attributes: { type: "ups", serial: "S1" }, clientToken: "t1" }),
        { qos: 1 },
      );
      expect(await inbox.nextJson("$umbra/things/ups-1/attributes/update/accepted", 10_000)).toMatchObject({
        thing: "ups-1",
        version: 1,
        attributes: { type: "ups", serial: "S1" },
        clientToken: "t1",
      });
      expect(names(await find("attributes.serial:S1"))).toEqual(["ups-1"]);
      await client.publishAsync(
        "$umbra/things/ups-1/attributes/update",
        JSON.stringify({ attributes: { unit: 3 } }),
        { qos: 1 },
      );
      expect(await inbox.nextJson("$umbra/things/ups-1/attributes/update/rejected", 10_000)).toMatchObject({
        code: 400,
      });
      await client.publishAsync("$umbra/things/ups-1/attributes/update/accepted", '{"forged":true}', {
        qos: 1,
      });
      await client.publishAsync("$umbra/things/ups-1/attributes/get", "", { qos: 1 });
      // The forged reply never arrives; the next message on accepted is the node's answer to get.
      expect(await inbox.nextJson("$umbra/things/ups-1/attributes/get/accepted", 10_000)).toMatchObject({
        version: 1,
      });
      expect(inbox.pending("$umbra/things/ups-1/attributes/update/accepted")).toBe(0);
    } finally {
      await client.endAsync();
    }
  });
});
