import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestNode, type TestNode } from "../helpers/node.ts";

/**
 * The adapter remembers per shadow who subscribes to its announcements (`update/documents`,
 * `update/delta` on both roots) until a subscription changes anywhere: a subscriber that arrives after
 * many updates found nobody still gets the next one, on either root, and one that leaves stops getting it.
 */
describe("announcements to subscribers that come and go", () => {
  let node: TestNode;
  const clients: MqttClient[] = [];
  const connect = async (clientId: string) => {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${node.mqttPort}`, { clientId, reconnectPeriod: 0 });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    node = await startTestNode();
  });
  afterAll(async () => {
    for (const c of clients) c.end(true);
    await node.stop();
  });

  it("reaches a subscriber that came after updates nobody watched, and stops after it leaves", async () => {
    const device = await connect("ann-device");
    await device.subscribeAsync("$aws/things/ann-1/shadow/update/accepted", { qos: 1 });
    let accepted = 0;
    device.on("message", () => accepted++);
    const update = async (body: object) => {
      const before = accepted;
      await device.publishAsync("$aws/things/ann-1/shadow/update", JSON.stringify(body), { qos: 1 });
      await expect.poll(() => accepted, { timeout: 10_000 }).toBe(before + 1);
    };
    for (let i = 0; i < 5; i++) await update({ state: { reported: { i } } }); // nobody watches

    const watcher = await connect("ann-watcher");
    const seen: string[] = [];
    watcher.on("message", (topic, payload) =>
      seen.push(`${topic} ${JSON.parse(payload.toString()).version ?? ""}`),
    );
    await watcher.subscribeAsync(
      ["$umbra/things/ann-1/shadow/update/documents", "$aws/things/ann-1/shadow/update/delta"],
      { qos: 1 },
    );
    await update({ state: { reported: { i: 5 } } });
    await expect
      .poll(() => seen, { timeout: 10_000 })
      .toEqual(["$umbra/things/ann-1/shadow/update/documents "]);
    await update({ state: { desired: { on: true } } });
    await expect
      .poll(() => seen.slice(1).sort(), { timeout: 10_000 })
      .toEqual(["$aws/things/ann-1/shadow/update/delta 7", "$umbra/things/ann-1/shadow/update/documents "]);

    await watcher.unsubscribeAsync([
      "$umbra/things/ann-1/shadow/update/documents",
      "$aws/things/ann-1/shadow/update/delta",
    ]);
    await update({ state: { desired: { on: false } } });
    await new Promise((r) => setTimeout(r, 200));
    expect(seen).toHaveLength(3);
  });
});
