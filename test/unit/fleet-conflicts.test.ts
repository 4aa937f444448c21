import { describe, expect, it } from "vitest";
import { ShadowDocument } from "../../broker/shadow/shadow-doc.ts";
import { compileQuery, parseQuery } from "../../shared/query/index.ts";
import { rewriteConflicted } from "../../shared/shadow-conflict-rewrite.ts";

const EDGE = "e1".repeat(16);
const CORE = "c0".repeat(16);

/** Two sites write `desired.mode` concurrently; after both merge, the core holds a conflict. */
function conflicted(): ShadowDocument {
  const core = ShadowDocument.create(CORE, "core");
  core.update({ desired: { mode: "idle", fan: 1 } }, 100);
  const edge = ShadowDocument.create(EDGE, "edge");
  edge.applyRemote(core.changesSince([]));
  edge.update({ desired: { mode: "edge" } }, 200);
  core.update({ desired: { mode: "core" } }, 300);
  core.applyRemote(edge.changesSince(core.heads()));
  return core;
}

describe("conflicts as a fleet view", () => {
  it("plans a set only for conflicted scalar paths the patch writes and the plan leaves out", () => {
    const marks = { mode: [{ value: "x" }], nested: { a: [{ value: 1 }] }, obj: [{ value: 2 }] };
    expect(rewriteConflicted(marks, { mode: "edge", other: 1, nested: { a: 5 }, obj: { k: 1 } }, [])).toEqual(
      [
        { kind: "set", path: ["mode"], value: "edge" },
        { kind: "set", path: ["nested", "a"], value: 5 },
      ],
    );
    expect(rewriteConflicted(marks, { mode: "y" }, [{ kind: "set", path: ["mode"], value: "y" }])).toEqual(
      [],
    );
    expect(rewriteConflicted(undefined, { mode: "y" }, [])).toEqual([]);
  });

  it("rewriting the winning value clears the conflict (it used to be a no-op)", () => {
    const doc = conflicted();
    const winner = doc.view.desired.mode as string;
    const q = compileQuery(parseQuery("shadow.hasConflicts:true AND conflicts >= 1"));
    const record = () => ({ thing: "t", attributes: {}, shadows: { "": doc.view }, systems: [] });
    expect(doc.view.conflicts?.desired).toMatchObject({ mode: [{ site: expect.any(String) }] });
    expect(q(record())).toBe(true);
    const version = doc.view.version;
    expect(doc.update({ desired: { mode: winner } }, 400)).toBe(true);
    expect(doc.view.conflicts).toBeUndefined();
    expect(doc.view.desired.mode).toBe(winner);
    expect(doc.view.version).toBe(version + 1);
    expect(q(record())).toBe(false);
    // Without a conflict, the same write is a no-op again (identical reports create no change).
    expect(doc.update({ desired: { mode: winner } }, 500)).toBe(false);
    doc.free();
  });
});
