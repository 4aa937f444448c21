import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectClient, Inbox } from "../helpers/mqtt.ts";
import { startTestNode, type TestNode } from "../helpers/node.ts";

describe("persistent sessions and shadow replies", () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await startTestNode();
  });
  afterAll(() => node.stop());

  it("queues the delta for a device whose persistent session is offline, and delivers it on reconnect", async () => {
    const topic = "$aws/things/sleepy-1/shadow/update/delta";
    const device = await connectClient(node.mqttUrl, { clientId: "sleepy-1", clean: false });
    await device.subscribeAsync(topic, { qos: 1 });
    await device.endAsync();

    // While the device is away, an operator sets desired state: only the offline session wants the delta.
    const result = await node.service.update(
      { thing: "sleepy-1", shadow: "" },
      '{"state":{"desired":{"fan":"max"}}}',
    );
    expect(result.ok).toBe(true);
    await new Promise((r) => setTimeout(r, 100));

    const back = await connectClient(node.mqttUrl, { clientId: "sleepy-1", clean: false });
    const inbox = new Inbox(back);
    const delta = await inbox.nextJson<{ state: unknown; version: number }>(topic);
    expect(delta.state).toEqual({ fan: "max" });
    expect(delta.version).toBe(1);
    await back.endAsync();
  });
});
