import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { AlarmsExtension } from "../../broker/alarms/extension.ts";
import type { FleetExtension } from "../../broker/fleet/extension.ts";
import type { Alarm } from "../../shared/alarms-lifecycle.ts";
import { type TestNode, tempDir } from "../helpers/node.ts";
import { addr, converged, eventually, linkUp, startSite, write } from "../helpers/relay-sites.ts";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.ts";

const RULES = `system: rack-e
rules:
  - { name: overload, kind: reported, path: load, above: 80, severity: critical }
  - { name: conflicts, kind: conflicts }
`;

const alarmsAt = (n: TestNode) => (n.extensions.get("alarms") as AlarmsExtension).service.store;
const find = (n: TestNode, id: string): Alarm | undefined => alarmsAt(n).get(id);

// An edge site evaluates its own rules; its alarms go up to the core through the relay's plain-topic
// outbox. Cut off, the edge keeps raising; the core sees every alarm once the link heals.
describe("alarms at a cut-off edge", () => {
  const nodes: TestNode[] = [];
  let proxy: TcpProxy | undefined;
  afterAll(async () => {
    for (const n of nodes.reverse()) await n.stop();
    await proxy?.close();
  });

  it("the edge keeps raising while cut off, and the core sees the alarms after healing", async () => {
    const rules = tempDir("umbra-rules-");
    writeFileSync(join(rules, "rack-e.yaml"), RULES);
    const core = await startSite({ site: "core" });
    nodes.push(core);
    proxy = await startTcpProxy(core.mqttPort);
    const edge = await startSite({
      site: "edge-1",
      parents: [{ node: core, url: proxy.url }],
      config: { relayTopics: ["umbra/alarms/#"], alarmRules: rules },
    });
    nodes.push(edge);
    (edge.extensions.get("fleet") as FleetExtension).fleet.systems.put("rack-e", {
      things: ["pdu-9", "ups-9"],
    });
    await linkUp(edge, "parent:core");

    // Connected: raised at the edge, seen at the core.
    await write(edge, addr("pdu-9"), { state: { reported: { load: 85 } } });
    await eventually(() => expect(find(edge, "rack-e/overload/pdu-9")?.state).toBe("raised"), 15_000);
    await eventually(
      () => expect(find(core, "rack-e/overload/pdu-9")).toMatchObject({ state: "raised", site: "edge-1" }),
      20_000,
    );
    const ups = addr("ups-9");
    await write(core, ups, { state: { desired: { mode: "idle" } } });
    await converged([core, edge], [ups], 20_000);

    // Cut off: the edge clears one alarm and raises another; both sites write the same desired key.
    proxy.cut();
    await write(edge, addr("pdu-9"), { state: { reported: { load: 40 } } });
    await write(edge, ups, { state: { desired: { mode: "edge-value" } } });
    await write(core, ups, { state: { desired: { mode: "core-value" } } });
    await write(edge, addr("pdu-9"), { state: { reported: { load: 95 } } });
    await eventually(
      () => expect(find(edge, "rack-e/overload/pdu-9")).toMatchObject({ state: "raised", fireCount: 2 }),
      15_000,
    );
    expect(find(core, "rack-e/overload/pdu-9")?.fireCount).toBe(1);

    // Healed: the concurrent writes conflict (raised at the edge, which has the rule), and the core
    // catches up on every alarm the edge raised meanwhile.
    proxy.restore();
    await converged([core, edge], [ups], 30_000);
    await eventually(() => expect(find(edge, "rack-e/conflicts/ups-9")?.state).toBe("raised"), 20_000);
    await eventually(() => {
      expect(find(core, "rack-e/overload/pdu-9")).toMatchObject({
        state: "raised",
        fireCount: 2,
        site: "edge-1",
      });
      expect(find(core, "rack-e/conflicts/ups-9")).toMatchObject({ state: "raised", site: "edge-1" });
    }, 30_000);
    // The core counted the raise and the clear it missed while cut off.
    const kinds = alarmsAt(core)
      .eventsSince(0, "rack-e")
      .filter((e) => e.id === "rack-e/overload/pdu-9")
      .map((e) => e.kind);
    expect(kinds).toEqual(["raised", "cleared", "raised"]);
  }, 180_000);
});
