import { afterEach, describe, expect, it } from "vitest";
import { startSecureNode } from "../helpers/acl-clients.ts";
import { connectClient } from "../helpers/mqtt.ts";
import type { TestNode } from "../helpers/node.ts";
import { helloFrame } from "../helpers/relay-attack.ts";
import { addr, converged, eventually, linkUp, startSite, write } from "../helpers/relay-sites.ts";

/**
 * Issue 17, item 7: a second connection of the same site identity took the real child's link down when
 * it disconnected (/peers showed it disconnected while the child was still up: only the last connection
 * that spoke was tracked). Now one connection per site identity: a new one replaces the old one (as MQTT
 * does for client ids), and the link follows the current one.
 */
describe("security: one connection per site identity", () => {
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const s of stops.splice(0).reverse()) await s();
  });

  it("a second connection replaces the first; once it leaves, the real child's link is up and syncing", async () => {
    const core = await startSecureNode();
    stops.push(() => core.stop());
    const edge: TestNode = await startSite({
      site: "edge",
      parents: [{ node: core, grant: "pdu-*", reconnectMs: 200 }],
    });
    stops.push(() => edge.stop());
    await linkUp(core, "child:edge");
    await linkUp(edge, "parent:test");
    const password = edge.config.parents?.[0]?.password as string;

    const imposter = await connectClient(core.mqttUrl, {
      username: "edge",
      password,
      clientId: "imposter",
    });
    await imposter.publishAsync("$umbra/relay/edge/up", helloFrame("edge"), { qos: 1 });
    await imposter.endAsync(true);

    // The real child redialled (its connection was replaced) and is the current one again.
    await linkUp(core, "child:edge");
    await linkUp(edge, "parent:test");
    await new Promise((r) => setTimeout(r, 300));
    const relay = core.extensions.get("relay") as unknown as { links: Map<string, { connected: boolean }> };
    expect(relay.links.get("child:edge")?.connected).toBe(true);
    // And it syncs both ways: a desired change written at the core reaches the edge.
    await write(core, addr("pdu-2"), { state: { desired: { on: true } } });
    await converged([core, edge], [addr("pdu-2")]);
    await eventually(() => expect(edge.service.peek(addr("pdu-2")).desired).toEqual({ on: true }));
  });
});
