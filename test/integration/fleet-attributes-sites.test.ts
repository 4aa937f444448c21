import { afterAll, describe, expect, it } from "vitest";
import type { FleetExtension } from "../../broker/fleet/extension.ts";
import { findThings } from "../../broker/fleet/fleet-query.ts";
import type { TestNode } from "../helpers/node.ts";
import { eventually, linkUp, startSite } from "../helpers/relay-sites.ts";

// Attributes written at either of two real sites reach the other through the reserved
// `$umbra-attributes` shadow, within the edge's grant at the core.
describe("attributes across sites", () => {
  const nodes: TestNode[] = [];
  afterAll(async () => {
    for (const n of nodes.splice(0).reverse()) await n.stop();
  });
  const fleetOf = (n: TestNode) => (n.extensions.get("fleet") as FleetExtension).fleet;
  const found = (n: TestNode, q: string) =>
    findThings(fleetOf(n).index, { q }).results.map((r) => r.thingName);

  it("replicates writes both ways, replacements included, and keeps out what the grant refuses", async () => {
    const core = await startSite({ site: "core" });
    nodes.push(core);
    const edge = await startSite({ site: "edge-a", parents: [{ node: core, grant: "pdu-*" }] });
    nodes.push(edge);
    await linkUp(edge, "parent:core");

    fleetOf(edge).writeAttributes(
      "pdu-a1",
      { type: "pdu", vendor: "acme", location: { room: "r2", rack: "7" } },
      "put",
    );
    fleetOf(edge).writeAttributes("bmc-a2", { type: "bmc" }, "put");
    await eventually(() => expect(found(core, "attributes.location.room:r2")).toEqual(["pdu-a1"]), 20_000);
    expect(fleetOf(core).attributesOf("pdu-a1")).toEqual({
      type: "pdu",
      vendor: "acme",
      location: { room: "r2", rack: "7" },
    });

    // An operator at the core corrects the rack; the edge gets it.
    fleetOf(core).writeAttributes("pdu-a1", { location: { rack: "8" } }, "patch");
    await eventually(() => expect(found(edge, "attributes.location.rack:8")).toEqual(["pdu-a1"]), 20_000);

    // A replacement at the edge drops keys at the core too.
    fleetOf(edge).writeAttributes("pdu-a1", { type: "pdu", owner: "ops" }, "put");
    await eventually(
      () => expect(fleetOf(core).attributesOf("pdu-a1")).toEqual({ type: "pdu", owner: "ops" }),
      20_000,
    );
    expect(found(core, "attributes.vendor:*")).toEqual([]);
    // bmc-a2 is outside the edge's grant at the core: never there.
    expect(fleetOf(core).attributesOf("bmc-a2")).toBeUndefined();
    expect(found(edge, "attributes.type:bmc")).toEqual(["bmc-a2"]);
    // The carrier shadow is readable (its history is the attributes' history) but not listed.
    expect(core.service.peek({ thing: "pdu-a1", shadow: "$umbra-attributes" }).reported).toEqual({
      type: "pdu",
      owner: "ops",
      $origins: { type: "operator", owner: "operator" },
    });
    const token = core.identities.createToken("viewer", "viewer", "*").token;
    const listed = await fetch(`${core.httpUrl}/things/pdu-a1/shadows`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(((await listed.json()) as { results: string[] }).results).toEqual([]);
    // A thing whose only shadows are reserved is not listed by the plain listing either.
    const things = await fetch(`${edge.httpUrl}/things`, {
      headers: { authorization: `Bearer ${edge.identities.createToken("v", "viewer", "*").token}` },
    });
    expect(((await things.json()) as { things: string[] }).things).toEqual([]);
    expect(
      (await edge.service.update({ thing: "bmc-a2", shadow: "" }, { state: { reported: { on: 1 } } })).ok,
    ).toBe(true);
    const again = await fetch(`${edge.httpUrl}/things`, {
      headers: { authorization: `Bearer ${edge.identities.createToken("v2", "viewer", "*").token}` },
    });
    expect(((await again.json()) as { things: string[] }).things).toEqual(["bmc-a2"]);

    // Origins travel too: a key an operator set at the core stays when the edge's bridge fills in.
    fleetOf(core).writeAttributes("pdu-a1", { location: { rack: "9" } }, "patch");
    await eventually(() => expect(found(edge, "attributes.location.rack:9")).toEqual(["pdu-a1"]), 20_000);
    const filled = fleetOf(edge).writeAttributes(
      "pdu-a1",
      { serial: "S-1", location: { rack: "1" } },
      "patch",
      undefined,
      "device",
    );
    expect(filled.kept).toEqual(["location.rack"]);
    await eventually(() => expect(found(core, "attributes.serial:S-1")).toEqual(["pdu-a1"]), 20_000);
    expect(fleetOf(core).attributes.get("pdu-a1")).toMatchObject({
      attributes: { type: "pdu", owner: "ops", serial: "S-1", location: { rack: "9" } },
      origins: { type: "operator", owner: "operator", serial: "device", location: { rack: "operator" } },
    });
  }, 120_000);
});
