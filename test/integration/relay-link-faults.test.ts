import { afterEach, describe, expect, it } from "vitest";
import type { TestNode } from "../helpers/node.ts";
import { allDesired, Ledger } from "../helpers/relay-ledger.ts";
import { addr, converged, eventually, linkUp, startSite, write } from "../helpers/relay-sites.ts";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.ts";

const linkOf = (n: TestNode) =>
  (n.extensions.get("relay") as unknown as { links: Map<string, { connected: boolean }> }).links.get(
    "parent:core",
  ) ?? { connected: false };

const SHADOWS = Array.from({ length: 6 }, (_, i) => addr(`rack-${i}`));

describe("relay: link cut and restored through a proxy", () => {
  const nodes: TestNode[] = [];
  let proxy: TcpProxy | undefined;
  afterEach(async () => {
    for (const n of nodes.splice(0).reverse()) await n.stop();
    await proxy?.close();
  });

  it("loses nothing and invents nothing across link flaps (Jepsen-style accounting)", async () => {
    const core = await startSite({ site: "core" });
    nodes.push(core);
    proxy = await startTcpProxy(core.mqttPort);
    const edge = await startSite({ site: "edge", parents: [{ node: core, url: proxy.url }] });
    nodes.push(edge);
    await linkUp(edge, "parent:core");

    const ledger = new Ledger();
    let n = 0;
    const writeAt = async (node: TestNode, site: string) => {
      const id = `w-${site}-${n++}`;
      const a = SHADOWS[n % SHADOWS.length] ?? SHADOWS[0];
      ledger.attempt(id);
      await write(node, a as (typeof SHADOWS)[0], { state: { desired: { [id]: n } } });
      ledger.ack(id);
    };
    const flaps = 4;
    for (let f = 0; f < flaps; f++) {
      for (let i = 0; i < 15; i++) await Promise.all([writeAt(core, "core"), writeAt(edge, "edge")]);
      proxy.cut();
      await eventually(() => expect(linkOf(edge).connected).toBe(false));
      for (let i = 0; i < 10; i++) await Promise.all([writeAt(core, "core"), writeAt(edge, "edge")]);
      proxy.restore();
      await linkUp(edge, "parent:core");
    }
    await converged([core, edge], SHADOWS, 12_000);

    for (const node of [core, edge]) {
      const views = SHADOWS.map((a) => node.service.peek(a));
      const { lost, unexpected } = ledger.check(allDesired(views));
      expect(lost, `${node.config.site}: lost`).toEqual([]);
      expect(unexpected, `${node.config.site}: unexpected`).toEqual([]);
      // Applied once: every write added one key and one version.
      for (const v of views) expect(v.version).toBe(Object.keys(v.desired).length);
    }
    expect(ledger.acknowledged.size).toBe(flaps * 50);
    expect(proxy.connections).toBeGreaterThanOrEqual(flaps + 1);
  });
});
