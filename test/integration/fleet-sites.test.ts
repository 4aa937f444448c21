import { afterAll, describe, expect, it } from "vitest";
import type { FleetExtension } from "../../broker/fleet/extension.ts";
import { findThings } from "../../broker/fleet/fleet-query.ts";
import type { TestNode } from "../helpers/node.ts";
import { addr, converged, eventually, linkUp, startSite, write } from "../helpers/relay-sites.ts";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.ts";

// Two real sites: shadows written at the edge are indexed at the core (a roll-up there counts them),
// and a conflict made by a partition shows in the core's fleet view until the winner is rewritten.
// Presence and attributes across sites: fleet-presence-sites, fleet-attributes-sites.
describe("fleet across sites", () => {
  const nodes: TestNode[] = [];
  let proxy: TcpProxy | undefined;
  afterAll(async () => {
    for (const n of nodes.splice(0).reverse()) await n.stop();
    await proxy?.close();
  });
  const fleetOf = (n: TestNode) => (n.extensions.get("fleet") as FleetExtension).fleet;

  it("indexes relayed shadows, rolls up edge things at the core, and lists and clears conflicts", async () => {
    const core = await startSite({ site: "core" });
    nodes.push(core);
    proxy = await startTcpProxy(core.mqttPort);
    const edge = await startSite({ site: "edge-1", parents: [{ node: core, url: proxy.url }] });
    nodes.push(edge);
    await linkUp(edge, "parent:core");

    const things = ["pdu-e1", "pdu-e2", "bmc-e3"];
    await write(edge, addr("pdu-e1"), { state: { reported: { watts: 300 } } });
    await write(edge, addr("pdu-e2"), { state: { reported: { watts: 90 } } });
    await write(edge, addr("bmc-e3"), { state: { reported: { $bridge: { reachable: false } } } });
    await converged(
      [core, edge],
      things.map((t) => addr(t)),
      20_000,
    );

    const fleet = fleetOf(core);
    // Heads agree once the merge is applied in memory; the index follows at its group commit.
    await eventually(() =>
      expect(
        findThings(fleet.index, { q: "shadow.reported.watts > 100" }).results.map((r) => r.thingName),
      ).toEqual(["pdu-e1"]),
    );
    fleet.systems.put("edge-rack", { things: ["pdu-e1", "pdu-e2"] });
    fleet.systems.put("edge-site", { systems: ["edge-rack"], things: ["bmc-e3"] });
    await eventually(() => expect(fleet.index.size).toBe(3));
    expect(fleet.systems.rollup("edge-site", 1)).toMatchObject({
      things: 3,
      unreachable: 1,
      systems: [{ name: "edge-rack", things: 2 }],
    });

    // A partition: both sites set the same desired key; after the merge the loser is a conflict.
    const a = addr("pdu-e1");
    proxy.cut();
    await write(edge, a, { state: { desired: { outlet1: "off" } } });
    await write(core, a, { state: { desired: { outlet1: "on" } } });
    proxy.restore();
    await converged([core, edge], [a], 20_000);
    await eventually(() => expect(fleet.conflicts().map((c) => c.thing)).toEqual(["pdu-e1"]), 10_000);
    // The entry names the losing site and the winning one: one each of the two.
    const [lost] = (fleet.conflicts()[0]?.conflicts.desired?.outlet1 ?? []) as {
      value: string;
      site: string;
      winner: { site: string };
    }[];
    expect([lost?.site, lost?.winner.site].sort()).toEqual(["core", "edge-1"]);
    expect(lost?.value).toBe(lost?.site === "core" ? "on" : "off");
    expect(
      findThings(fleet.index, { q: "shadow.hasConflicts:true" }).results.map((r) => r.thingName),
    ).toEqual(["pdu-e1"]);

    // Rewriting the winning value at the core resolves it at both sites.
    const winner = core.service.peek(a).desired.outlet1;
    await write(core, a, { state: { desired: { outlet1: winner } } });
    await converged([core, edge], [a], 20_000);
    for (const n of [core, edge]) {
      await eventually(() => expect(fleetOf(n).conflicts()).toEqual([]), 10_000);
      expect(n.service.peek(a).desired.outlet1).toBe(winner);
    }
  }, 120_000);
});
