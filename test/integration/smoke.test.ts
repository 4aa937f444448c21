import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectClient, Inbox } from "../helpers/mqtt.ts";
import { startTestNode, type TestNode } from "../helpers/node.ts";

describe("node smoke", () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await startTestNode();
  });
  afterAll(async () => {
    await node.stop();
  });

  it("answers an update and a get over MQTT and HTTP", async () => {
    const c = await connectClient(node.mqttUrl);
    const inbox = new Inbox(c);
    await c.subscribeAsync("$umbra/things/smoke-1/shadow/#", { qos: 1 });
    await c.publishAsync(
      "$umbra/things/smoke-1/shadow/update",
      JSON.stringify({ state: { desired: { power: "on" } } }),
    );
    const accepted = await inbox.nextJson("$umbra/things/smoke-1/shadow/update/accepted");
    expect(accepted.version).toBe(1);
    const delta = await inbox.nextJson<{ state: unknown }>("$umbra/things/smoke-1/shadow/update/delta");
    expect(delta.state).toEqual({ power: "on" });
    const res = await fetch(`${node.httpUrl}/things/smoke-1/shadow`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { state: { desired: unknown; delta: unknown } };
    expect(doc.state.desired).toEqual({ power: "on" });
    expect(doc.state.delta).toEqual({ power: "on" });
    await c.endAsync();
  });
});
