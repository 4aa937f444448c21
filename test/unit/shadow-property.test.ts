import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ShadowDocument } from "../../broker/shadow/shadow-doc.ts";
import type { JsonObject, JsonValue } from "../../shared/json.ts";
import { pruneEmpty } from "../../shared/json.ts";
import { applyPatchOps, planPatch } from "../../shared/shadow-patch.ts";
import { patchArbitrary } from "../helpers/json-arbitraries.ts";
import { copyAs, receiveFrom } from "../helpers/shadow-sites.ts";

/** Property runs: small in `npm test`, larger with `npm run test:property`. */
const RUNS = Number(process.env.UMBRA_PROPERTY_RUNS ?? 60);
const SEED = Number(process.env.UMBRA_PROPERTY_SEED ?? 20261122);

const key = fc.constantFrom("a", "b", "c", "power", "fan");
const scalar: fc.Arbitrary<JsonValue> = fc.oneof(
  fc.integer({ min: -5, max: 5 }),
  fc.constantFrom("on", "off", ""),
  fc.boolean(),
  fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }),
);
const patch = patchArbitrary(key, scalar);
const op = fc.oneof(
  fc.record({ kind: fc.constant("update" as const), section: fc.constantFrom("desired", "reported"), patch }),
  fc.record({ kind: fc.constant("clear" as const), section: fc.constantFrom("desired", "reported") }),
  fc.record({ kind: fc.constant("delete" as const) }),
);
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

interface Model {
  exists: boolean;
  version: number;
  desired: JsonObject;
  reported: JsonObject;
}

function applyToDoc(doc: ShadowDocument, o: Op, ts: number): void {
  if (o.kind === "delete") {
    if (doc.view.exists) doc.delete(ts);
    return;
  }
  doc.update({ [o.section]: o.kind === "clear" ? null : o.patch }, ts);
}

function applyToModel(m: Model, o: Op): Model {
  if (o.kind === "delete") {
    return m.exists ? { exists: false, version: m.version + 1, desired: {}, reported: {} } : m;
  }
  const current = m[o.section];
  const ops = planPatch(current, o.kind === "clear" ? null : o.patch);
  if (m.exists && ops.length === 0) return m;
  return { ...m, exists: true, version: m.version + 1, [o.section]: applyPatchOps(current, ops) };
}

const visible = (v: JsonObject) => pruneEmpty(v) ?? {};

describe("shadow document properties", () => {
  it("the Automerge document follows the reference model, and survives save/load", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 25 }), (ops) => {
        const doc = ShadowDocument.create("aa".repeat(16));
        let model: Model = { exists: false, version: 0, desired: {}, reported: {} };
        ops.forEach((o, i) => {
          applyToDoc(doc, o, 1000 + i);
          model = applyToModel(model, o);
          const view = doc.view;
          // The view kept in JS is exactly what the document holds.
          expect(doc.materialize()).toEqual(view);
          expect(view.exists).toBe(model.exists);
          expect(view.version).toBe(model.version);
          expect(visible(view.desired)).toEqual(visible(model.desired));
          expect(visible(view.reported)).toEqual(visible(model.reported));
        });
        const reloaded = ShadowDocument.load("bb".repeat(16), doc.save(), [], doc.view.meta);
        expect(reloaded.view).toEqual(doc.view);
        reloaded.free();
        doc.free();
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it("two sites editing concurrently converge to the same heads and state", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 10 }), fc.array(op, { maxLength: 10 }), (opsA, opsB) => {
        const a = ShadowDocument.create("a1".repeat(16));
        const b = ShadowDocument.create("b2".repeat(16));
        for (const [i, o] of opsA.entries()) applyToDoc(a, o, 2000 + i);
        for (const [i, o] of opsB.entries()) applyToDoc(b, o, 3000 + i);
        const changes = a.view.version + b.view.version;
        const ab = copyAs(a, "a1".repeat(16));
        receiveFrom(ab, b);
        const ba = copyAs(b, "b2".repeat(16));
        receiveFrom(ba, a);
        expect([...ab.heads()].sort()).toEqual([...ba.heads()].sort());
        expect(ab.view).toEqual(ba.view);
        // The counter sums increments from both sites: converged sites agree on the version.
        expect(ab.view.version).toBe(changes);
        for (const d of [a, b, ab, ba]) d.free();
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});
