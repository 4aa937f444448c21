import { afterEach, describe, expect, it } from "vitest";
import type { TestNode } from "../helpers/node.ts";
import { addr, converged, linkUp, startSite, write } from "../helpers/relay-sites.ts";

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
    const config = { epochAfterChanges: 3 };
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
