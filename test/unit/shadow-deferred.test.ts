import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { parseDeferred } from "../../broker/shadow/deferred-state.ts";
import { ShadowDocument } from "../../broker/shadow/shadow-doc.ts";
import { MAX_FOLDS_PER_BATCH } from "../../broker/shadow/shadow-store.ts";
import type { JsonValue } from "../../shared/json.ts";
import { patchArbitrary } from "../helpers/json-arbitraries.ts";
import { copyAs, receiveFrom } from "../helpers/shadow-sites.ts";
import {
  addr,
  chunkSizes,
  closeAllStores,
  closeStore,
  freshStore,
  openStore,
  shadowRow,
} from "../helpers/shadow-store-fixture.ts";

/**
 * Deferred changes (docs/shadow-engine.md): local updates of an unshared shadow change the view at once
 * and reach the Automerge document later, folded into one change. Whatever the order of updates, folds,
 * deletes, merges and cuts, the deferred document must show exactly what a document written change by
 * change shows, and its saved form (document + deferred state) must bring back the same view.
 */

const RUNS = Number(process.env.UMBRA_PROPERTY_RUNS ?? 60);
const SEED = Number(process.env.UMBRA_PROPERTY_SEED ?? 20261207);

const key = fc.constantFrom("a", "b", "power", "fan");
const scalar: fc.Arbitrary<JsonValue> = fc.oneof(
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom("on", "off"),
  fc.boolean(),
  fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 2 }),
);
const patch = patchArbitrary(key, scalar);
const step = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("update" as const),
      section: fc.constantFrom("desired", "reported"),
      patch,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("clear" as const),
      section: fc.constantFrom("desired", "reported"),
    }),
  },
  { weight: 2, arbitrary: fc.constant({ kind: "fold" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "delete" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "cut" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "reload" as const }) },
);

const sections = (d: ShadowDocument) => {
  const { exists, version, desired, reported } = d.view;
  return { exists, version, desired, reported };
};

