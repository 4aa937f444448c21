import { afterEach, describe, expect, it } from "vitest";
import type { ShadowEntry } from "../../broker/shadow/shadow-store.ts";
import { startTestNode } from "../helpers/node.ts";
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

describe("ShadowStore on a real SQLite file", () => {
  it("creates, commits, and reloads the same view from disk", () => {
    const h = freshStore();
    const a = addr("lamp-1");
    const fresh = h.store.open(a);
    expect(fresh.doc.view.exists).toBe(false);
    expect(h.store.countShadows()).toBe(0); // opening writes nothing
    update(h.store, a, { desired: { power: "on" }, reported: { power: "off", temp: 21.5 } });
    const e = update(h.store, a, { reported: { power: "on", fw: { major: 1, minor: 2 } } });
    expect(e.doc.view).toMatchObject({ exists: true, version: 2, desired: { power: "on" } });
    const before = { view: e.doc.view, heads: e.doc.heads() };
    expect(shadowRow(h.db, a)).toMatchObject({ version: 2, deleted: 0, chunk_count: 1 });
    closeStore(h);

    const again = openStore(h.dir);
    const loaded = again.store.open(a);
    expect(loaded.doc.view).toEqual(before.view);
    expect(loaded.doc.heads()).toEqual(before.heads);
    expect(again.store.countShadows()).toBe(1);
  });

  it("writes small incremental chunks, also for the first save after a load", () => {
    const h = freshStore({ compactAfterChunks: 1000, epochAfterChanges: 0 }); // history kept: see shadow-epoch
    const a = addr("meter-1");
    // Random notes keep Automerge's columnar compression from shrinking the full save to near nothing.
    const notes = Array.from({ length: 200 }, () => `${crypto.randomUUID()}${crypto.randomUUID()}`);
    for (let i = 1; i <= 200; i++)
      update(h.store, a, { reported: { seq: i, watts: 100 + i, note: notes[i - 1] ?? "" } });
    const full = h.store.open(a).doc.save().byteLength;
    const sizes = chunkSizes(h.db, a);
    expect(sizes).toHaveLength(199);
    closeStore(h);

    const again = openStore(h.dir, { compactAfterChunks: 1000, epochAfterChanges: 0 });
    update(again.store, a, { reported: { seq: 201 } });
    const afterLoad = chunkSizes(again.db, a);
    const firstAfterLoad = afterLoad[afterLoad.length - 1] ?? Number.NaN;
    console.log(
      `[shadow-store] full save ${full} B after 200 changes; chunks ${Math.min(...sizes)}-${Math.max(...sizes)} B; first chunk after reload ${firstAfterLoad} B`,
    );
    expect(afterLoad).toHaveLength(200);
    expect(Math.max(...sizes)).toBeLessThan(full / 20);
    // A reload must not make the next chunk carry the history: it is as small as any other chunk.
    expect(firstAfterLoad).toBeLessThan(full / 20);
    expect(firstAfterLoad).toBeLessThanOrEqual(Math.max(...sizes));
    expect(shadowRow(again.db, a)).toMatchObject({ version: 201, chunk_count: 200 });
    expect(shadowRow(again.db, a).chunk_bytes).toBe(afterLoad.reduce((s, n) => s + n, 0));
    closeStore(again);

    const third = openStore(h.dir);
    expect(third.store.open(a).doc.view.reported).toEqual({ seq: 201, watts: 300, note: notes[199] });
  });

  it("compacts after compactAfterChunks chunks: rewrites the snapshot, drops chunks, reloads identically", () => {
    const h = freshStore({ compactAfterChunks: 5 });
    const a = addr("ups-1", "battery");
    update(h.store, a, { reported: { charge: 0 } }); // first write: the snapshot row
    for (let i = 1; i <= 4; i++) update(h.store, a, { reported: { charge: i } });
    expect(chunkSizes(h.db, a)).toHaveLength(4);
    const beforeSnap = shadowRow(h.db, a).snap;
    const e = update(h.store, a, { reported: { charge: 5 } }); // the 5th chunk is written as a snapshot
    expect(chunkSizes(h.db, a)).toHaveLength(0);
    const row = shadowRow(h.db, a);
    expect(row).toMatchObject({ version: 6, chunk_count: 0, chunk_bytes: 0 });
    expect(row.snap).toBeGreaterThan(beforeSnap);
    expect(row.snap).toBe(e.doc.save().byteLength);
    const before = { view: e.doc.view, heads: e.doc.heads() };
    update(h.store, a, { reported: { charge: 6 } }); // and chunking starts again after compaction
    expect(chunkSizes(h.db, a)).toHaveLength(1);
    closeStore(h);

    const again = openStore(h.dir, { compactAfterChunks: 5 });
    const loaded = again.store.open(a);
    expect(loaded.doc.view).toEqual({
      ...before.view,
      version: 7,
      reported: { charge: 6 },
      meta: loaded.doc.view.meta,
    });
    expect(loaded.chunkCount).toBe(1);
    for (let i = 7; i <= 10; i++) update(again.store, a, { reported: { charge: i } }); // chunk count survives reload
    expect(chunkSizes(again.db, a)).toHaveLength(0);
    expect(shadowRow(again.db, a).version).toBe(11);
    const final = { view: loaded.doc.view, heads: loaded.doc.heads() };
    closeStore(again);
    const third = openStore(h.dir);
    const reread = third.store.open(a);
    expect(reread.doc.view).toEqual(final.view);
    expect(reread.doc.heads()).toEqual(final.heads);
    expect(before.heads).not.toEqual(final.heads);
  });

  it("evicts beyond cacheSize, frees the evicted doc, and reloads it correctly", () => {
    const h = freshStore({ cacheSize: 2 });
    const first = update(h.store, addr("a"), { reported: { v: "a" } });
    const firstState = { view: first.doc.view, heads: first.doc.heads() };
    update(h.store, addr("b"), { reported: { v: "b" } });
    update(h.store, addr("c"), { reported: { v: "c" } });
    expect(h.store.cacheStats()).toMatchObject({ size: 2, evictions: 1 });
    expect(() => first.doc.heads()).toThrow(); // freed wasm memory
    const reloaded = h.store.open(addr("a"));
    expect(reloaded).not.toBe(first);
    expect(reloaded.doc.view).toEqual(firstState.view);
    expect(reloaded.doc.heads()).toEqual(firstState.heads);
    expect(h.store.cacheStats()).toMatchObject({ size: 2, evictions: 2 });
    update(h.store, addr("a"), { reported: { v: "a2" } });
    expect(h.store.open(addr("a")).doc.view.version).toBe(2);
  });

  it("tells its load observers of every document loaded from SQLite, not of new or cached ones", () => {
    const h = freshStore({ cacheSize: 1 });
    let loads = 0;
    h.store.loadObservers.push(() => loads++);
    update(h.store, addr("a"), { reported: { v: "a" } }); // new: nothing loaded
    h.store.open(addr("a")); // cached
    expect(loads).toBe(0);
    update(h.store, addr("b"), { reported: { v: "b" } }); // evicts a
    h.store.open(addr("a"));
    h.store.readView(addr("b"));
    expect(loads).toBe(2);
  });

  it("never evicts pinned (staged, uncommitted) entries, nor the entry it has just opened", () => {
    const h = freshStore({ cacheSize: 1 });
    update(h.store, addr("pinned"), { reported: { n: 0 } });
    const pinned = h.store.open(addr("pinned"));
    pinned.doc.update({ reported: { n: 1 } }, 1_700_000_000);
    h.store.stage(pinned);
    // Two more shadows updated while `pinned` waits for its commit: each must get a usable doc.
    const others = ["x", "y"].map((t) => update(h.store, addr(t), { reported: { t } }));
    expect(others.map((e) => e.doc.view.reported)).toEqual([{ t: "x" }, { t: "y" }]);
    expect(h.store.open(addr("pinned"))).toBe(pinned);
    expect(pinned.doc.view.reported).toEqual({ n: 1 });
    h.store.commit([pinned]);
    h.store.markCommitted([pinned]);
    expect(h.store.cacheStats().size).toBe(1);
    closeStore(h);
    const again = openStore(h.dir);
    expect(again.store.open(addr("pinned")).doc.view.reported).toEqual({ n: 1 });
    expect(again.store.open(addr("y")).doc.view.reported).toEqual({ t: "y" });
  });

  it("lists things with cursor pagination, skipping deleted and unwritten shadows", () => {
    const h = freshStore();
    const things = Array.from({ length: 24 }, (_, i) => `t${String(i).padStart(2, "0")}`);
    for (const t of things) update(h.store, addr(t), { reported: { ok: true } });
    update(h.store, addr("t03", "extra"), { reported: { ok: true } }); // two shadows, listed once
    remove(h.store, addr("t05")); // deleted: not listed
    remove(h.store, addr("t07")); // classic deleted but a named shadow lives: listed
    update(h.store, addr("t07", "side"), { reported: { ok: true } });
    h.store.open(addr("t99")); // opened, never written
    const expected = things.filter((t) => t !== "t05");

    const pages: string[][] = [];
    let cursor = "";
    for (let i = 0; i < 10; i++) {
      const page = h.store.listThings(cursor, 10);
      pages.push(page.things);
      if (page.nextCursor === undefined) break;
      cursor = page.nextCursor;
    }
    expect(pages.map((p) => p.length)).toEqual([10, 10, 3]);
    expect(pages.flat()).toEqual(expected);
    // An exact multiple of the page size ends without a dangling cursor.
    const a = h.store.listThings("", 23);
    expect(a.things).toEqual(expected);
    expect(a.nextCursor).toBeUndefined();
    expect(h.store.listThings("t23", 5)).toEqual({ things: [] });
    expect(h.store.countShadows()).toBe(24 - 2 + 2);
  });

  it("lists a thing's live shadows, classic first", () => {
    const h = freshStore();
    for (const name of ["", "zeta", "alpha", "gone"])
      update(h.store, addr("host-1", name), { reported: { name } });
    update(h.store, addr("host-2", "other"), { desired: { x: 1 } });
    remove(h.store, addr("host-1", "gone"));
    expect(h.store.listShadows("host-1")).toEqual(["", "alpha", "zeta"]);
    expect(h.store.listShadows("host-2")).toEqual(["other"]);
    expect(h.store.listShadows("nobody")).toEqual([]);
  });

  it("opens a store (and a node) of 20,000 shadows without loading any of them", async () => {
    const N = 20_000;
    const h = freshStore({ cacheSize: 100 });
    // The normal write path, 1000 shadows per transaction: every batch is pinned well over the cache
    // size until it commits, and then the cache shrinks back.
    const started = performance.now();
    for (let start = 0; start < N; start += 1000) {
      const batch: ShadowEntry[] = [];
      for (let i = start; i < start + 1000; i++) {
        const entry = h.store.open(addr(`bulk-${String(i).padStart(5, "0")}`));
        entry.doc.update({ reported: { fleet: "bulk", n: i } }, 1_700_000_000);
        h.store.stage(entry);
        batch.push(entry);
      }
      h.store.commit(batch);
      h.store.markCommitted(batch);
      expect(h.store.cacheStats().size).toBe(100);
    }
    const writeMs = performance.now() - started;
    closeStore(h);

    const openedAt = performance.now();
    const again = openStore(h.dir, { cacheSize: 100 });
    const openMs = performance.now() - openedAt;
    expect(again.store.cacheStats()).toEqual({ size: 0, hits: 0, misses: 0, evictions: 0 });
    expect(again.store.countShadows()).toBe(N);
    const page = again.store.listThings("bulk-09990", 5);
    expect(page).toEqual({
      things: ["bulk-09991", "bulk-09992", "bulk-09993", "bulk-09994", "bulk-09995"],
      nextCursor: "bulk-09995",
    });
    expect(again.store.cacheStats().size).toBe(0); // listing does not load documents
    expect(again.store.open(addr("bulk-17777")).doc.view).toMatchObject({
      exists: true,
      version: 1,
      reported: { fleet: "bulk", n: 17777 },
    });
    expect(again.store.cacheStats().size).toBe(1);
    closeStore(again);

    // A whole node started on that data dir loads no shadow either, and lists them over HTTP.
    const nodeStarted = performance.now();
    const node = await startTestNode({ dataDir: h.dir, cacheSize: 100 });
    const nodeMs = performance.now() - nodeStarted;
    try {
      expect(node.store.cacheStats().size).toBe(0);
      const res = await fetch(`${node.httpUrl}/things?limit=3&cursor=bulk-19996`);
      expect(await res.json()).toEqual({ things: ["bulk-19997", "bulk-19998", "bulk-19999"] });
      expect(node.store.cacheStats().size).toBe(0);
    } finally {
      await node.stop({ keepData: true });
    }
    console.log(
      `[shadow-store] wrote ${N} shadows in ${writeMs.toFixed(0)} ms; store reopened in ${openMs.toFixed(1)} ms; node started in ${nodeMs.toFixed(0)} ms`,
    );
  });
});
