import { describe, expect, it } from "vitest";
import { ShadowDocument, skeletonHeads } from "../../broker/shadow/shadow-doc.ts";
import { receiveFrom } from "../helpers/shadow-sites.ts";

describe("shadow skeleton", () => {
  it("has a fixed hash: it is part of the contract between sites and versions", () => {
    // Changing the skeleton makes shadows created by older nodes conflict with new ones at the root.
    expect(skeletonHeads()).toEqual(["3f025b980014eec3d2ecda747448b5620967c99fc67a2ee1a43fee2364d5d58b"]);
  });

  it("is where every new shadow starts, whatever the actor", () => {
    const a = ShadowDocument.create("0a".repeat(16));
    const b = ShadowDocument.create("0b".repeat(16));
    expect(a.heads()).toEqual(skeletonHeads());
    expect(b.heads()).toEqual(skeletonHeads());
    expect(a.view).toEqual({
      exists: false,
      version: 0,
      desired: {},
      reported: {},
      meta: { desired: {}, reported: {} },
    });
    a.free();
    b.free();
  });

  it("lets two sites that create the same shadow merge key by key", () => {
    const a = ShadowDocument.create("0a".repeat(16));
    const b = ShadowDocument.create("0b".repeat(16));
    a.update({ desired: { fan: "auto" } }, 10);
    b.update({ desired: { outlet1: "off" }, reported: { outlet1: "on" } }, 11);
    receiveFrom(a, b);
    expect(a.view.desired).toEqual({ fan: "auto", outlet1: "off" });
    expect(a.view.reported).toEqual({ outlet1: "on" });
    expect(a.view.version).toBe(2);
    // Metadata lives beside the document: merged leaves keep the stamp of the site that wrote them.
    expect(a.view.meta).toEqual({ desired: { fan: 10, outlet1: 11 }, reported: { outlet1: 11 } });
    a.free();
    b.free();
  });
});
