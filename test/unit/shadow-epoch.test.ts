import { afterEach, describe, expect, it } from "vitest";
import { epochActor } from "../../broker/shadow/epoch-base.ts";
import { ShadowDocument, skeletonHeads } from "../../broker/shadow/shadow-doc.ts";
import { receiveFrom } from "../helpers/shadow-sites.ts";
import {
  addr,
  chunkSizes,
  closeAllStores,
  closeStore,
  freshStore,
  openStore,
  remove,
  shadowRow,
  update,
} from "../helpers/shadow-store-fixture.ts";

afterEach(closeAllStores);

const KEY = "pdu-1";

/** A document that reached `state` through `steps` updates written as `actor`. */
function reach(actor: string, steps: { desired?: object; reported?: object }[]): ShadowDocument {
  const doc = ShadowDocument.create(actor, `site-${actor.slice(0, 2)}`);
  for (const [i, s] of steps.entries()) expect(doc.update(s as never, 1_700_000_000 + i)).toBe(true);
  return doc;
}

describe("epoch base (docs/shadow-engine.md)", () => {
  it("is byte-identical when two sites cut the same state, whatever history led there", () => {
    // Same final state and version (3 changes), different actors, order and intermediate values.
    const a = reach("0a".repeat(16), [
      { reported: { w: 1, v: 230 } },
      { desired: { outlets: { o2: "off", o1: "on" } } },
      { reported: { w: 7, big: 2 ** 60, name: "pdu", list: [1, { x: "y" }, null] } },
    ]);
    const b = reach("0b".repeat(16), [
      { desired: { outlets: { o1: "on", o2: "off" } } },
      { reported: { big: 2 ** 60, v: 230, list: [1, { x: "y" }, null] } },
      { reported: { name: "pdu", w: 7 } },
    ]);
    expect(b.view.desired).toEqual(a.view.desired);
    expect(b.view.reported).toEqual(a.view.reported);
    expect(b.view.version).toBe(a.view.version);
    expect(a.heads()).not.toEqual(b.heads());
    expect(a.cut(KEY)).toBe(true);
    expect(b.cut(KEY)).toBe(true);
    expect(a.heads()).toEqual(b.heads());
    expect(a.epoch).toBe(1);
    // Built directly from the state (aged-store bench), the base is the same change.
    const direct = ShadowDocument.fromBase("0c".repeat(16), KEY, 1, a.view, a.view.meta);
    expect(direct.heads()).toEqual(a.heads());
    expect(direct.view).toEqual(a.view);
    direct.free();
    // The base is a function of the shadow's key and epoch too.
    const c = reach("0c".repeat(16), [{ reported: { w: 7 } }]);
    const d = reach("0d".repeat(16), [{ reported: { w: 7 } }]);
    c.cut("pdu-2");
    d.cut(KEY);
    expect(c.heads()).not.toEqual(d.heads());
    for (const doc of [a, b, c, d]) doc.free();
  });

  it("keeps the view (state, version, metadata, value types) and drops the history", () => {
    const doc = reach("0a".repeat(16), [
      { reported: { w: 1, big: -(2 ** 62), s: "on", nested: { deep: { n: 1.5 } }, arr: [[1, 2], "x"] } },
      { desired: { fan: "auto" } },
      { reported: { w: 2 } },
    ]);
    const before = doc.view;
    expect(doc.changesSinceBase).toBe(3);
    expect(doc.cut(KEY)).toBe(true);
    expect(doc.view).toEqual(before);
    expect(doc.materialize()).toEqual(before);
    expect(doc.changesSinceBase).toBe(0);
    expect(doc.stats().changes).toBe(2); // the skeleton and the base
    // Local writes continue the version and the epoch's history.
    expect(doc.update({ reported: { w: 3 } }, 1_700_000_100)).toBe(true);
    expect(doc.view.version).toBe(4);
    expect(doc.materialize().version).toBe(4);
    expect(doc.changesSinceBase).toBe(1);
    // A loaded copy is the same document (the base is applied onto the skeleton like any change).
    const loaded = ShadowDocument.load("0e".repeat(16), doc.save(), [], doc.view.meta);
    expect(loaded.view).toEqual(doc.view);
    expect(loaded.epoch).toBe(1);
    expect(loaded.changesSinceBase).toBe(1);
    doc.free();
    loaded.free();
  });

  it("lets later changes made on the same base at two sites merge", () => {
    const steps = [{ reported: { w: 1 } }, { desired: { fan: "auto" } }];
    const a = reach("0a".repeat(16), steps);
    const b = ShadowDocument.load("0b".repeat(16), a.save(), [], a.view.meta);
    a.cut(KEY);
    b.cut(KEY);
    a.update({ reported: { w: 5 } }, 1_700_000_200);
    b.update({ desired: { fan: "off" } }, 1_700_000_201);
    a.applyRemote(b.changesSince(skeletonHeads()), 1_700_000_300);
    expect(a.view).toMatchObject({ version: 4, desired: { fan: "off" }, reported: { w: 5 } });
    expect(a.view.conflicts).toBeUndefined();
    // The peer gets epoch 1 whole (base + changes) when it never held the shadow.
    const fresh = ShadowDocument.create("0f".repeat(16));
    fresh.applyRemote(a.changesSince([]), 1_700_000_400);
    expect(fresh.heads()).toEqual(a.heads());
    expect(fresh.view.desired).toEqual(a.view.desired);
    expect(fresh.epoch).toBe(1);
    for (const doc of [a, b, fresh]) doc.free();
  });

  it("is refused while the view holds conflicts (a losing desired value must stay visible)", () => {
    const a = reach("0a".repeat(16), [{ desired: { fan: "auto" } }]);
    const b = ShadowDocument.load("0b".repeat(16), a.save(), []);
    a.update({ desired: { fan: "on" } }, 1_700_000_010);
    b.update({ desired: { fan: "off" } }, 1_700_000_011);
    receiveFrom(a, b);
    expect(a.view.conflicts).toBeDefined();
    const heads = a.heads();
    expect(a.cut(KEY)).toBe(false);
    expect(a.heads()).toEqual(heads);
    a.free();
    b.free();
  });

  it("derives its actor from the shadow key and the epoch", () => {
    expect(epochActor(KEY, 1)).toMatch(/^[0-9a-f]{32}$/);
    expect(epochActor(KEY, 1)).not.toBe(epochActor(KEY, 2));
    expect(epochActor(KEY, 1)).not.toBe(epochActor("pdu-2", 1));
  });
});

