import * as A from "@automerge/automerge";
import { afterEach, describe, expect, it } from "vitest";
import { newActorId, ShadowDocument, skeletonHeads } from "../../broker/shadow/shadow-doc.ts";
import { copyAs, receiveFrom } from "../helpers/shadow-sites.ts";

const T0 = 1_700_000_000;
const docs: ShadowDocument[] = [];

function create(actor = newActorId()): ShadowDocument {
  const doc = ShadowDocument.create(actor);
  docs.push(doc);
  return doc;
}

afterEach(() => {
  for (const d of docs.splice(0)) d.free();
});

/** The actors that authored a document's changes, read back from its saved bytes. */
function authors(doc: ShadowDocument): string[] {
  const loaded = A.load(doc.save());
  const actors = A.getAllChanges(loaded).map((c) => A.decodeChange(c).actor);
  A.free(loaded);
  return [...new Set(actors)].sort();
}

describe("ShadowDocument", () => {
  it("two docs created independently at different actors share the same heads", () => {
    const [actorA, actorB] = [newActorId(), newActorId()];
    const a = create(actorA);
    const b = create(actorB);
    expect(actorA).not.toBe(actorB);
    expect(a.heads()).toEqual(b.heads());
    expect(a.heads()).toEqual(skeletonHeads());
    // After one edit each, the heads differ and each change carries its own actor.
    a.update({ reported: { x: 1 } }, T0);
    b.update({ reported: { x: 1 } }, T0);
    expect(a.heads()).not.toEqual(b.heads());
    expect(authors(a)).toEqual(["0".repeat(32), actorA].sort());
    expect(authors(b)).toEqual(["0".repeat(32), actorB].sort());
  });

  it("merges concurrent desired writes of different keys at two actors to both keys", () => {
    const a = create();
    const b = create();
    expect(a.update({ desired: { fan: "auto" } }, T0)).toBe(true);
    expect(b.update({ desired: { power: "on" } }, T0 + 1)).toBe(true);
    const ba = copyAs(b, newActorId());
    docs.push(ba);
    receiveFrom(a, b);
    receiveFrom(ba, a);
    expect(a.view.desired).toEqual({ fan: "auto", power: "on" });
    expect(a.view).toMatchObject({ exists: true, version: 2 }); // the counter adds both increments
    expect(Object.keys(a.view.meta.desired).sort()).toEqual(["fan", "power"]);
    expect(a.view).toEqual(a.materialize());
    // The other direction converges to the same state and the same heads.
    expect(ba.view).toEqual(a.view);
    expect([...ba.heads()].sort()).toEqual([...a.heads()].sort());
  });

  it("merges different keys inside a nested object both sides already share", () => {
    const base = create();
    base.update({ desired: { fans: { f1: 10 } } }, T0);
    const a = copyAs(base, newActorId());
    const b = copyAs(base, newActorId());
    docs.push(a, b);
    a.update({ desired: { fans: { f2: 20 } } }, T0 + 1);
    b.update({ desired: { fans: { f3: 30 } } }, T0 + 1);
    receiveFrom(a, b);
    expect(a.view.desired).toEqual({ fans: { f1: 10, f2: 20, f3: 30 } });
    expect(a.view.version).toBe(3);
  });

  it("a nested object created concurrently at both actors converges to one side's object", () => {
    // Two new maps at the same key are a conflict on that key, not a key-by-key merge (Automerge
    // semantics). Both sites must still pick the same winner.
    const a = create();
    const b = create();
    a.update({ desired: { nested: { x: 1 } } }, T0);
    b.update({ desired: { nested: { y: 2 } } }, T0);
    const b2 = copyAs(b, newActorId());
    docs.push(b2);
    receiveFrom(a, b);
    receiveFrom(b2, a);
    expect(a.view).toEqual(b2.view);
    expect([{ x: 1 }, { y: 2 }]).toContainEqual(a.view.desired.nested);
  });

  it("an update that changes nothing returns changed:false and creates no change", () => {
    const doc = create();
    expect(doc.update({ reported: { temp: 21, mode: "eco" } }, T0)).toBe(true);
    const heads = doc.heads();
    const before = doc.stats();
    const same = doc.prepare({ reported: { temp: 21, mode: "eco" } });
    expect(same.changed).toBe(false);
    expect(doc.apply(same, T0 + 5)).toBe(false);
    expect(doc.update({ reported: { mode: "eco" } }, T0 + 6)).toBe(false); // a subset of the state
    expect(doc.update({ reported: { nothere: null } }, T0 + 7)).toBe(false); // deleting an absent key
    expect(doc.update({}, T0 + 8)).toBe(false);
    expect(doc.heads()).toEqual(heads);
    expect(doc.stats()).toEqual(before);
    expect(doc.view.version).toBe(1);
    expect(doc.update({ reported: { temp: 22 } }, T0 + 9)).toBe(true);
    expect(doc.view.version).toBe(2);
  });

  it("the first update of a new shadow is a change even when it sets nothing", () => {
    const doc = create();
    expect(doc.update({ reported: {} }, T0)).toBe(true);
    expect(doc.view).toMatchObject({ exists: true, version: 1, reported: {} });
  });

  it("stores strings as immutable scalars: a 200-character string costs O(1) ops", () => {
    const short = create();
    const long = create();
    const baseOps = short.stats().ops;
    short.update({ reported: { label: "x" } }, T0);
    long.update({ reported: { label: "y".repeat(200) } }, T0);
    const shortOps = short.stats().ops;
    const longOps = long.stats().ops;
    console.log(
      `[shadow-doc] ops: skeleton ${baseOps}, 1-char string update ${shortOps}, 200-char ${longOps}`,
    );
    // Collaborative text would add one op per character (200+); an immutable string adds none.
    expect(longOps).toBe(shortOps);
    expect(longOps - baseOps).toBeLessThan(10);
    expect(long.view.reported).toEqual({ label: "y".repeat(200) });
    expect(long.materialize()).toEqual(long.view);
    // Replacing the string is again O(1) ops, not a text diff.
    long.update({ reported: { label: "z".repeat(200) } }, T0 + 1);
    expect(long.stats().ops - longOps).toBeLessThan(10);
  });

  it("delete leaves a tombstone and the version continues", () => {
    const doc = create();
    doc.update({ desired: { a: 1 }, reported: { b: { c: "x" } } }, T0);
    doc.update({ reported: { b: { d: 2 } } }, T0 + 1);
    expect(doc.view.version).toBe(2);
    doc.delete(T0 + 10);
    const tombstone = {
      exists: false,
      version: 3,
      desired: {},
      reported: {},
      meta: { desired: {}, reported: {} },
    };
    expect(doc.view).toEqual(tombstone);
    expect(doc.materialize()).toEqual(tombstone);
    // Re-creating starts from the tombstone: the version continues and old keys stay gone.
    doc.update({ reported: { fresh: true } }, T0 + 20);
    expect(doc.view).toMatchObject({ exists: true, version: 4, desired: {}, reported: { fresh: true } });
    expect(doc.materialize()).toEqual(doc.view);
  });

  it("reloads from a snapshot plus incremental chunks to the same document", () => {
    const doc = create();
    doc.update({ desired: { v: 1 }, reported: { s: "text" } }, T0);
    const snapshot = doc.save();
    const chunks: Uint8Array[] = [];
    for (let i = 2; i <= 4; i++) {
      const heads = doc.heads();
      doc.update({ desired: { v: i } }, T0 + i);
      chunks.push(doc.saveSince(heads));
    }
    // Metadata is stored beside the document (shadows.meta), so it is handed to load.
    const loaded = ShadowDocument.load(newActorId(), snapshot, chunks, doc.view.meta);
    docs.push(loaded);
    expect(loaded.view).toEqual(doc.view);
    expect(loaded.heads()).toEqual(doc.heads());
  });
});
