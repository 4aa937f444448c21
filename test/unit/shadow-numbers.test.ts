import { describe, expect, it } from "vitest";
import { ShadowDocument } from "../../broker/shadow/shadow-doc.ts";

/**
 * Automerge stores an integral JS number as int64: without care 1e300 comes back clamped to 2^63-1 and
 * as a BigInt (which JSON.stringify cannot even render). Every JSON number must survive the document.
 */
describe("numbers beyond the safe-integer range", () => {
  const state = {
    a: 9007199254740992,
    b: 1e300,
    c: { d: [1, 2e20, { e: -1e300 }], f: 3 },
    g: [4, 5],
    small: -9007199254740991,
    half: 0.5,
  };

  it("are kept exactly, in the view, the document and after a reload", () => {
    const doc = ShadowDocument.create("ab".repeat(16));
    doc.update({ reported: state }, 1);
    expect(doc.view.reported).toEqual(state);
    expect(doc.materialize().reported).toEqual(state);
    const loaded = ShadowDocument.load("cd".repeat(16), doc.save(), [], { desired: {}, reported: {} });
    expect(loaded.view.reported).toEqual(state);
    // No BigInt anywhere: a document must always render as JSON.
    expect(JSON.parse(JSON.stringify(loaded.view.reported))).toEqual(state);
    doc.free();
    loaded.free();
  });

  it("replace a small value at a leaf and inside a nested object", () => {
    const doc = ShadowDocument.create("ab".repeat(16));
    doc.update({ desired: { x: 1, y: { z: 2 } } }, 1);
    doc.update({ desired: { x: 1e100, y: { z: -2e30 } } }, 2);
    expect(doc.materialize().desired).toEqual({ x: 1e100, y: { z: -2e30 } });
    doc.free();
  });
});
