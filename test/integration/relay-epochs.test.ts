import { afterEach, describe, expect, it } from "vitest";
import type { RelayExtension } from "../../broker/relay/relay-extension.ts";
import { type FaultProxy, startFaultProxy } from "../helpers/fault-proxy.ts";
import type { TestNode } from "../helpers/node.ts";
import { addr, converged, eventually, linkUp, startSite, write } from "../helpers/relay-sites.ts";

/**
 * Epochs and the relay (docs/shadow-engine.md): a shadow no peer shares is cut into epochs locally;
 * a shared one keeps its whole history (no agreed cuts yet), on both sides of a real link. The
 * relay extension decides from its parents' share patterns and the site identities' grants.
 */
describe("relay: local epoch cuts only for unshared shadows", () => {
  const nodes: TestNode[] = [];
  afterEach(async () => {
    for (const n of nodes.splice(0).reverse()) await n.stop();
  });

  it("cuts what no peer can hold, never what a parent or a child shares, and still converges", async () => {
    // One change per update (no deferred changes): the unshared shadows reach a cut within 8 writes.
    const config = { epochAfterChanges: 3, epochShared: false, deferUpdates: 0 };
    const core = await startSite({ site: "core", config });
    nodes.push(core);
    // The core grants edge pdu-*; edge shares pdu-1* with the core.
    const edge = await startSite({
      site: "edge",
      parents: [{ node: core, grant: "pdu-*", things: "pdu-1*" }],
      config,
    });
    nodes.push(edge);
    await linkUp(edge, "parent:core");
    for (let i = 1; i <= 8; i++) {
      await write(edge, addr("pdu-1"), { state: { reported: { w: i } } }); // shared both ways
      await write(edge, addr("ups-1"), { state: { reported: { w: i } } }); // edge only: no parent pattern
      await write(core, addr("pdu-2"), { state: { desired: { n: i } } }); // the child's grant covers it
      await write(core, addr("core-1"), { state: { desired: { n: i } } }); // no site identity's grant
    }
    await converged([core, edge], [addr("pdu-1")]);
    const epoch = (n: TestNode, thing: string) => n.store.open(addr(thing)).doc.epoch;
    expect(epoch(edge, "pdu-1")).toBe(0);
    expect(epoch(core, "pdu-1")).toBe(0);
    expect(epoch(core, "pdu-2")).toBe(0);
    expect(epoch(edge, "ups-1")).toBeGreaterThan(0);
    expect(epoch(core, "core-1")).toBeGreaterThan(0);
    expect(edge.service.peek(addr("ups-1"))).toMatchObject({ version: 8, reported: { w: 8 } });
    expect(core.service.peek(addr("core-1"))).toMatchObject({ version: 8, desired: { n: 8 } });
    expect(core.service.peek(addr("pdu-1"))).toMatchObject({ version: 8, reported: { w: 8 } });
  });
});

/**
 * Agreed cuts (`epochShared`, docs/shadow-engine.md): the core, which no parent shares the shadow with,
 * cuts it once the edge holds its heads; the edge adopts. An edge cut off across two cuts converges
 * and a desired write it accepted while cut off survives (carried over onto the new epoch).
 */
describe("relay: agreed epoch cuts of shared shadows", () => {
  const nodes: TestNode[] = [];
  let proxy: FaultProxy | undefined;
  afterEach(async () => {
    for (const n of nodes.splice(0).reverse()) await n.stop();
    await proxy?.close();
  });

  it("cuts at the core, adopts at the edge, and carries a cut-off edge's write over two cuts", async () => {
    const config = { epochAfterChanges: 3, epochShared: true };
    const core = await startSite({ site: "core", config });
    nodes.push(core);
    proxy = await startFaultProxy({ targetPort: core.mqttPort });
    const edge = await startSite({
      site: "edge",
      parents: [{ node: core, grant: "pdu-*", things: "pdu-*", url: proxy.url, reconnectMs: 50 }],
      config,
    });
    nodes.push(edge);
    await linkUp(edge, "parent:core");
    const pdu = addr("pdu-1");
    const epoch = (n: TestNode) => n.store.open(pdu).doc.epoch;
    for (let i = 1; i <= 8; i++) {
      await write(core, pdu, { state: { desired: { n: i } } });
      await write(edge, pdu, { state: { reported: { w: i } } });
    }
    await converged([core, edge], [pdu]);
    await eventually(() => expect(epoch(core)).toBeGreaterThan(0));
    await converged([core, edge], [pdu]);
    expect(epoch(edge)).toBe(epoch(core));
    // Bounded: the history held is what came after the last cut, not all 16 writes.
    expect(core.store.open(pdu).doc.changesSinceBase).toBeLessThan(16);
    expect(edge.service.peek(pdu)).toMatchObject({ version: 16, desired: { n: 8 }, reported: { w: 8 } });

    // The edge is cut off; both sides write; the core cuts twice more meanwhile.
    proxy.cut();
    const relay = (n: TestNode) => n.extensions.get("relay") as unknown as RelayExtension;
    await eventually(() => expect(relay(core).links.get("child:edge")?.connected).toBe(false));
    // The edge's epoch when cut off (the core may have cut once more meanwhile, from the changes the
    // edge carried over when it adopted: the edge cannot follow while cut off).
    const before = epoch(edge);
    await write(edge, pdu, { state: { desired: { fromEdge: "kept" } } });
    await write(edge, pdu, { state: { reported: { w: 100 } } });
    for (let i = 9; i <= 16; i++) await write(core, pdu, { state: { desired: { n: i } } });
    expect(epoch(core)).toBeGreaterThanOrEqual(before + 2);
    expect(epoch(edge)).toBe(before);

    proxy.restore();
    await linkUp(edge, "parent:core");
    await converged([core, edge], [pdu], 15_000);
    const view = core.service.peek(pdu);
    expect(view).toMatchObject({ desired: { n: 16, fromEdge: "kept" }, reported: { w: 100 } });
    // 16 + 8 at the core + the two edge writes carried over.
    expect(view.version).toBe(26);
    const { meta: _m, ...atEdge } = edge.service.peek(pdu);
    const { meta: _n, ...atCore } = view;
    expect(atEdge).toEqual(atCore);
    expect(epoch(edge)).toBe(epoch(core));
    expect(edge.service.stats.carried).toBeGreaterThanOrEqual(2);
  });
});