describe("deferred changes", () => {
  afterEach(() => closeAllStores());

  it("a deferred document shows what one written change by change shows, through folds, cuts and reloads", () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), (steps) => {
        const eager = ShadowDocument.create("e1".repeat(16));
        let lazy = ShadowDocument.create("d1".repeat(16));
        steps.forEach((s, i) => {
          const ts = 1000 + i;
          if (s.kind === "fold") lazy.fold();
          else if (s.kind === "cut") {
            expect(lazy.cut("pdu-1/")).toBe(true);
            expect(lazy.deferredCount).toBe(0);
          } else if (s.kind === "reload") {
            const state = lazy.deferredState();
            const again = ShadowDocument.load(
              "d2".repeat(16),
              lazy.save(),
              [],
              lazy.view.meta,
              undefined,
              state,
            );
            expect(again.view).toEqual(lazy.view);
            expect(again.deferredCount).toBe(lazy.deferredCount);
            lazy.free();
            lazy = again;
          } else if (s.kind === "delete") {
            if (eager.view.exists) eager.delete(ts);
            if (lazy.view.exists) lazy.delete(ts);
            expect(lazy.deferredCount).toBe(0);
          } else {
            const edits = { [s.section]: s.kind === "clear" ? null : s.patch };
            const changed = eager.update(edits, ts);
            expect(lazy.apply(lazy.prepare(edits), ts, true)).toBe(changed);
          }
          expect(sections(lazy)).toEqual(sections(eager));
          expect(lazy.view.meta).toEqual(eager.view.meta);
          if (lazy.deferredCount === 0) expect(lazy.materialize()).toEqual(lazy.view);
        });
        lazy.fold();
        expect(lazy.materialize()).toEqual(lazy.view);
        expect(sections(lazy)).toEqual(sections(eager));
        eager.free();
        lazy.free();
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it("another site receiving the folded change converges with one that received every change", () => {
    fc.assert(
      fc.property(fc.array(patch, { minLength: 1, maxLength: 12 }), (patches) => {
        const eager = ShadowDocument.create("e1".repeat(16));
        const lazy = ShadowDocument.create("d1".repeat(16));
        eager.update({ reported: { on: true } }, 999);
        lazy.update({ reported: { on: true } }, 999);
        const peerOfEager = copyAs(eager, "f1".repeat(16));
        const peerOfLazy = copyAs(lazy, "f2".repeat(16));
        patches.forEach((p, i) => {
          eager.update({ reported: p }, 1000 + i);
          lazy.apply(lazy.prepare({ reported: p }), 1000 + i, true);
        });
        // Nothing of the deferred updates is in the document's changes until they are folded.
        expect(lazy.changesSince(peerOfLazy.heads())).toEqual([]);
        lazy.fold();
        receiveFrom(peerOfEager, eager);
        receiveFrom(peerOfLazy, lazy);
        expect(sections(peerOfLazy)).toEqual(sections(peerOfEager));
        expect(sections(peerOfLazy)).toEqual(sections(lazy));
        for (const d of [eager, lazy, peerOfEager, peerOfLazy]) d.free();
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it("a remote merge and an adopted document fold the deferred updates first, so none is lost", () => {
    const a = ShadowDocument.create("a1".repeat(16), "site-a");
    a.update({ desired: { mode: "auto" } }, 1000);
    const b = copyAs(a, "b1".repeat(16));
    a.apply(a.prepare({ reported: { w: 5 } }), 1001, true);
    a.apply(a.prepare({ reported: { va: 7 } }), 1002, true);
    b.update({ desired: { mode: "eco" } }, 1003);
    expect(receiveFrom(a, b)).toBe(true);
    expect(a.deferredCount).toBe(0);
    expect(a.view).toMatchObject({ version: 4, reported: { w: 5, va: 7 } });
    receiveFrom(b, a);
    expect(b.view.reported).toEqual({ w: 5, va: 7 });
    expect(b.view.version).toBe(4);
    a.free();
    b.free();
  });

  it("a new shadow, a conflicted one and a delete are never deferred", () => {
    const doc = ShadowDocument.create("a1".repeat(16));
    expect(doc.apply(doc.prepare({ reported: { w: 1 } }), 1000, true)).toBe(true);
    expect(doc.deferredCount).toBe(0); // the creation is a change of its own
    doc.apply(doc.prepare({ reported: { w: 2 } }), 1001, true);
    expect(doc.deferredCount).toBe(1);
    doc.delete(1002);
    expect(doc.deferredCount).toBe(0);
    expect(doc.materialize()).toEqual(doc.view);
    expect(doc.view).toMatchObject({ exists: false, version: 3 });
    doc.free();
  });

  it("the stored state is checked before it is used", () => {
    expect(parseDeferred('{"v":5,"n":2,"t":1,"d":{},"r":{"w":1}}')).toEqual({
      v: 5,
      n: 2,
      t: 1,
      d: {},
      r: { w: 1 },
    });
    for (const bad of [
      "",
      "null",
      "[]",
      '{"v":5,"n":0,"t":1,"d":{},"r":{}}',
      '{"v":5,"n":2,"t":1,"d":[],"r":{}}',
      "{",
    ])
      expect(parseDeferred(bad)).toBeUndefined();
    // A state that does not continue the document's version is ignored (the document alone is the shadow).
    const doc = ShadowDocument.create("a1".repeat(16));
    doc.update({ reported: { w: 1 } }, 1000);
    const wrong = JSON.stringify({ v: 9, n: 2, t: 1, d: {}, r: { w: 3 } });
    const loaded = ShadowDocument.load("a2".repeat(16), doc.save(), [], doc.view.meta, undefined, wrong);
    expect(loaded.view).toEqual(doc.view);
    doc.free();
    loaded.free();
  });
});

describe("deferred changes in the store", () => {
  afterEach(() => closeAllStores());

  it("writes deferred updates beside the document, folds every `deferUpdates`, and restores them on load", () => {
    const h = freshStore({ deferUpdates: 4, epochAfterChanges: 0 });
    const a = addr("pdu-1");
    const write = (w: number) => {
      const entry = h.store.open(a);
      expect(h.store.apply(entry, entry.doc.prepare({ reported: { w } }), 1_700_000_000 + w)).toBe(true);
      h.store.stage(entry);
      h.store.commit([entry]);
      h.store.markCommitted([entry]);
      return entry;
    };
    write(1); // the creation: the first row
    for (let w = 2; w <= 4; w++) write(w);
    // Three deferred updates: no chunk, the row holds the view's version and the deferred state.
    expect(chunkSizes(h.db, a)).toEqual([]);
    expect(shadowRow(h.db, a).version).toBe(4);
    const row = () =>
      h.db.prepare("SELECT deferred FROM shadows WHERE thing = ?").get("pdu-1") as {
        deferred: string | null;
      };
    expect(parseDeferred(row().deferred ?? "")).toMatchObject({ v: 4, n: 3, r: { w: 4 } });
    write(5); // the fourth deferred update: folded into one change at this commit
    expect(chunkSizes(h.db, a)).toHaveLength(1);
    expect(row().deferred).toBeNull();
    write(6);
    write(7);
    const view = h.store.open(a).doc.view;
    closeStore(h);
    const again = openStore(h.dir, { deferUpdates: 4 });
    const entry = again.store.open(a);
    expect(entry.doc.view).toEqual(view);
    expect(entry.doc.deferredCount).toBe(2);
    entry.doc.fold();
    expect(entry.doc.materialize()).toEqual(view);
  });

  it("folds at most MAX_FOLDS_PER_BATCH shadows per batch; the rest stay deferred until a later one", () => {
    const h = freshStore({ deferUpdates: 2, epochAfterChanges: 0 });
    const n = MAX_FOLDS_PER_BATCH + 4;
    const entries = Array.from({ length: n }, (_, i) => {
      const entry = h.store.open(addr(`pdu-${i}`));
      for (let w = 1; w <= 3; w++) h.store.apply(entry, entry.doc.prepare({ reported: { w } }), 1000 + w);
      return entry;
    });
    const commit = () => {
      for (const e of entries) h.store.stage(e);
      h.store.commit(entries);
      h.store.markCommitted(entries);
    };
    commit(); // every shadow has 2 deferred updates: only the first MAX_FOLDS_PER_BATCH are folded
    const waiting = () => entries.filter((e) => e.doc.deferredCount > 0).length;
    expect(waiting()).toBe(4);
    commit();
    expect(waiting()).toBe(0);
    for (const e of entries) expect(e.doc.materialize()).toEqual(e.doc.view);
  });

  it("defers only what the cut policy says no other site holds", () => {
    const h = freshStore({ deferUpdates: 8 });
    h.store.setCutPolicy((x) => (x.thing === "local-1" ? true : "agreed"));
    for (const thing of ["local-1", "shared-1"]) {
      const entry = h.store.open(addr(thing));
      for (let w = 1; w <= 3; w++) h.store.apply(entry, entry.doc.prepare({ reported: { w } }), 1000 + w);
    }
    expect(h.store.open(addr("local-1")).doc.deferredCount).toBe(2);
    expect(h.store.open(addr("shared-1")).doc.deferredCount).toBe(0);
    // A shadow with deferred updates is never cut by agreement (its peers do not hold them).
    expect(h.store.cutReady(h.store.open(addr("local-1")))).toBe(false);
  });
});
