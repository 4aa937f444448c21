import { afterEach, describe, expect, it } from "vitest";
import { renderShadow } from "../../shared/shadow-document.ts";
import type { TestNode } from "../helpers/node.ts";
import { addr, converged, linkUp, startSite, write } from "../helpers/relay-sites.ts";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.ts";

describe("relay: offline edits merge", () => {
  const nodes: TestNode[] = [];
  let proxy: TcpProxy | undefined;
  afterEach(async () => {
    for (const n of nodes.splice(0).reverse()) await n.stop();
    await proxy?.close();
  });

  async function pair(): Promise<{ core: TestNode; edge: TestNode; proxy: TcpProxy }> {
    const core = await startSite({ site: "core" });
    nodes.push(core);
    proxy = await startTcpProxy(core.mqttPort);
    const edge = await startSite({ site: "edge-1", parents: [{ node: core, url: proxy.url }] });
    nodes.push(edge);
    await linkUp(edge, "parent:core");
    return { core, edge, proxy };
  }

  it("keeps both keys when the edge and the core edit different keys while cut off", async () => {
    const { core, edge, proxy } = await pair();
    const a = addr("ups-1");
    await write(core, a, { state: { desired: { fan: "auto" } } });
    await converged([core, edge], [a]);

    proxy.cut();
    await write(edge, a, { state: { desired: { beep: false } } });
    await write(core, a, { state: { desired: { fan: "max" } } });
    expect(edge.service.peek(a).desired).toEqual({ fan: "auto", beep: false });
    proxy.restore();

    await converged([core, edge], [a], 10_000);
    for (const n of [core, edge]) {
      expect(n.service.peek(a).desired).toEqual({ fan: "max", beep: false });
      expect(n.service.peek(a).conflicts).toBeUndefined();
    }
    // The version counter sums the increments of both sites: 1 (create) + 1 (edge) + 1 (core).
    expect(core.service.peek(a).version).toBe(3);
    expect(edge.service.peek(a).version).toBe(3);
  });

  it("resolves a same-key conflict identically everywhere and shows the loser until rewritten", async () => {
    const { core, edge, proxy } = await pair();
    const a = addr("ups-2");
    await write(core, a, { state: { desired: { mode: "idle" } } });
    await converged([core, edge], [a]);

    proxy.cut();
    await write(edge, a, { state: { desired: { mode: "edge-value" } } });
    await write(core, a, { state: { desired: { mode: "core-value" } } });
    proxy.restore();
    await converged([core, edge], [a], 10_000);

    const atCore = core.service.peek(a);
    const atEdge = edge.service.peek(a);
    expect(atCore.desired).toEqual(atEdge.desired);
    expect(["edge-value", "core-value"]).toContain(atCore.desired.mode);
    const loser = atCore.desired.mode === "edge-value" ? "core-value" : "edge-value";
    const loserSite = loser === "edge-value" ? "edge-1" : "core";
    for (const view of [atCore, atEdge]) {
      const conflicts = view.conflicts?.desired?.mode as { value: string; site: string; timestamp: number }[];
      expect(conflicts).toHaveLength(1);
      expect(conflicts[0]).toMatchObject({ value: loser, site: loserSite });
      expect(typeof conflicts[0]?.timestamp).toBe("number");
    }
    // Visible in the shadow document (get/accepted, HTTP GET).
    expect(renderShadow(atEdge, 0).conflicts).toEqual(atEdge.conflicts);

    // Writing the key again settles it everywhere.
    await write(edge, a, { state: { desired: { mode: "settled" } } });
    await converged([core, edge], [a]);
    for (const n of [core, edge]) {
      expect(n.service.peek(a).desired.mode).toBe("settled");
      expect(n.service.peek(a).conflicts).toBeUndefined();
    }
  });
});