describe("ShadowStore epochs", () => {
  it("cuts at commit time: bounded snapshot and chunks, identical reload, version continues", () => {
    const h = freshStore({ compactAfterChunks: 64, epochAfterChanges: 10 });
    const a = addr("pdu-7");
    for (let i = 1; i <= 25; i++) update(h.store, a, { reported: { w: i, v: 230 + (i % 3) } });
    const e = h.store.open(a);
    expect(e.doc.epoch).toBe(2);
    expect(e.doc.changesSinceBase).toBe(5);
    expect(h.store.cuts).toBe(2);
    expect(chunkSizes(h.db, a)).toHaveLength(5);
    expect(shadowRow(h.db, a)).toMatchObject({ version: 25, chunk_count: 5 });
    const before = { view: e.doc.view, heads: e.doc.heads() };
    closeStore(h);
    const again = openStore(h.dir, { epochAfterChanges: 10 });
    const loaded = again.store.open(a);
    expect(loaded.doc.view).toEqual(before.view);
    expect(loaded.doc.heads()).toEqual(before.heads);
    expect(loaded.doc.epoch).toBe(2);
    for (let i = 26; i <= 30; i++) update(again.store, a, { reported: { w: i } });
    expect(loaded.doc.epoch).toBe(3);
    expect(chunkSizes(again.db, a)).toHaveLength(0);
    expect(shadowRow(again.db, a).version).toBe(30);
  });

  it("keeps a tombstone a tombstone across a cut; re-creating continues the version", () => {
    const h = freshStore({ epochAfterChanges: 3 });
    const a = addr("gone-1");
    update(h.store, a, { reported: { w: 1 } });
    update(h.store, a, { reported: { w: 2 } });
    remove(h.store, a); // third change: cut
    const e = h.store.open(a);
    expect(e.doc.epoch).toBe(1);
    expect(e.doc.view).toMatchObject({ exists: false, version: 3 });
    expect(h.store.countShadows()).toBe(0);
    update(h.store, a, { reported: { w: 3 } });
    expect(e.doc.view).toMatchObject({ exists: true, version: 4, reported: { w: 3 } });
  });

  it("never cuts a shadow the cut policy refuses (shared with a peer)", () => {
    const h = freshStore({ epochAfterChanges: 5 });
    h.store.setCutPolicy((x) => x.thing !== "shared-1");
    for (let i = 1; i <= 12; i++) {
      update(h.store, addr("shared-1"), { reported: { w: i } });
      update(h.store, addr("local-1"), { reported: { w: i } });
    }
    expect(h.store.open(addr("shared-1")).doc.epoch).toBe(0);
    expect(h.store.open(addr("shared-1")).doc.changesSinceBase).toBe(12);
    expect(h.store.open(addr("local-1")).doc.epoch).toBe(2);
  });

  it("opens a store written without epochs (full history) and cuts it on its next commit", () => {
    const h = freshStore({ epochAfterChanges: 0 });
    const a = addr("old-1");
    for (let i = 1; i <= 40; i++) update(h.store, a, { reported: { w: i }, desired: { n: i % 4 } });
    const before = h.store.open(a).doc.view;
    closeStore(h);
    const again = openStore(h.dir, { epochAfterChanges: 16 });
    const e = again.store.open(a);
    expect(e.doc.view).toEqual(before);
    expect(e.doc.epoch).toBe(0);
    expect(e.doc.changesSinceBase).toBe(40);
    update(again.store, a, { reported: { w: 41 } });
    expect(e.doc.epoch).toBe(1);
    expect(e.doc.view).toMatchObject({ version: 41, desired: before.desired, reported: { w: 41 } });
    closeStore(again);
    const third = openStore(h.dir);
    expect(third.store.open(a).doc.view).toMatchObject({ version: 41, reported: { w: 41 } });
  });
});
