import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestNode, type TestNode } from "../helpers/node.ts";

/**
 * The node-wide bound on shadow requests in work (broker/mqtt/request-flow.ts, `requestsInWork`): with
 * far more requests sent at once than it lets in, every one is still answered, each device's in its
 * order, the held ones are counted, and a client that leaves while held costs nothing.
 */
describe("request flow: a node-wide bound on shadow requests in work", () => {
  let node: TestNode;
  const clients: MqttClient[] = [];

  async function connect(clientId: string): Promise<MqttClient> {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${node.mqttPort}`, { clientId, reconnectPeriod: 0 });
    clients.push(c);
    return c;
  }

  const metric = async (name: string): Promise<number> => {
    const text = await node.metrics.getSingleMetricAsString(name);
    const line = text.split("\n").find((l) => l.startsWith(name));
    return Number(line?.split(" ").at(-1));
  };

  beforeAll(async () => {
    node = await startTestNode({ requestsInWork: 3 });
  });
  afterAll(async () => {
    for (const c of clients) c.end(true);
    await node.stop();
  });

  it("answers every request of many pipelining devices, each device's in order, holding what is over the bound", async () => {
    const devices = 12;
    const perDevice = 25;
    const answers = await Promise.all(
      Array.from({ length: devices }, async (_, d) => {
        const thing = `flow-${d}`;
        const c = await connect(`flow-dev-${d}`);
        const tokens: string[] = [];
        const versions: number[] = [];
        const all = new Promise<void>((resolve) => {
          c.on("message", (topic, payload) => {
            if (topic.endsWith("/documents")) return;
            const body = JSON.parse(payload.toString());
            tokens.push(body.clientToken);
            versions.push(body.version);
            if (tokens.length === perDevice) resolve();
          });
        });
        await c.subscribeAsync(`$aws/things/${thing}/shadow/update/+`, { qos: 1 });
        // Sent back to back, not waiting for the answers: the node sees ≈ 300 at once against a bound of 3.
        await Promise.all(
          Array.from({ length: perDevice }, (_, i) =>
            c.publishAsync(
              `$aws/things/${thing}/shadow/update`,
              JSON.stringify({ state: { reported: { i } }, clientToken: `${d}-${i}` }),
              { qos: 1 },
            ),
          ),
        );
        await all;
        return { thing, tokens, versions };
      }),
    );
    for (const [d, a] of answers.entries()) {
      expect(a.tokens).toEqual(Array.from({ length: perDevice }, (_, i) => `${d}-${i}`));
      expect(a.versions).toEqual(Array.from({ length: perDevice }, (_, i) => i + 1));
      expect(node.service.peek({ thing: a.thing, shadow: "" })).toMatchObject({
        version: perDevice,
        reported: { i: perDevice - 1 },
      });
    }
    expect(await metric("umbra_shadow_requests_held_total")).toBeGreaterThan(0);
    expect(await metric("umbra_shadow_requests_waiting")).toBe(0);
  });

  it("lets the next requests through when a client leaves while its requests are held", async () => {
    const leaver = await connect("flow-leaver");
    const stayer = await connect("flow-stayer");
    const got = new Promise<{ version: number }>((resolve) =>
      stayer.on("message", (_t, p) => resolve(JSON.parse(p.toString()))),
    );
    await stayer.subscribeAsync("$aws/things/flow-stay/shadow/update/accepted", { qos: 1 });
    for (let i = 0; i < 50; i++)
      leaver.publish("$aws/things/flow-leave/shadow/update", JSON.stringify({ state: { reported: { i } } }), {
        qos: 1,
      });
    leaver.end(true);
    stayer.publish(
      "$aws/things/flow-stay/shadow/update",
      JSON.stringify({ state: { reported: { ok: 1 } } }),
      {
        qos: 1,
      },
    );
    expect((await got).version).toBe(1);
    await expect.poll(() => metric("umbra_shadow_requests_waiting"), { timeout: 10_000 }).toBe(0);
  });
});
