import { rmSync } from "node:fs";
import mqtt from "mqtt";
import { afterAll, describe, expect, it } from "vitest";
import { type TestNode, tempDir } from "../helpers/node.ts";
import { addr, converged, eventually, linkUp, startSite, write } from "../helpers/relay-sites.ts";

// An edge that restarts while a device is connected: its devices' sessions ended with the process, and
// the core learns it from the restarted edge (not a stale "connected", not "unknown" once it is back).
describe("presence across a site restart", () => {
  const nodes: TestNode[] = [];
  const dataDir = tempDir("umbra-presence-restart-");
  afterAll(async () => {
    for (const n of nodes.splice(0).reverse()) await n.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const connectionAt = async (n: TestNode, thing: string) => {
    const r = await n.service.get(addr(thing));
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    return (r.body as { connection?: Record<string, unknown> }).connection;
  };

  it("tells the core the device is disconnected after the edge restarts", async () => {
    const core = await startSite({ site: "core" });
    nodes.push(core);
    let edge = await startSite({ site: "edge-r", dataDir, parents: [{ node: core }] });
    await linkUp(edge, "parent:core");
    const thing = "host-r1";
    await write(edge, addr(thing), { state: { reported: { up: true } } });
    const password = edge.identities.add(thing, "device", thing);
    const device = await mqtt.connectAsync(edge.mqttUrl, {
      clientId: thing,
      username: thing,
      password,
      reconnectPeriod: 0,
    });
    await eventually(async () => {
      expect(await connectionAt(core, thing)).toMatchObject({ connected: true, site: "edge-r" });
    }, 20_000);

    await edge.stop({ keepData: true });
    await device.endAsync(true).catch(() => undefined);
    await eventually(async () => {
      expect(await connectionAt(core, thing)).toMatchObject({ unknown: true, site: "edge-r" });
    }, 20_000);

    edge = await startSite({ site: "edge-r", dataDir, parents: [{ node: core }] });
    nodes.push(edge);
    await linkUp(edge, "parent:core");
    await converged([core, edge], [addr(thing, "$umbra-presence")], 20_000);
    await eventually(async () => {
      const c = await connectionAt(core, thing);
      expect(c).toMatchObject({ connected: false, site: "edge-r" });
      expect(c).not.toHaveProperty("unknown");
    }, 20_000);
  }, 120_000);
});
