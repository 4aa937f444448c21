import { afterEach, describe, expect, it } from "vitest";
import { RelayLink } from "../../broker/relay/link.ts";
import type { RelayExtension } from "../../broker/relay/relay-extension.ts";
import { createLogger } from "../../shared/logger.ts";
import { shadowKey } from "../../shared/topics.ts";
import { startTestNode, type TestNode } from "../helpers/node.ts";
import { addr, converged, eventually, write } from "../helpers/relay-sites.ts";

/**
 * Abbreviated dependencies (4-byte prefixes) assume the peer holds the heads we think it acknowledged.
 * When that is wrong (state lost at the peer within a link session), the peer cannot rebuild the
 * frame: it must refuse it, and the sender must fall back to full hashes, repair and converge —
 * never resend the same unrebuildable frame forever. Two real nodes; their links talk over an
 * in-memory wire so the test can falsify what one side believes.
 */
describe("relay: a frame the peer cannot rebuild", () => {
  const nodes: TestNode[] = [];
  afterEach(async () => {
    for (const n of nodes.splice(0).reverse()) await n.stop();
  });

  it("is refused, resent with full hashes, repaired, and both sides converge", async () => {
    const options = { syncDeltaMs: 5, syncMax: 10, ackTimeoutMs: 300, maxFrameBytes: 48 * 1024, window: 4 };
    const log = createLogger("silent");
    const wire = { up: true };
    const links: RelayLink[] = [];
    for (const [i, site] of ["edge", "core"].entries()) {
      // The links are wired by hand, outside the relay's share policy, which takes every thing for
      // unshared: one change per update, as for a shared shadow (no deferred changes).
      const node = await startTestNode({ site, logLevel: "silent", deferUpdates: 0 });
      nodes.push(node);
      const other = 1 - i;
      const link = new RelayLink(
        i === 0 ? "parent:core" : "child:edge",
        {
          site,
          side: i === 0 ? "child" : "parent",
          service: node.service,
          store: node.store,
          state: (node.extensions.get("relay") as RelayExtension).state,
          log,
          allows: () => true,
          send: (bytes) => {
            if (wire.up) setImmediate(() => links[other]?.receive(bytes));
            return true; // while "down", frames vanish in flight (the link does not know)
          },
        },
        options,
      );
      links.push(link);
      node.service.on("change", (c) => {
        if (c.origin !== link.peer) link.markDirty(shadowKey(c.addr), c.addr.thing);
      });
    }
    const [edge, core] = nodes as [TestNode, TestNode];
    const [up] = links as [RelayLink, RelayLink];
    up.open();
    const a = addr("pdu-1");
    await write(edge, a, { state: { reported: { n: 1 } } });
    await converged([edge, core], [a]);

    // The core misses the edge's next change, yet the edge believes it was acknowledged.
    wire.up = false;
    await write(edge, a, { state: { reported: { n: 2 } } });
    await new Promise((r) => setTimeout(r, 50));
    up.window.drain();
    up.sync.known.set("pdu-1", edge.store.open(a).doc.heads());
    wire.up = true;

    // The next change goes with an abbreviated dep on a change the core does not hold.
    await write(edge, a, { state: { reported: { n: 3 } } });
    await converged([edge, core], [a], 8000);
    await eventually(() => expect(core.service.peek(a).reported).toEqual({ n: 3 }));
    expect((up as unknown as { sender: { abbreviate: boolean } }).sender.abbreviate).toBe(false);
    expect(up.stats().framesRetried).toBeLessThan(5);
    for (const l of links) await l.shutdown();
  });
});
