import { afterEach, describe, expect, it } from "vitest";
import type { LinkStats } from "../../broker/relay/link.ts";
import type { TestNode } from "../helpers/node.ts";
import { addr, converged, linkUp, startSite, write } from "../helpers/relay-sites.ts";

const statsOf = (n: TestNode, peer: string) =>
  (n.extensions.get("relay") as unknown as { peers(): LinkStats[] }).peers().find((p) => p.peer === peer);

describe("relay: byte budget per link", () => {
  const nodes: TestNode[] = [];
  afterEach(async () => {
    for (const n of nodes.splice(0).reverse()) await n.stop();
  });

  it("sends a long history in causal slices that each fit a frame", async () => {
    // The core's frames carry about 8 KB of raw changes (8 × its byte budget, relay-config.ts), so 200
    // changes of ~150 B take several.
    // Full history (no epochs): the 200 changes are written before the edge's identity exists, so the
    // core would otherwise cut them locally into one base (or fold them into a few changes: deferred
    // changes); this test is about slicing a long history.
    const config = { linkRate: 1000, epochAfterChanges: 0, deferUpdates: 0 };
    const core = await startSite({ site: "core", config });
    nodes.push(core);
    const a = addr("ups-long");
    for (let i = 0; i < 200; i++)
      await write(core, a, { state: { reported: { [`k${i % 20}`]: i, note: `n${i}` } } });
    const edge = await startSite({ site: "edge", parents: [{ node: core }] });
    nodes.push(edge);
    const relay = core.extensions.get("relay") as unknown as { links: Map<string, { stats(): LinkStats }> };
    await converged([core, edge], [a], 15_000);
    expect(edge.service.peek(a)).toMatchObject({ version: 200, reported: core.service.peek(a).reported });
    // hello, digest and heads, plus at least three slices of changes.
    expect(relay.links.get("child:edge")?.stats().framesSent).toBeGreaterThanOrEqual(6);
  });

  it("keeps the bytes sent under --link-rate and still converges", async () => {
    // Bytes per second: low enough that the 150 new shadows (~1 KB compressed) take a few seconds.
    const rate = 400;
    const core = await startSite({ site: "core" });
    nodes.push(core);
    const edge = await startSite({ site: "edge", parents: [{ node: core }], config: { linkRate: rate } });
    nodes.push(edge);
    await linkUp(edge, "parent:core");
    const base = statsOf(edge, "parent:core")?.bytesSent ?? 0;

    const shadows = Array.from({ length: 150 }, (_, i) => addr(`pdu-${i}`));
    const started = Date.now();
    await Promise.all(
      shadows.map((a, i) =>
        write(edge, a, {
          state: { reported: { watts: i, volts: 230, note: `outlet ${i} of rack r${i % 7}` } },
        }),
      ),
    );
    // Sample while the backlog drains: the budget holds at every point. The bucket holds one second of
    // burst, and the frame that empties it may overdraw it by at most one frame (≤ maxFrameBytes raw,
    // 8 × the rate: relay-config.ts); the next frame then waits until the debt is paid.
    const frameSlack = Math.max(1024, 8 * rate);
    const samples: { t: number; sent: number }[] = [];
    for (let i = 0; i < 8; i++) {
      await new Promise((r) => setTimeout(r, 250));
      samples.push({
        t: (Date.now() - started) / 1000,
        sent: (statsOf(edge, "parent:core")?.bytesSent ?? 0) - base,
      });
    }
    for (const s of samples)
      expect(s.sent, JSON.stringify(samples)).toBeLessThanOrEqual(rate * s.t + rate + frameSlack);
    await converged([core, edge], shadows, 15_000);
    const total = (statsOf(edge, "parent:core")?.bytesSent ?? 0) - base;
    const elapsed = (Date.now() - started) / 1000;
    expect(total).toBeLessThanOrEqual(rate * elapsed + rate + frameSlack);
    // The budget was the bottleneck (otherwise this test would prove nothing).
    expect(total).toBeGreaterThan(2 * rate);
    process.stderr.write(
      `[relay-link-rate] ${shadows.length} new shadows: ${total} B sent (${(total / shadows.length).toFixed(1)} B/shadow) in ${elapsed.toFixed(2)} s at ${rate} B/s\n`,
    );
  });
});
