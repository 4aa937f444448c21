import { describe, expect, it } from "vitest";
import { ShadowDocument } from "../../broker/shadow/shadow-doc.ts";
import { renderShadow } from "../../shared/shadow-document.ts";

const EDGE = "e1".repeat(16);
const CORE = "c0".repeat(16);

describe("ShadowDocument: merging another site's changes", () => {
  it("stamps merged leaves with the writing change's time and keeps ours for untouched leaves", () => {
    const core = ShadowDocument.create(CORE, "core");
    core.update({ desired: { a: 1 } }, 100);
    const edge = ShadowDocument.create(EDGE, "edge");
    expect(edge.applyRemote(core.changesSince([]), 999)).toBe(true);
    expect(edge.view.meta.desired).toEqual({ a: 100 });
    edge.update({ desired: { b: 2 } }, 200);
    core.update({ desired: { c: 3 } }, 300);
    expect(edge.applyRemote(core.changesSince(edge.heads()), 999)).toBe(true);
    expect(edge.view.desired).toEqual({ a: 1, b: 2, c: 3 });
    expect(edge.view.meta.desired).toEqual({ a: 100, b: 200, c: 300 });
    // Applying the same changes again is a no-op.
    expect(edge.applyRemote(core.changesSince([]), 999)).toBe(false);
    expect(edge.view.version).toBe(3);
  });

  it("shows the losing value of a concurrent write with its site and time until the key is rewritten", () => {
    const core = ShadowDocument.create(CORE, "core");
    core.update({ desired: { mode: "idle", nested: { x: 1 } } }, 100);
    const edge = ShadowDocument.create(EDGE, "edge");
    edge.applyRemote(core.changesSince([]));
    edge.update({ desired: { mode: "edge", nested: { x: 2 } } }, 200);
    core.update({ desired: { mode: "core", nested: { x: 3 } } }, 300);
    const fromEdge = edge.changesSince(core.heads());
    edge.applyRemote(core.changesSince(edge.heads()));
    core.applyRemote(fromEdge);
    expect(core.heads()).toEqual(edge.heads());
    expect(core.view.desired).toEqual(edge.view.desired);
    expect(core.view.conflicts).toEqual(edge.view.conflicts);
    // Same-counter ops: the higher actor id wins (Automerge's rule), here the edge's.
    expect(core.view.desired).toEqual({ mode: "edge", nested: { x: 2 } });
    // Each losing value names its writer and the writer of the value that won (both sites).
    const edgeWon = { site: "edge", actor: EDGE, timestamp: 200 };
    expect(core.view.conflicts?.desired).toEqual({
      mode: [{ value: "core", site: "core", actor: CORE, timestamp: 300, winner: edgeWon }],
      nested: { x: [{ value: 3, site: "core", actor: CORE, timestamp: 300, winner: edgeWon }] },
    });
    expect(renderShadow(core.view, 0).conflicts).toEqual(core.view.conflicts);
    core.update({ desired: { mode: "settled" } }, 400);
    expect(core.view.conflicts?.desired).toEqual({
      nested: { x: [{ value: 3, site: "core", actor: CORE, timestamp: 300, winner: edgeWon }] },
    });
    core.update({ desired: { nested: { x: 9 } } }, 500);
    expect(core.view.conflicts).toBeUndefined();
    // A reload from disk finds the same conflicts.
    const reloaded = ShadowDocument.load(EDGE, edge.save(), [], edge.view.meta, "edge");
    expect(reloaded.view.conflicts).toEqual(edge.view.conflicts);
  });
});
