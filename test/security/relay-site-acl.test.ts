import type { MqttClient } from "mqtt";
import sparkplugPayload from "sparkplug-payload";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectClient } from "../helpers/mqtt.ts";
import { helloFrame, type LoggedNode, messagesFrame, startLoggedNode } from "../helpers/relay-attack.ts";
import { eventually } from "../helpers/relay-sites.ts";

/**
 * Issue 17, item 1: a site identity got past the ACL with relay `messages` frames. The parent checked
 * the site's grant only for `things/{t}/…` topics, then republished with `broker.publish` (no
 * authorizePublish). With the site granted `edge-*` only: an NBIRTH created thing `Victim:Plant`, an
 * NBIRTH overwrote the reported state of device `G:E1`, an NCMD reached that device, a forged STATE
 * reached subscribers, and `x/y` reached an operator. Now a parent republishes only what a bridge of
 * the site's grant may publish (shared/acl.ts mayRelay).
 */
const codec = sparkplugPayload.get("spBv1.0");
if (!codec) throw new Error("no spBv1.0 codec");
type M = { name: string; type: string; value: unknown };
const birth = (metrics: M[]) =>
  new Uint8Array(
    codec.encodePayload({
      timestamp: Date.now(),
      seq: 0,
      metrics: [...metrics, { name: "bdSeq", type: "UInt64", value: 1 }],
    } as never),
  );

describe("security: what a child site may make its parent publish", () => {
  let node: LoggedNode;
  let rogue: MqttClient;
  let device: MqttClient;
  let operator: MqttClient;
  const seenByDevice: string[] = [];
  const seenByOperator: string[] = [];
  const reported = (thing: string) =>
    node.service.peek({ thing, shadow: "" }).reported as { metrics?: Record<string, unknown> };

  beforeAll(async () => {
    node = await startLoggedNode();
    const sitePw = node.identities.add("edge1", "site", "edge-*,Plant:*");
    const devicePw = node.identities.add("G:E1", "device", "G:E1");
    const opPw = node.identities.add("ops", "operator", "*");
    device = await connectClient(node.mqttUrl, { username: "G:E1", password: devicePw, clientId: "G:E1" });
    device.on("message", (topic) => seenByDevice.push(topic));
    await device.subscribeAsync("spBv1.0/G/NCMD/E1", { qos: 1 });
    // The real edge node G:E1 is born with its own state.
    await device.publishAsync(
      "spBv1.0/G/NBIRTH/E1",
      Buffer.from(birth([{ name: "owner", type: "String", value: "plant-ops" }])),
      { qos: 1 },
    );
    await eventually(() => expect(reported("G:E1").metrics?.owner).toBe("plant-ops"));
    operator = await connectClient(node.mqttUrl, { username: "ops", password: opPw });
    operator.on("message", (topic, payload) => seenByOperator.push(`${topic} ${payload.toString()}`));
    await operator.subscribeAsync(["x/#", "things/#", "spBv1.0/STATE/#"], { qos: 1 });
    rogue = await connectClient(node.mqttUrl, { username: "edge1", password: sitePw });
    await rogue.publishAsync("$umbra/relay/edge1/up", helloFrame("edge1"), { qos: 1 });
  });
  afterAll(async () => {
    for (const c of [rogue, device, operator]) await c?.endAsync(true);
    await node?.stop();
  });

  it("drops Sparkplug births outside the grant, commands, STATE and plain topics; delivers what the grant covers", async () => {
    const pwned = birth([{ name: "owner", type: "String", value: "pwned-by-site-edge1" }]);
    await rogue.publishAsync(
      "$umbra/relay/edge1/up",
      messagesFrame([
        { topic: "spBv1.0/Victim/NBIRTH/Plant", payload: pwned },
        { topic: "spBv1.0/G/NBIRTH/E1", payload: pwned },
        { topic: "spBv1.0/G/NCMD/E1", payload: pwned },
        { topic: "spBv1.0/STATE/umbra-core", payload: '{"online":false,"timestamp":1}' },
        { topic: "x/y", payload: "from-site" },
        { topic: "things/ups-1/telemetry/t", payload: "1" },
        // Inside the grant: an edge node `Plant:E9` and thing edge-1's telemetry.
        {
          topic: "spBv1.0/Plant/NBIRTH/E9",
          payload: birth([{ name: "owner", type: "String", value: "e9" }]),
        },
        { topic: "things/edge-1/telemetry/t", payload: "42" },
      ]),
      { qos: 1 },
    );
    // The permitted messages arrive (they were last in the frame, delivered in order) …
    await eventually(() => expect(seenByOperator).toContain("things/edge-1/telemetry/t 42"));
    await eventually(() => expect(reported("Plant:E9").metrics?.owner).toBe("e9"));
    await new Promise((r) => setTimeout(r, 200));
    // … and nothing else did.
    expect(node.service.peek({ thing: "Victim:Plant", shadow: "" }).exists).toBe(false);
    expect(reported("G:E1").metrics?.owner).toBe("plant-ops");
    expect(seenByDevice).toEqual([]);
    expect(seenByOperator.filter((m) => m.includes('"online":false'))).toEqual([]);
    expect(seenByOperator.filter((m) => m.startsWith("x/") || m.includes("ups-1"))).toEqual([]);
    const warn = node.lines.find((l) => String(l.msg).includes("may not publish"));
    expect(warn?.refused).toBe(6);
  });
});
