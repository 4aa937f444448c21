import mqtt, { type MqttClient } from "mqtt";
import { afterAll, describe, expect, it } from "vitest";
import type { FleetExtension } from "../../broker/fleet/extension.ts";
import { findThings } from "../../broker/fleet/fleet-query.ts";
import { principal } from "../../shared/acl.ts";
import { PRESENCE_SHADOW } from "../../shared/site-presence.ts";
import type { TestNode } from "../helpers/node.ts";
import { addr, converged, eventually, linkUp, startSite, write } from "../helpers/relay-sites.ts";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.ts";

// Presence across three real sites: a device connected at edge-1 shows as connected (site edge-1) at
// the core and at edge-2 (through the core), in GET shadow, fleet queries and roll-ups; a cut link
// makes it "unknown since …" at the core, and the disconnect made during the cut arrives once the link
// is back. edge-2 cannot see the cut beyond the core: it learns it from the core's mark in the presence
// shadow (`unknownBy.core`), which the core removes when the link is back.
describe("presence across sites", () => {
  const nodes: TestNode[] = [];
  const clients: MqttClient[] = [];
  let proxy: TcpProxy | undefined;
  afterAll(async () => {
    for (const c of clients) await c.endAsync(true);
    for (const n of nodes.splice(0).reverse()) await n.stop();
    await proxy?.close();
  });
  const fleetOf = (n: TestNode) => (n.extensions.get("fleet") as FleetExtension).fleet;
  const connectionAt = async (n: TestNode, thing: string) => {
    const r = await n.service.get(addr(thing));
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    return (r.body as { connection?: unknown }).connection;
  };
  const connectedAt = (n: TestNode) =>
    findThings(fleetOf(n).index, { q: "connectivity.connected:true" }).results.map((r) => r.thingName);

  it("relays presence, marks it unknown while the link is down, and catches up after", async () => {
    const core = await startSite({ site: "core" });
    nodes.push(core);
    proxy = await startTcpProxy(core.mqttPort);
    const edge = await startSite({ site: "edge-1", parents: [{ node: core, url: proxy.url }] });
    nodes.push(edge);
    await linkUp(edge, "parent:core");
    // A second edge shares the thing through the core (two hops from edge-1).
    const edge2 = await startSite({ site: "edge-2", parents: [{ node: core }] });
    nodes.push(edge2);
    await linkUp(edge2, "parent:core");

    const thing = "pdu-p1";
    await write(edge, addr(thing), { state: { reported: { watts: 10 } } });
    await converged([core, edge, edge2], [addr(thing)], 20_000);
    fleetOf(core).systems.put("room-p", { things: [thing] });
    expect(fleetOf(core).systems.rollup("room-p", 1)).toMatchObject({ things: 1, connected: 0 });

    // The device connects at the edge, with its own identity, over MQTT.
    const password = edge.identities.add(thing, "device", thing);
    const device = await mqtt.connectAsync(edge.mqttUrl, {
      clientId: thing,
      username: thing,
      password,
      reconnectPeriod: 0,
    });
    clients.push(device);
    await eventually(async () => {
      expect(await connectionAt(core, thing)).toMatchObject({ connected: true, site: "edge-1" });
      expect(await connectionAt(edge2, thing)).toMatchObject({ connected: true, site: "edge-1" });
    }, 20_000);
    expect(connectedAt(edge2)).toEqual([thing]);
    expect(await connectionAt(core, thing)).not.toHaveProperty("unknown");
    expect(connectedAt(core)).toEqual([thing]);
    expect(
      findThings(fleetOf(core).index, { q: "connectivity.site:edge-1" }).results.map((r) => r.thingName),
    ).toEqual([thing]);
    expect(fleetOf(core).systems.rollup("room-p", 1)).toMatchObject({ things: 1, connected: 1 });
    // The reserved shadow is not a shadow of the fleet's records, and no client may write it.
    expect(findThings(fleetOf(core).index, { q: "shadow.name.*.connected:*" }).results).toEqual([]);
    const forged = await core.service.update(
      addr(thing, PRESENCE_SHADOW),
      JSON.stringify({ state: { reported: { connected: false, since: 1, site: "core" } } }),
      principal("ops", "operator"),
    );
    expect(forged.ok).toBe(false);
    if (!forged.ok) expect(forged.error.code).toBe(403);

    // The link is cut: the core cannot know, so it says so (not "offline"); the index announces the
    // change (fleet stream, alarms) without any shadow changing.
    const seen: { thing: string; unknown: boolean }[] = [];
    const stopWatch = fleetOf(core).index.subscribe((r, t) =>
      seen.push({ thing: t, unknown: r?.presence?.unknown === true }),
    );
    proxy.cut();
    await eventually(async () => {
      expect(await connectionAt(core, thing)).toMatchObject({
        connected: false,
        unknown: true,
        site: "edge-1",
        since: expect.any(Number),
      });
    }, 20_000);
    expect(connectedAt(core)).toEqual([]);
    // Two hops away, edge-2 shows it unknown too (its own link, to the core, is up).
    await eventually(async () => {
      expect(await connectionAt(edge2, thing)).toMatchObject({
        connected: false,
        unknown: true,
        site: "edge-1",
      });
    }, 20_000);
    expect(connectedAt(edge2)).toEqual([]);
    expect(edge2.service.peek(addr(thing, PRESENCE_SHADOW)).reported).toMatchObject({
      connected: true,
      site: "edge-1",
      unknownBy: { core: expect.any(Number) },
    });
    await eventually(() => expect(seen).toContainEqual({ thing, unknown: true }), 10_000);
    stopWatch();
    expect(fleetOf(core).systems.rollup("room-p", 1)).toMatchObject({ connected: 0, presenceUnknown: 1 });
    expect(
      findThings(fleetOf(core).index, { q: "connectivity.unknown:true" }).results.map((r) => r.thingName),
    ).toEqual([thing]);
    // The device leaves during the cut; the edge itself knows it at once.
    await device.endAsync();
    await eventually(async () => {
      expect(await connectionAt(edge, thing)).toMatchObject({ connected: false, site: "edge-1" });
    });

    proxy.restore();
    await eventually(async () => {
      for (const n of [core, edge2]) {
        const c = await connectionAt(n, thing);
        expect(c).toMatchObject({ connected: false, site: "edge-1" });
        expect(c).not.toHaveProperty("unknown");
      }
    }, 30_000);
    expect(fleetOf(core).systems.rollup("room-p", 1)).toMatchObject({ connected: 0, presenceUnknown: 0 });
    // The mark is gone everywhere, the device's site included (its own keys untouched by it).
    await eventually(() => {
      for (const n of [core, edge, edge2])
        expect(n.service.peek(addr(thing, PRESENCE_SHADOW)).reported).not.toHaveProperty("unknownBy.core");
    }, 20_000);
    expect(edge.service.peek(addr(thing, PRESENCE_SHADOW)).reported).toMatchObject({
      connected: false,
      site: "edge-1",
    });
  }, 120_000);
});
