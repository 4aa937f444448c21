import { afterEach, describe, expect, it } from "vitest";
import { type FaultProxy, startFaultProxy } from "../helpers/fault-proxy.ts";
import type { TestNode } from "../helpers/node.ts";
import { addr, converged, linkUp, startSite, write } from "../helpers/relay-sites.ts";

describe("relay over a slow, faulty link (64 kbit/s, 300 ms RTT)", () => {
  const nodes: TestNode[] = [];
  let proxy: FaultProxy | undefined;
  afterEach(async () => {
    for (const n of nodes.splice(0).reverse()) await n.stop();
    await proxy?.close();
  });

  it("converges near the bandwidth bound through a stall and a connection reset", async () => {
    const rate = 8000; // 64 kbit/s
    const core = await startSite({ site: "core", config: { linkRate: rate } });
    nodes.push(core);
    const shape = { latencyMs: 150, bytesPerSec: rate };
    proxy = await startFaultProxy({ targetPort: core.mqttPort, up: shape, down: shape });
    const edge = await startSite({
      site: "edge",
      parents: [{ node: core, url: proxy.url }],
      config: { linkRate: rate },
    });
    nodes.push(edge);
    await linkUp(edge, "parent:core", 10_000);

    const shadows = Array.from({ length: 100 }, (_, i) => addr(`pdu-${i}`));
    const started = Date.now();
    const before = proxy.bytes.down.forwarded;
    for (let round = 0; round < 3; round++) {
      await Promise.all(
        shadows.map((a, i) =>
          write(core, a, { state: { desired: { outlet: (i + round) % 2 ? "on" : "off", round } } }),
        ),
      );
      if (round === 0) {
        proxy.stall("both");
        await new Promise((r) => setTimeout(r, 500));
        proxy.heal("both");
      }
      if (round === 1) proxy.reset();
    }
    await converged([core, edge], shadows, 14_000);
    const elapsed = (Date.now() - started) / 1000;
    const wire = proxy.bytes.down.forwarded - before;
    const bound = wire / rate;
    process.stderr.write(
      `[relay-slow-link] 300 updates of 100 shadows: ${wire} B down the link (${(wire / 300).toFixed(1)} B/update incl. MQTT and repair), ${elapsed.toFixed(2)} s; bandwidth bound ${bound.toFixed(2)} s + 0.5 s stall + reconnect\n`,
    );
    expect(edge.service.peek(addr("pdu-7")).desired).toEqual({ outlet: "on", round: 2 });
    // Within 1.5× the bandwidth bound plus the injected stall, one reconnect (the child redials after
    // 1 s) and the round trips that cannot overlap with sending: TCP + CONNECT, SUBSCRIBE, hello,
    // digest → heads, the last frame → ack (≈6 RTT), plus slack for a loaded 2-core machine.
    expect(elapsed).toBeLessThan(bound * 1.5 + 0.5 + 1 + 6 * 0.3 + 2.5);
  });
});
