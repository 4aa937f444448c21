import { afterEach, describe, expect, it } from "vitest";
import { connectClient, Inbox } from "../helpers/mqtt.ts";
import type { TestNode } from "../helpers/node.ts";
import { addr, converged, eventually, linkUp, startSite, write } from "../helpers/relay-sites.ts";

describe("relay: a fabric of sites", () => {
  const nodes: TestNode[] = [];
  afterEach(async () => {
    for (const n of nodes.splice(0).reverse()) await n.stop();
  });
  const keep = (n: TestNode) => {
    nodes.push(n);
    return n;
  };

  it("is transitive: edge → regional → core and back down, without loops", async () => {
    const core = keep(await startSite({ site: "core" }));
    const regional = keep(await startSite({ site: "regional", parents: [{ node: core }] }));
    const edge = keep(await startSite({ site: "edge", parents: [{ node: regional }] }));
    await linkUp(edge, "parent:regional");
    await linkUp(regional, "parent:core");

    await write(edge, addr("pdu-1"), { state: { reported: { load: 1 } } });
    await write(core, addr("pdu-2"), { state: { desired: { on: true } } });
    await write(regional, addr("pdu-3"), { state: { desired: { x: 1 } } });
    const all = [addr("pdu-1"), addr("pdu-2"), addr("pdu-3")];
    await converged([core, regional, edge], all);
    expect(core.service.peek(addr("pdu-1")).reported).toEqual({ load: 1 });
    expect(edge.service.peek(addr("pdu-2")).desired).toEqual({ on: true });

    // No loops: once converged, the links fall quiet (no frames keep bouncing).
    const relayStats = (n: TestNode) =>
      (n.extensions.get("relay") as unknown as { peers(): { framesSent: number }[] })
        .peers()
        .reduce((s, p) => s + p.framesSent, 0);
    await new Promise((r) => setTimeout(r, 200));
    const before = [core, regional, edge].map(relayStats);
    await new Promise((r) => setTimeout(r, 400));
    expect([core, regional, edge].map(relayStats)).toEqual(before);
    // Each change crossed each link once: the core received pdu-1's changes from the regional only.
    const corePeers = (
      core.extensions.get("relay") as unknown as {
        peers(): { peer: string; changesReceived: number }[];
      }
    ).peers();
    expect(corePeers.find((p) => p.peer === "child:regional")?.changesReceived).toBeGreaterThan(0);
  });

  it("serves several parents: a change at one parent reaches the other through the child", async () => {
    const core = keep(await startSite({ site: "core" }));
    const dr = keep(await startSite({ site: "dr" }));
    const edge = keep(await startSite({ site: "edge", parents: [{ node: core }, { node: dr }] }));
    await linkUp(edge, "parent:core");
    await linkUp(edge, "parent:dr");
    await write(core, addr("pdu-1"), { state: { desired: { from: "core" } } });
    await write(dr, addr("pdu-2"), { state: { desired: { from: "dr" } } });
    await write(edge, addr("pdu-3"), { state: { reported: { from: "edge" } } });
    const all = [addr("pdu-1"), addr("pdu-2"), addr("pdu-3")];
    await converged([core, dr, edge], all);
    expect(dr.service.peek(addr("pdu-1")).desired).toEqual({ from: "core" });
    expect(core.service.peek(addr("pdu-2")).desired).toEqual({ from: "dr" });
  });

  it("enforces the share policy both ways: the parent's grant and the child's own restriction", async () => {
    const core = keep(await startSite({ site: "core" }));
    // edge-a's identity at the core is granted pdu-* only.
    const edgeA = keep(await startSite({ site: "edge-a", parents: [{ node: core, grant: "pdu-*" }] }));
    // edge-b restricts itself to pdu-1 towards the core.
    const edgeB = keep(await startSite({ site: "edge-b", parents: [{ node: core, things: "pdu-1" }] }));
    await linkUp(edgeA, "parent:core");
    await linkUp(edgeB, "parent:core");

    await write(core, addr("ups-1"), { state: { desired: { secret: 1 } } });
    await write(edgeA, addr("ups-2"), { state: { reported: { local: 1 } } });
    await write(edgeA, addr("pdu-9"), { state: { reported: { shared: 1 } } });
    await write(edgeB, addr("pdu-2"), { state: { reported: { private: 1 } } });
    await write(core, addr("pdu-1"), { state: { desired: { both: 1 } } });
    await write(core, addr("pdu-3"), { state: { desired: { onlyA: 1 } } });

    await converged([core, edgeA], [addr("pdu-9"), addr("pdu-1"), addr("pdu-3")]);
    await converged([core, edgeB], [addr("pdu-1")]);
    await new Promise((r) => setTimeout(r, 300));
    expect(edgeA.service.peek(addr("ups-1")).exists).toBe(false);
    expect(core.service.peek(addr("ups-2")).exists).toBe(false);
    expect(edgeB.service.peek(addr("ups-1")).exists).toBe(false);
    expect(edgeB.service.peek(addr("pdu-3")).exists).toBe(false);
    expect(core.service.peek(addr("pdu-2")).exists).toBe(false);
    // …and edge-b's own pdu-2 does not travel on to edge-a through the core.
    expect(edgeA.service.peek(addr("pdu-2")).exists).toBe(false);
    expect(core.service.peek(addr("pdu-9")).reported).toEqual({ shared: 1 });
  });

  it("gives a device attached at the edge its delta from the local node", async () => {
    const core = keep(await startSite({ site: "core" }));
    const edge = keep(await startSite({ site: "edge", parents: [{ node: core }] }));
    await linkUp(edge, "parent:core");
    const password = edge.identities.add("pdu-5", "device", "");
    const device = await connectClient(edge.mqttUrl, { username: "pdu-5", password, clientId: "pdu-5" });
    try {
      const inbox = new Inbox(device);
      const topic = "$aws/things/pdu-5/shadow/update/delta";
      await device.subscribeAsync(topic, { qos: 1 });
      await write(core, addr("pdu-5"), { state: { desired: { outlet: "off" } } });
      const delta = await inbox.nextJson<{ state: Record<string, unknown> }>(topic, 8000);
      expect(delta.state).toEqual({ outlet: "off" });
      await eventually(() => expect(edge.service.peek(addr("pdu-5")).desired).toEqual({ outlet: "off" }));
    } finally {
      await device.endAsync();
    }
  });
});
