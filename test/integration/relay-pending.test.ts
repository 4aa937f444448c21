import { afterEach, describe, expect, it } from "vitest";
import type { LinkStats } from "../../broker/relay/link.ts";
import { type FaultProxy, startFaultProxy } from "../helpers/fault-proxy.ts";
import type { TestNode } from "../helpers/node.ts";
import { addr, converged, eventually, linkUp, startSite, write } from "../helpers/relay-sites.ts";

const statsOf = (n: TestNode, peer: string) =>
  (n.extensions.get("relay") as unknown as { peers(): LinkStats[] }).peers().find((p) => p.peer === peer);

/**
 * After a reconnect the parent learns the child's heads (digest repair) just before the child's changes
 * arrive; the shadows it then marks pending must clear once those changes are merged, or `umbra peers`
 * shows pending shadows and a growing lag for ever (seen in a CLI run: core killed, edge wrote, core back).
 */
describe("relay: pending clears after repair", () => {
  const nodes: TestNode[] = [];
  let proxy: FaultProxy | undefined;
  afterEach(async () => {
    for (const n of nodes.splice(0).reverse()) await n.stop();
    await proxy?.close();
  });

  it("shows nothing pending on either side once the shadows written offline have crossed", async () => {
    const core = await startSite({ site: "core" });
    nodes.push(core);
    proxy = await startFaultProxy({ targetPort: core.mqttPort });
    const edge = await startSite({
      site: "edge",
      parents: [{ node: core, url: proxy.url, reconnectMs: 50 }],
    });
    nodes.push(edge);
    await linkUp(edge, "parent:core");
    proxy.cut();
    const offline = Array.from({ length: 30 }, (_, i) => addr(`pdu-${i}`));
    for (const a of offline) await write(edge, a, { state: { desired: { x: a.thing } } });
    proxy.restore();
    await converged([core, edge], offline, 8000);
    await eventually(() => {
      expect(statsOf(core, "child:edge")?.pendingChanges).toBe(0);
      expect(statsOf(edge, "parent:core")?.pendingChanges).toBe(0);
    }, 3000);
  });
});
