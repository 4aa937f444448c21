import { describe, expect, it } from "vitest";
import { ShadowDocument } from "../../broker/shadow/shadow-doc.ts";
import { WasmHeadroom } from "../../broker/shadow/wasm-headroom.ts";

describe("WasmHeadroom", () => {
  it("tops up once per `everyChanges` committed changes", () => {
    const headroom = new WasmHeadroom(1024 * 1024, 100);
    headroom.afterChanges(60);
    expect(headroom.topUps).toBe(0);
    headroom.afterChanges(40);
    expect(headroom.topUps).toBe(1);
    headroom.afterChanges(99);
    expect(headroom.topUps).toBe(1);
    headroom.afterChanges(500); // a big batch counts once, the count starts over
    expect(headroom.topUps).toBe(2);
  });

  it("tops up once per `everyLoads` documents loaded, counted apart from changes", () => {
    const headroom = new WasmHeadroom(1024 * 1024, 100, 3);
    headroom.afterLoads(1);
    headroom.afterChanges(99);
    headroom.afterLoads(1);
    expect(headroom.topUps).toBe(0);
    headroom.afterLoads(1);
    expect(headroom.topUps).toBe(1);
  });

  it("a top-up leaves Automerge working (documents made before and after it stay usable)", () => {
    const before = ShadowDocument.create("3".repeat(32));
    before.update({ reported: { a: 1 } }, 1_700_000_000);
    new WasmHeadroom(4 * 1024 * 1024, 1).topUp();
    const after = ShadowDocument.create("4".repeat(32));
    after.update({ reported: { b: 2 } }, 1_700_000_000);
    before.update({ reported: { a: 2 } }, 1_700_000_001);
    expect(before.materialize()).toMatchObject({ version: 2, reported: { a: 2 } });
    expect(after.materialize()).toMatchObject({ version: 1, reported: { b: 2 } });
    before.free();
    after.free();
  });
});
