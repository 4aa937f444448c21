import { afterEach, describe, expect, it } from "vitest";
import { type FaultProxy, startFaultProxy } from "../helpers/fault-proxy.ts";
import { connectClient } from "../helpers/mqtt.ts";
import type { TestNode } from "../helpers/node.ts";
import { eventually, linkUp, startSite } from "../helpers/relay-sites.ts";

/**
 * Telemetry store-and-forward across many link flaps (issue 6): a device at the edge publishes without
 * pause while the edge's link to the core is cut and restored, reset, or goes half-open (bytes silently
 * lost one way, then the connection dies, as when a NAT drops its state); every message must reach the
 * core exactly once. UMBRA_RELAY_FLAPS sets the number of flaps: 100 by default (≈12 s here), more
 * in a soak run.
 */
const FLAPS = Number(process.env.UMBRA_RELAY_FLAPS ?? 100);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("relay: plain topics across link flaps", () => {
  const nodes: TestNode[] = [];
  let proxy: FaultProxy | undefined;
  afterEach(async () => {
    for (const n of nodes.splice(0).reverse()) await n.stop();
    await proxy?.close();
  });

  it(
    `delivers every message exactly once across ${FLAPS} flaps (cuts, resets, half-open)`,
    async () => {
      const core = await startSite({ site: "core" });
      nodes.push(core);
      proxy = await startFaultProxy({ targetPort: core.mqttPort });
      const edge = await startSite({
        site: "edge",
        // Redial quickly (the default is 1 s) so many flaps fit; resend unacked frames after 300 ms so a
        // frame swallowed by a half-open link is retried before the reset that ends it.
        parents: [{ node: core, url: proxy.url, reconnectMs: 20 }],
        config: { relayTopics: ["things/+/telemetry/#"], relayAckTimeoutMs: 300 },
      });
      nodes.push(edge);
      await linkUp(edge, "parent:core");

      const opPassword = core.identities.add("watch", "operator", "*");
      const watcher = await connectClient(core.mqttUrl, { username: "watch", password: opPassword });
      const seen = new Map<string, number>();
      watcher.on("message", (_topic, payload) => {
        const k = payload.toString();
        seen.set(k, (seen.get(k) ?? 0) + 1);
      });
      await watcher.subscribeAsync("things/+/telemetry/#", { qos: 1 });
      const devPassword = edge.identities.add("pdu-1", "device", "");
      const device = await connectClient(edge.mqttUrl, { username: "pdu-1", password: devPassword });

      // The device publishes (QoS 1, acknowledged by its local node) until the flaps are over.
      const sent: string[] = [];
      let publishing = true;
      const publisher = (async () => {
        for (let n = 0; publishing; n++) {
          const body = `m-${n}`;
          await device.publishAsync("things/pdu-1/telemetry/seq", body, { qos: 1 });
          sent.push(body);
          await sleep(2);
        }
      })();
      try {
        const p = proxy;
        const connectionsBefore = p.connections;
        const kinds = { cut: 0, reset: 0, halfOpenUp: 0, halfOpenDown: 0 };
        for (let flap = 0; flap < FLAPS; flap++) {
          await sleep(15 + ((flap * 37) % 40)); // traffic flows for a while
          const before = p.connections;
          switch (flap % 4) {
            case 0: // the link is down for a while: no connection possible
              kinds.cut++;
              p.cut();
              await sleep(40);
              p.restore();
              break;
            case 1: // both ends see a reset
              kinds.reset++;
              p.reset();
              break;
            case 2: // frames up vanish, then the connection dies (NAT state lost)
              kinds.halfOpenUp++;
              p.halfOpen("up");
              await sleep(40);
              p.reset();
              p.heal();
              break;
            case 3: // acks down vanish: the edge resends, the core must filter the duplicates
              kinds.halfOpenDown++;
              p.halfOpen("down");
              await sleep(40);
              p.reset();
              p.heal();
              break;
          }
          // A new connection, and the link up on it (right after a reset it may still look up).
          await eventually(() => expect(p.connections).toBeGreaterThan(before), 5000);
          await linkUp(edge, "parent:core", 5000);
        }
        publishing = false;
        await publisher;
        expect(p.connections - connectionsBefore).toBeGreaterThanOrEqual(FLAPS);
        await eventually(() => expect(seen.size).toBe(sent.length), 10_000);
        await sleep(300); // a late duplicate would show up now
        const duplicates = [...seen].filter(([, n]) => n > 1).map(([k]) => k);
        const lost = sent.filter((k) => !seen.has(k));
        const unexpected = [...seen.keys()].filter((k) => !sent.includes(k));
        process.stderr.write(
          `[relay-flaps] ${FLAPS} flaps (${JSON.stringify(kinds)}), ${sent.length} messages: lost ${lost.length}, duplicated ${duplicates.length}, unexpected ${unexpected.length}\n`,
        );
        expect({ lost, duplicates, unexpected }).toEqual({ lost: [], duplicates: [], unexpected: [] });
      } finally {
        publishing = false;
        await publisher.catch(() => undefined);
        await Promise.all([device.endAsync(), watcher.endAsync()]);
      }
    },
    30_000 + FLAPS * 200,
  ); // ~0.12 s per flap here; room for a slower machine
});
