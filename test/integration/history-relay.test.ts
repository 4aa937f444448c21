import { afterEach, describe, expect, it } from "vitest";
import type { HistoryExtension } from "../../broker/history/history-extension.ts";
import { principal } from "../../shared/acl.ts";
import type { TestNode } from "../helpers/node.ts";
import { addr, converged, eventually, linkUp, startSite } from "../helpers/relay-sites.ts";

/** Changes merged from other sites appear in the change record with their origin. */
describe("history across relayed sites", () => {
  const nodes: TestNode[] = [];
  afterEach(async () => {
    for (const n of nodes.splice(0).reverse()) await n.stop();
  });

  const records = (node: TestNode, thing: string) =>
    (node.extensions.get("history") as HistoryExtension).queries.list(addr(thing), {
      limit: 100,
      order: "asc",
    }).records as Record<string, unknown>[];

  it("records merges with the authoring site and the link they came over; blame names the origin", async () => {
    const core = await startSite({ site: "core" });
    nodes.push(core);
    const edge1 = await startSite({ site: "edge-1", parents: [{ node: core }] });
    nodes.push(edge1);
    const edge2 = await startSite({ site: "edge-2", parents: [{ node: core }] });
    nodes.push(edge2);
    await linkUp(edge1, "parent:core");
    await linkUp(edge2, "parent:core");

    const ops = principal("alice", "operator");
    const r = await edge1.service.update(
      addr("pdu-1"),
      JSON.stringify({ state: { desired: { outlet: "off" } }, clientToken: "at-edge-1" }),
      ops,
    );
    expect(r.ok).toBe(true);
    await converged([core, edge1, edge2], [addr("pdu-1")]);

    // At the writing site: the identity and clientToken of the request.
    expect(records(edge1, "pdu-1")).toEqual([
      expect.objectContaining({
        version: 1,
        kind: "update",
        site: "edge-1",
        identity: { name: "alice", role: "operator" },
        clientToken: "at-edge-1",
        desired: [{ op: "set", path: ["outlet"], value: "off" }],
      }),
    ]);
    // At the parent: a merge from edge-1, over the link to that child.
    await eventually(() => {
      expect(records(core, "pdu-1")).toEqual([
        expect.objectContaining({
          version: 1,
          kind: "merge",
          site: "edge-1",
          via: "child:edge-1",
          desired: [{ op: "set", path: ["outlet"], value: "off" }],
        }),
      ]);
    });
    // Two hops away: still edge-1's change, arrived from the parent.
    await eventually(() => {
      const [rec] = records(edge2, "pdu-1");
      expect(rec).toMatchObject({ kind: "merge", site: "edge-1", via: "parent:core" });
      expect(rec?.identity).toBeUndefined();
    });

    // A reported change at the core reaches edge-2 as a merge from core; blame there names both origins.
    const bridge = principal("pdu-bridge", "bridge", "*");
    await core.service.update(
      addr("pdu-1"),
      JSON.stringify({ state: { reported: { outlet: "off", w: 12 } } }),
      bridge,
    );
    await converged([core, edge1, edge2], [addr("pdu-1")]);
    await eventually(() => {
      const blame = (edge2.extensions.get("history") as HistoryExtension).queries.blame(addr("pdu-1")) as {
        desired: { change: { site: string; via: string } }[];
        reported: { path: string[]; change: { site: string; via: string; version: number } }[];
      };
      expect(blame.desired[0]?.change).toMatchObject({ site: "edge-1", via: "parent:core" });
      expect(blame.reported.map((l) => [l.path.join("."), l.change.site, l.change.via])).toEqual([
        ["outlet", "core", "parent:core"],
        ["w", "core", "parent:core"],
      ]);
    });
    // The state at version 1 at edge-2 is what edge-1 wrote.
    const at1 = (edge2.extensions.get("history") as HistoryExtension).queries.stateAt(addr("pdu-1"), {
      version: 1,
    });
    expect(at1.desired).toEqual({ outlet: "off" });
    expect(at1.reported).toEqual({});
  }, 60_000);
});
