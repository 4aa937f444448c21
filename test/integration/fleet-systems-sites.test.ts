import { rmSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import type { FleetExtension } from "../../broker/fleet/extension.ts";
import type { SystemSpec } from "../../shared/fleet-systems.ts";
import { NODE_WRITER } from "../../shared/site-presence.ts";
import { entryOf, SYSTEMS_SHADOW, stampEdit } from "../../shared/site-systems.ts";
import { type TestNode, tempDir } from "../helpers/node.ts";
import { addr, converged, eventually, linkUp, startSite, write } from "../helpers/relay-sites.ts";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.ts";

// Systems across two real sites: a system defined at the core travels to the edge on its member
// things' reserved `$umbra-systems` shadow (within the edge's grant), a member added at the edge
// reaches the core, edits made at both sides while the link is cut converge, a cycle closed by two
// concurrent acyclic edits is cut the same way at both and roll-ups stay finite.
describe("systems across sites", () => {
  const nodes: TestNode[] = [];
  let proxy: TcpProxy | undefined;
  const dataDir = tempDir("umbra-systems-restart-");
  afterAll(async () => {
    for (const n of nodes.splice(0).reverse()) await n.stop();
    await proxy?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const systemsOf = (n: TestNode) => (n.extensions.get("fleet") as FleetExtension).fleet.systems;
  const spec = (n: TestNode, name: string): Omit<SystemSpec, "name"> | undefined => {
    try {
      const { things, systems, description } = systemsOf(n).get(name);
      return {
        things: [...things].sort(),
        systems: [...systems].sort(),
        ...(description ? { description } : {}),
      };
    } catch {
      return undefined;
    }
  };

  it("replicates systems both ways, merges concurrent edits and cuts merged cycles", async () => {
    const core = await startSite({ site: "core" });
    nodes.push(core);
    proxy = await startTcpProxy(core.mqttPort);
    const edge = await startSite({
      site: "edge-1",
      parents: [{ node: core, url: proxy.url, grant: "pdu-*" }],
    });
    nodes.push(edge);
    await linkUp(edge, "parent:core");

    const edgeThings = ["pdu-e1", "pdu-e2", "pdu-e3"];
    for (const t of edgeThings) await write(edge, addr(t), { state: { reported: { watts: 10 } } });
    await write(core, addr("srv-c1"), { state: { reported: { load: 1 } } });
    await converged(
      [core, edge],
      edgeThings.map((t) => addr(t)),
      20_000,
    );

    // Defined at the core: the edge receives what its grant covers (srv-c1 stays at the core).
    systemsOf(core).put("storage-b", { things: ["pdu-e1", "srv-c1"], description: "storage in b" });
    systemsOf(core).put("site-b", { systems: ["storage-b"] });
    await eventually(() => {
      expect(spec(edge, "storage-b")).toEqual({
        things: ["pdu-e1"],
        systems: [],
        description: "storage in b",
      });
      expect(spec(edge, "site-b")).toEqual({ things: [], systems: ["storage-b"] });
    }, 20_000);
    expect(systemsOf(edge).rollup("site-b", 1)).toMatchObject({
      things: 1,
      systems: [{ name: "storage-b" }],
    });
    // The carrier is a reserved shadow: readable, refused to clients.
    expect(
      Object.keys(edge.service.peek({ thing: "pdu-e1", shadow: SYSTEMS_SHADOW }).reported).sort(),
    ).toEqual(["site-b", "storage-b"]);

    // A member added at the edge reaches the core; the core's member outside the edge's view stays.
    systemsOf(edge).put("storage-b", { things: ["pdu-e1", "pdu-e2"], description: "storage in b" });
    await eventually(
      () => expect(spec(core, "storage-b")?.things).toEqual(["pdu-e1", "pdu-e2", "srv-c1"]),
      20_000,
    );
    // The core's roll-up counts the edge things.
    expect(systemsOf(core).rollup("site-b", 1)).toMatchObject({ things: 3, systems: [{ things: 3 }] });

    // Two racks, shared, before the cut.
    systemsOf(core).put("rack-1", { things: ["pdu-e2"] });
    systemsOf(core).put("rack-2", { things: ["pdu-e3"] });
    await eventually(() => expect(spec(edge, "rack-2")?.things).toEqual(["pdu-e3"]), 20_000);

    // Cut off, each side edits: the core removes pdu-e1 and renames; the edge adds pdu-e3 and renames;
    // the core puts rack-2 under rack-1, the edge rack-1 under rack-2 (each acyclic where it is made).
    proxy.cut();
    systemsOf(core).put("storage-b", { things: ["pdu-e2", "srv-c1"], description: "core's" });
    systemsOf(core).put("rack-1", { things: ["pdu-e2"], systems: ["rack-2"] });
    await new Promise((r) => setTimeout(r, 20));
    systemsOf(edge).put("storage-b", { things: ["pdu-e1", "pdu-e2", "pdu-e3"], description: "edge's" });
    systemsOf(edge).put("rack-2", { things: ["pdu-e3"], systems: ["rack-1"] });
    proxy.restore();
    await linkUp(edge, "parent:core", 20_000);

    await eventually(() => {
      // Both edits survive (pdu-e1 removed at the core, pdu-e3 added at the edge); the newer header wins.
      expect(spec(core, "storage-b")).toEqual({
        things: ["pdu-e2", "pdu-e3", "srv-c1"],
        systems: [],
        description: "edge's",
      });
      expect(spec(edge, "storage-b")).toEqual({
        things: ["pdu-e2", "pdu-e3"],
        systems: [],
        description: "edge's",
      });
      expect(spec(core, "rack-1")?.systems).toEqual(["rack-2"]);
      expect(spec(edge, "rack-2")?.systems).toEqual(["rack-1"]);
      expect(spec(core, "rack-2")?.systems).toEqual(["rack-1"]);
      expect(spec(edge, "rack-1")?.systems).toEqual(["rack-2"]);
    }, 30_000);
    // The core copies the merged header onto its carrier the edge does not share (after a quiet 5 s).
    await eventually(
      () =>
        expect(
          core.service.peek({ thing: "srv-c1", shadow: SYSTEMS_SHADOW }).reported["storage-b"],
        ).toMatchObject({
          member: true,
          description: "edge's",
          site: "edge-1",
        }),
      20_000,
    );
    // The merged cycle is reported the same at both, the same edge left out; roll-ups stay finite.
    for (const n of [core, edge]) {
      expect(systemsOf(n).cycles).toEqual([["rack-2", "rack-1", "rack-2"]]);
      expect(systemsOf(n).rollup("rack-1", 5)).toMatchObject({
        things: 2,
        systems: [{ name: "rack-2", things: 1 }],
      });
      expect(systemsOf(n).rollup("rack-2", 5)).toMatchObject({ things: 1, systems: [] });
    }
    // One side removes the closing edge: the cycle is gone at both.
    systemsOf(edge).put("rack-2", { things: ["pdu-e3"] });
    await eventually(() => {
      for (const n of [core, edge]) expect(systemsOf(n).cycles).toEqual([]);
    }, 20_000);

    // A delete at the core removes the system at the edge.
    systemsOf(core).delete("rack-1");
    await eventually(() => expect(spec(edge, "rack-1")).toBeUndefined(), 20_000);
    expect(spec(edge, "rack-2")?.things).toEqual(["pdu-e3"]);
  }, 180_000);

  it("at start, takes a system its carriers hold but its table lacks (merged before a stop)", async () => {
    const core = await startSite({ site: "core-r" });
    nodes.push(core);
    let edge = await startSite({ site: "edge-r", dataDir, parents: [{ node: core }] });
    await linkUp(edge, "parent:core-r");
    systemsOf(edge).put("kept", { things: ["pdu-r1"] });
    // An entry in a carrier that the table never saw (as if the node stopped between the two).
    const ghost = stampEdit({ name: "ghost", things: ["pdu-r2"], systems: [] }, undefined, {
      at: 1,
      site: "core-r",
    });
    const r = await edge.service.update(
      { thing: "pdu-r2", shadow: SYSTEMS_SHADOW },
      { state: { reported: { ghost: entryOf(ghost, true) } } },
      NODE_WRITER,
    );
    expect(r.ok).toBe(true);
    expect(spec(edge, "ghost")).toBeUndefined();
    await eventually(() => expect(spec(core, "kept")?.things).toEqual(["pdu-r1"]), 20_000);
    await edge.stop({ keepData: true });

    edge = await startSite({ site: "edge-r", dataDir, parents: [{ node: core }] });
    nodes.push(edge);
    expect(spec(edge, "kept")?.things).toEqual(["pdu-r1"]);
    expect(spec(edge, "ghost")?.things).toEqual(["pdu-r2"]);
    // The core learned it from the relayed carrier.
    await eventually(() => expect(spec(core, "ghost")?.things).toEqual(["pdu-r2"]), 20_000);
  }, 120_000);
});
