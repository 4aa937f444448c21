import { describe, expect, it } from "vitest";
import { ANONYMOUS, mayPublish, maySubscribe, principal } from "../../shared/acl.ts";

const edgeDevice = principal("plant1:gw1", "device");
const bridge = principal("gw-bridge", "bridge", "plant1:gw1*");
const otherBridge = principal("other", "bridge", "plant2:*");
const operator = principal("ops", "operator", "plant1:gw1:dev1");
const viewer = principal("v", "viewer");
const site = principal("peer", "site");

describe("Sparkplug ACL: publishing", () => {
  const own = [
    "spBv1.0/plant1/NBIRTH/gw1",
    "spBv1.0/plant1/NDATA/gw1",
    "spBv1.0/plant1/NDEATH/gw1",
    "spBv1.0/plant1/DBIRTH/gw1/dev1",
    "spBv1.0/plant1/DDATA/gw1/dev1",
    "spBv1.0/plant1/DDEATH/gw1/dev1",
  ];

  it("lets an edge node (device of that name, or a bridge granted it) publish its own births, data and deaths", () => {
    for (const t of own) {
      expect(mayPublish(edgeDevice, t), t).toBe(true);
      expect(mayPublish(bridge, t), t).toBe(true);
      expect(mayPublish(otherBridge, t), t).toBe(false);
      expect(mayPublish(viewer, t), t).toBe(false);
      expect(mayPublish(operator, t), t).toBe(false); // operators never forge edge messages
      expect(mayPublish(site, t), t).toBe(false);
    }
  });

  it("refuses edge messages for another edge node, commands and STATE from edge nodes", () => {
    for (const p of [edgeDevice, bridge]) {
      expect(mayPublish(p, "spBv1.0/plant1/NDATA/gw2")).toBe(false);
      expect(mayPublish(p, "spBv1.0/plant9/NDATA/gw1")).toBe(false);
      expect(mayPublish(p, "spBv1.0/plant1/NCMD/gw1")).toBe(false);
      expect(mayPublish(p, "spBv1.0/plant1/DCMD/gw1/dev1")).toBe(false);
      expect(mayPublish(p, "spBv1.0/STATE/umbra-x")).toBe(false);
      expect(mayPublish(p, "spBv1.0/plant1/NDATA/gw1/extra")).toBe(false);
      expect(mayPublish(p, "spBv1.0/plant.1/NDATA/gw1")).toBe(false); // unnameable
    }
    // A device identity is exactly one edge node; a device thing of it is not an edge node.
    expect(mayPublish(principal("plant1:gw1:dev1", "device"), "spBv1.0/plant1/DDATA/gw1/dev1")).toBe(false);
  });

  it("lets operators command the things they are granted and publish STATE; anonymous may do all", () => {
    expect(mayPublish(operator, "spBv1.0/plant1/DCMD/gw1/dev1")).toBe(true);
    expect(mayPublish(operator, "spBv1.0/plant1/DCMD/gw1/dev2")).toBe(false);
    expect(mayPublish(operator, "spBv1.0/plant1/NCMD/gw1")).toBe(false);
    expect(mayPublish(principal("ops", "operator", "*"), "spBv1.0/plant1/NCMD/gw1")).toBe(true);
    expect(mayPublish(operator, "spBv1.0/STATE/scada")).toBe(true);
    expect(mayPublish(viewer, "spBv1.0/STATE/scada")).toBe(false);
    for (const t of [...own, "spBv1.0/plant1/NCMD/gw1", "spBv1.0/STATE/x"])
      expect(mayPublish(ANONYMOUS, t)).toBe(true);
  });
});

describe("Sparkplug ACL: subscribing", () => {
  it("lets an edge node receive its own NCMD/DCMD (Tahu's filters) and read STATE", () => {
    for (const p of [edgeDevice, bridge]) {
      expect(maySubscribe(p, "spBv1.0/plant1/NCMD/gw1/#")).toBe(true);
      expect(maySubscribe(p, "spBv1.0/plant1/DCMD/gw1/#")).toBe(true);
      expect(maySubscribe(p, "spBv1.0/plant1/NCMD/gw1")).toBe(true);
      expect(maySubscribe(p, "spBv1.0/plant1/DCMD/gw1/+")).toBe(true);
      expect(maySubscribe(p, "spBv1.0/STATE/+")).toBe(true);
      expect(maySubscribe(p, "spBv1.0/STATE/umbra-x")).toBe(true);
    }
  });

  it("refuses an edge node other edge nodes' commands, data and wildcards across edge nodes", () => {
    for (const p of [edgeDevice, bridge]) {
      for (const f of [
        "spBv1.0/plant1/NCMD/gw2/#",
        "spBv1.0/plant1/NCMD/+",
        "spBv1.0/+/NCMD/gw1",
        "spBv1.0/plant1/NDATA/gw1",
        "spBv1.0/plant1/#",
        "spBv1.0/#",
        "spBv1.0/+/+/+",
        "#",
      ])
        expect(maySubscribe(p, f), f).toBe(false);
    }
    expect(maySubscribe(otherBridge, "spBv1.0/plant1/NCMD/gw1/#")).toBe(false);
  });

  it("lets readers (operators, viewers) see the whole namespace; sites none of it", () => {
    expect(maySubscribe(viewer, "spBv1.0/#")).toBe(true);
    expect(maySubscribe(operator, "spBv1.0/+/DDATA/#")).toBe(true);
    expect(maySubscribe(site, "spBv1.0/#")).toBe(false);
  });
});
