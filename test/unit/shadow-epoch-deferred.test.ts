import { afterEach, describe, expect, it } from "vitest";
import { BatchWriter } from "../../broker/shadow/commit-batch.ts";
import type { ShadowEntry, ShadowStore } from "../../broker/shadow/shadow-store.ts";
import type { Db } from "../../broker/store/database.ts";
import {
  addr,
  chunkSizes,
  closeAllStores,
  closeStore,
  freshStore,
  openStore,
  shadowRow,
} from "../helpers/shadow-store-fixture.ts";

afterEach(closeAllStores);

/** The commit worker's path, on this thread: prepare, write the batch's SQL, settle. */
function commitPrepared(store: ShadowStore, db: Db, entries: ShadowEntry[]): void {
  const prepared = store.prepare(entries);
  new BatchWriter(db, () => undefined).write(prepared.batch);
  store.settle(prepared);
}

function step(store: ShadowStore, db: Db, thing: string, w: number): ShadowEntry {
  const entry = store.open(addr(thing));
  expect(entry.doc.update({ reported: { w, v: 230 } }, 1_700_000_000 + w)).toBe(true);
  store.stage(entry);
  commitPrepared(store, db, [entry]);
  return entry;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("local cuts with a commit writer (ShadowStore.prepare)", () => {
  it("are made on the turn after the batch and written by the entry's next commit", async () => {
    const h = freshStore({ compactAfterChunks: 64, epochAfterChanges: 5 });
    let entry: ShadowEntry | undefined;
    for (let w = 1; w <= 5; w++) entry = step(h.store, h.db, "pdu-1", w);
    const e = entry as ShadowEntry;
    // Due at the fifth commit, but not made on its path: the batch holds the fifth change as a chunk.
    expect(e.doc.epoch).toBe(0);
    expect(chunkSizes(h.db, addr("pdu-1"))).toHaveLength(4);
    await nextTurn();
    expect(e.doc.epoch).toBe(1);
    expect(e.doc.changesSinceBase).toBe(0);
    expect(h.store.cuts).toBe(1);
    const view = e.doc.view;
    // Until the next commit the disk holds the old history, which holds every committed change.
    const other = openStore(h.dir, { epochAfterChanges: 0 });
    expect(other.store.open(addr("pdu-1")).doc.view).toEqual(view);
    expect(other.store.open(addr("pdu-1")).doc.epoch).toBe(0);
    closeStore(other);
    step(h.store, h.db, "pdu-1", 6);
    expect(chunkSizes(h.db, addr("pdu-1"))).toHaveLength(0);
    expect(shadowRow(h.db, addr("pdu-1"))).toMatchObject({ version: 6, chunk_count: 0 });
    const after = { view: e.doc.view, heads: e.doc.heads() };
    closeStore(h);
    const again = openStore(h.dir, { epochAfterChanges: 5 });
    const loaded = again.store.open(addr("pdu-1"));
    expect(loaded.doc.epoch).toBe(1);
    expect(loaded.doc.view).toEqual(after.view);
    expect(loaded.doc.heads()).toEqual(after.heads);
  });

  it("skips a queued cut whose entry left the cache (a failed batch) or may no longer be cut", async () => {
    const h = freshStore({ compactAfterChunks: 64, epochAfterChanges: 3 });
    for (let w = 1; w <= 3; w++) {
      step(h.store, h.db, "gone-1", w);
      step(h.store, h.db, "shared-1", w);
    }
    h.store.discard([h.store.open(addr("gone-1"))]);
    h.store.setCutPolicy((a) => a.thing !== "shared-1");
    await nextTurn();
    expect(h.store.cuts).toBe(0);
    expect(h.store.open(addr("shared-1")).doc.epoch).toBe(0);
    // Reloaded from disk with its whole history; cut again when due.
    const gone = step(h.store, h.db, "gone-1", 4);
    expect(gone.doc.view).toMatchObject({ version: 4, reported: { w: 4 } });
    await nextTurn();
    expect(gone.doc.epoch).toBe(1);
  });
});
