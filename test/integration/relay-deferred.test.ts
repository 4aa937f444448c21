import { afterEach, describe, expect, it } from "vitest";
import { sameHeads } from "../../broker/shadow/shadow-doc.ts";
import { startTestNode, type TestNode } from "../helpers/node.ts";
import { addr, converged, eventually, startSite, write } from "../helpers/relay-sites.ts";

/**
 * Deferred changes and the relay (docs/shadow-engine.md, "Deferred changes"): a shadow no site shares
 * keeps its updates beside its document until `deferUpdates` of them are folded into one change. When a
 * site is later granted the thing, the relay must not send a document that lacks them: it has them
 * written first (durably), then sends. Real nodes, a real link over MQTT, restarts included.
 */
describe("relay: deferred updates of a thing that becomes shared", () => {
  const nodes: TestNode[] = [];
  afterEach(async () => {
    for (const n of nodes.splice(0).reverse()) await n.stop();
  });

  it("sends every deferred update once the thing is shared, after a restart too", async () => {
    const config = { deferUpdates: 32 };
    let core = await startSite({ site: "core", config });
    nodes.push(core);
    const a = addr("ups-1");
    const b = addr("ups-2");
    for (let i = 1; i <= 40; i++) await write(core, a, { state: { reported: { w: i, [`k${i % 5}`]: i } } });
    for (let i = 1; i <= 5; i++) await write(core, b, { state: { desired: { mode: `m${i}` } } });
    // No site holds the things: most updates are deferred (40 = creation + 32 folded + 7 waiting).
    expect(core.store.open(a).doc.deferredCount).toBe(7);
    expect(core.store.open(b).doc.deferredCount).toBe(4);
    const want = { a: core.service.peek(a), b: core.service.peek(b) };

    // Restarted: the deferred updates come back from the store, not from the document.
    const dataDir = core.config.dataDir;
    await core.stop({ keepData: true });
    nodes.splice(nodes.indexOf(core), 1);
    core = await startSite({ site: "core", dataDir, config });
    nodes.push(core);
    expect(core.store.open(b).doc.deferredCount).toBe(4);
    expect(core.service.peek(b)).toMatchObject({ version: 5, desired: { mode: "m5" } });

    // Now an edge is granted everything: the core folds what waits and sends it.
    const edge = await startSite({ site: "edge", parents: [{ node: core }] });
    nodes.push(edge);
    await converged([core, edge], [a, b], 15_000);
    for (const [x, view] of [
      [a, want.a],
      [b, want.b],
    ] as const) {
      expect(core.store.open(x).doc.deferredCount).toBe(0);
      const got = edge.service.peek(x);
      expect({ version: got.version, desired: got.desired, reported: got.reported }).toEqual({
        version: view.version,
        desired: view.desired,
        reported: view.reported,
      });
    }
  });

  it("sends them when the peer already holds the document's heads (a thing shared, not shared, shared again)", async () => {
    const config = { deferUpdates: 32 };
    const core = await startSite({ site: "core", config });
    nodes.push(core);
    const pdu = addr("pdu-1");
    // 1. The edge shares pdu-* with the core: its updates are changes, the core holds them.
    const start = (things: string, dataDir?: string) =>
      startSite({ site: "edge", parents: [{ node: core, things }], config, ...(dataDir ? { dataDir } : {}) });
    let edge = await start("pdu-*");
    const dataDir = edge.config.dataDir;
    for (let i = 1; i <= 3; i++) await write(edge, pdu, { state: { reported: { w: i } } });
    await converged([core, edge], [pdu]);
    // 2. Restarted sharing only ups-*: pdu-1 is the edge's alone, its updates are deferred.
    await edge.stop({ keepData: true });
    edge = await start("ups-*", dataDir);
    for (let i = 4; i <= 6; i++) await write(edge, pdu, { state: { reported: { w: i } } });
    expect(edge.store.open(pdu).doc.deferredCount).toBe(3);
    // 3. Shared again: the core holds exactly the edge's document heads, but not the deferred updates.
    await edge.stop({ keepData: true });
    edge = await start("pdu-*", dataDir);
    nodes.push(edge);
    await eventually(
      () => expect(core.service.peek(pdu)).toMatchObject({ version: 6, reported: { w: 6 } }),
      15_000,
    );
    await converged([core, edge], [pdu]);
  });

  it("a merge that brings nothing new still commits the fold it made (no unwritten change is left for the relay)", async () => {
    const node = await startTestNode({ site: "solo", deferUpdates: 32 });
    nodes.push(node);
    const a = addr("pdu-9");
    for (let i = 1; i <= 3; i++) await write(node, a, { state: { reported: { w: i } } });
    const entry = node.store.open(a);
    expect(entry.doc.deferredCount).toBe(2);
    // Changes the node already holds (its own first one), as a peer might resend them.
    const known = entry.doc.changesSince([]);
    const result = await node.service.merge(a, known, "peer", 0);
    expect(result.changed).toBe(false);
    // The deferred updates were folded for the merge: that change is on disk, not only in memory.
    expect(entry.doc.deferredCount).toBe(0);
    expect(entry.pinned).toBe(0);
    expect(sameHeads(entry.savedHeads ?? [], entry.doc.heads())).toBe(true);
    expect(node.service.peek(a)).toMatchObject({ version: 3, reported: { w: 3 } });
  });
});
