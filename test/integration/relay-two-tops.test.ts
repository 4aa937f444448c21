import { afterEach, describe, expect, it } from "vitest";
import type { LinkStats } from "../../broker/relay/link.ts";
import type { RelayExtension } from "../../broker/relay/relay-extension.ts";
import type { TestNode } from "../helpers/node.ts";
import { addr, converged, eventually, linkUp, startSite, write } from "../helpers/relay-sites.ts";

const relay = (n: TestNode) => n.extensions.get("relay") as unknown as RelayExtension;
const peer = (n: TestNode, name: string): LinkStats | undefined =>
  relay(n)
    .peers()
    .find((p) => p.peer === name);

/**
 * A child with two parents that both share a thing (docs/shadow-engine.md, "One top per thing"): with
 * agreed cuts each parent is a top, so each would cut the shadow on its own — two different bases for
 * one epoch, which Automerge refuses. Three real nodes: core and dr, and edge below both.
 */
describe("relay: a child with two parents sharing a thing", () => {
  const nodes: TestNode[] = [];
  afterEach(async () => {
    for (const n of nodes.splice(0).reverse()) await n.stop();
  });
  // One change per update (no deferred changes): the parents cut after a few writes, before the child exists.
  const config = { epochAfterChanges: 3, epochShared: true, deferUpdates: 0 };

  it("parents both cut while the child was away: the split is reported, not resent forever, and heals", async () => {
    const core = await startSite({ site: "core", config });
    nodes.push(core);
    const dr = await startSite({ site: "dr", config });
    nodes.push(dr);
    const pdu = addr("pdu-1");
    const epoch = (n: TestNode) => n.store.open(pdu).doc.epoch;
    // No child connected yet: each parent is the only site it knows sharing pdu-1, and cuts it.
    for (let i = 1; i <= 4; i++) {
      await write(core, pdu, { state: { desired: { core: i } } });
      await write(dr, pdu, { state: { desired: { dr: i } } });
    }
    expect(epoch(core)).toBeGreaterThan(0);
    expect(epoch(dr)).toBe(epoch(core));

    const edge = await startSite({ site: "edge", parents: [{ node: core }, { node: dr }], config });
    nodes.push(edge);
    await linkUp(edge, "parent:core");
    await linkUp(edge, "parent:dr");
    // The edge adopts one parent's base; the other's is a second base for the same epoch.
    const splits = () =>
      [edge, core, dr].flatMap((n) =>
        relay(n)
          .peers()
          .filter((p) => p.epochSplits > 0),
      );
    await eventually(() => expect(splits().length).toBeGreaterThan(0), 15_000);
    const split = splits()[0] as LinkStats;
    expect(split.splitShadows).toEqual(["pdu-1"]);
    // Not resent in a loop: the frame was acknowledged.
    await new Promise((r) => setTimeout(r, 3000));
    for (const n of [edge, core, dr])
      for (const p of relay(n).peers()) expect(p.framesRetried).toBeLessThan(3);
    // Visible: the metric (GET /peers and `umbra peers` show LinkStats).
    const node = [edge, core, dr].find((n) =>
      relay(n)
        .peers()
        .some((p) => p.epochSplits > 0),
    ) as TestNode;
    expect(await node.metrics.getSingleMetricAsString("umbra_relay_epoch_splits_total")).toMatch(
      new RegExp(`umbra_relay_epoch_splits_total\\{peer="${split.peer}"\\} [1-9]`),
    );

    // The edge told dr (its second parent) not to cut pdu-*: core is the one cutter left, and its next
    // cut heals the split (a newer epoch is adopted everywhere).
    expect(relay(dr).links.get("child:edge")?.holdsBackCut("pdu-1")).toBe(true);
    expect(relay(core).links.get("child:edge")?.holdsBackCut("pdu-1")).toBe(false);
    const split0 = epoch(core);
    for (let i = 5; epoch(core) <= split0 && i < 40; i++) {
      await write(core, pdu, { state: { desired: { core: i } } });
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(epoch(core)).toBeGreaterThan(split0);
    await converged([core, dr, edge], [pdu], 15_000);
    expect(epoch(dr)).toBe(epoch(core));
    expect(epoch(edge)).toBe(epoch(core));
    const { meta: _a, ...atCore } = core.service.peek(pdu);
    const { meta: _b, ...atDr } = dr.service.peek(pdu);
    expect(atDr).toEqual(atCore);
  });

  it("only the child's first parent cuts: both parents write, every site converges on one epoch line", async () => {
    const core = await startSite({ site: "core", config });
    nodes.push(core);
    const dr = await startSite({ site: "dr", config });
    nodes.push(dr);
    const edge = await startSite({ site: "edge", parents: [{ node: core }, { node: dr }], config });
    nodes.push(edge);
    await linkUp(edge, "parent:core");
    await linkUp(edge, "parent:dr");
    await eventually(() => expect(relay(dr).links.get("child:edge")?.holdsBackCut("pdu-1")).toBe(true));
    const pdu = addr("pdu-1");
    const epoch = (n: TestNode) => n.store.open(pdu).doc.epoch;
    for (let i = 1; i <= 12; i++) {
      await write(core, pdu, { state: { desired: { core: i } } });
      await write(dr, pdu, { state: { desired: { dr: i } } });
      await write(edge, pdu, { state: { reported: { edge: i } } });
      await converged([core, dr, edge], [pdu], 15_000);
    }
    expect(epoch(core)).toBeGreaterThan(0);
    expect(epoch(dr)).toBe(epoch(core));
    expect(epoch(edge)).toBe(epoch(core));
    expect(core.service.peek(pdu)).toMatchObject({ desired: { core: 12, dr: 12 }, reported: { edge: 12 } });
    for (const n of [core, dr, edge])
      expect(
        relay(n)
          .peers()
          .every((p) => p.epochSplits === 0),
      ).toBe(true);
    expect(peer(edge, "parent:dr")?.framesRetried ?? 0).toBeLessThan(3);
  });
});
