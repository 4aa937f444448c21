import { afterEach, describe, expect, it } from "vitest";
import { connectClient } from "../helpers/mqtt.ts";
import type { TestNode } from "../helpers/node.ts";
import { eventually, linkUp, startSite } from "../helpers/relay-sites.ts";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.ts";

describe("relay: plain topics upstream (store-and-forward)", () => {
  const nodes: TestNode[] = [];
  let proxy: TcpProxy | undefined;
  afterEach(async () => {
    for (const n of nodes.splice(0).reverse()) await n.stop();
    await proxy?.close();
  });

  it("delivers every telemetry message exactly once across link flaps; nothing else crosses", async () => {
    const core = await startSite({ site: "core" });
    nodes.push(core);
    proxy = await startTcpProxy(core.mqttPort);
    const edge = await startSite({
      site: "edge",
      parents: [{ node: core, url: proxy.url, grant: "pdu-*" }],
      config: { relayTopics: ["things/+/telemetry/#"] },
    });
    nodes.push(edge);
    await linkUp(edge, "parent:core");

    const opPassword = core.identities.add("watch", "operator", "*");
    const watcher = await connectClient(core.mqttUrl, { username: "watch", password: opPassword });
    const seen = new Map<string, number>();
    watcher.on("message", (topic, payload) => {
      const k = `${topic} ${payload.toString()}`;
      seen.set(k, (seen.get(k) ?? 0) + 1);
    });
    await watcher.subscribeAsync("things/#", { qos: 1 });

    const devPassword = edge.identities.add("pdu-1", "device", "");
    const otherPassword = edge.identities.add("ups-1", "device", "");
    const device = await connectClient(edge.mqttUrl, { username: "pdu-1", password: devPassword });
    const other = await connectClient(edge.mqttUrl, { username: "ups-1", password: otherPassword });
    try {
      const sent: string[] = [];
      let n = 0;
      for (let flap = 0; flap < 3; flap++) {
        for (let i = 0; i < 20; i++) {
          const body = `m-${n++}`;
          await device.publishAsync("things/pdu-1/telemetry/power", body, { qos: 1 });
          sent.push(`things/pdu-1/telemetry/power ${body}`);
        }
        // Not a relayed topic, and a thing outside edge's grant at the core: neither crosses.
        await device.publishAsync("things/pdu-1/logs", `log-${flap}`, { qos: 1 });
        await other.publishAsync("things/ups-1/telemetry/temp", `t-${flap}`, { qos: 1 });
        proxy.cut();
        for (let i = 0; i < 10; i++) {
          const body = `m-${n++}`;
          await device.publishAsync("things/pdu-1/telemetry/power", body, { qos: 1 });
          sent.push(`things/pdu-1/telemetry/power ${body}`);
        }
        proxy.restore();
        await linkUp(edge, "parent:core");
      }
      // Numeric telemetry is also stored at the core (with the edge's publish time).
      const before = Date.now();
      await device.publishAsync("things/pdu-1/telemetry/volts", "231.5", { qos: 1 });
      sent.push("things/pdu-1/telemetry/volts 231.5");
      await eventually(() => expect(seen.size).toBe(sent.length), 10_000);
      const telemetry = core.extensions.get("telemetry") as unknown as {
        latest(thing: string): Record<string, { value: number; ts: number }>;
      };
      await eventually(() => expect(telemetry.latest("pdu-1").volts?.value).toBe(231.5));
      expect(telemetry.latest("pdu-1").volts?.ts).toBeGreaterThanOrEqual(before - 1000);
      await new Promise((r) => setTimeout(r, 200));
      for (const k of sent) expect(seen.get(k), k).toBe(1);
      expect([...seen.keys()].filter((k) => !k.includes("things/pdu-1/telemetry/"))).toEqual([]);
    } finally {
      await Promise.all([device.endAsync(), other.endAsync(), watcher.endAsync()]);
    }
  });
});
