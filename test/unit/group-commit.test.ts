import { rmSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { GroupCommit } from "../../broker/shadow/group-commit.ts";
import { type ShadowEntry, ShadowStore } from "../../broker/shadow/shadow-store.ts";
import { type CommitDurability, WalSync } from "../../broker/shadow/wal-sync.ts";
import { type Db, openDatabase } from "../../broker/store/database.ts";
import { ShadowError } from "../../shared/errors.ts";
import type { JsonObject } from "../../shared/json.ts";
import { tempDir } from "../helpers/node.ts";

const ACTOR = "2".repeat(32);
const cleanups: (() => void)[] = [];

afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function setup(maxBatch?: number, durability?: (db: Db) => CommitDurability) {
  const dir = tempDir("umbra-commit-");
  const db = openDatabase(dir);
  const store = new ShadowStore(db, ACTOR, { cacheSize: 10_000, compactAfterChunks: 64 });
  const commits = new GroupCommit(store, maxBatch, durability?.(db));
  cleanups.push(() => {
    store.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  /** Stages an update like ShadowService does and returns the entry to submit. */
  const stage = (thing: string, reported: JsonObject): ShadowEntry => {
    const entry = store.open({ thing, shadow: "" });
    entry.doc.update({ reported }, 1_700_000_000);
    store.stage(entry);
    return entry;
  };
  return { dir, db, store, commits, stage };
}

function versionOnDisk(db: Db, thing: string): number | undefined {
  const row = db.prepare("SELECT version FROM shadows WHERE thing = ? AND name = ''").get(thing) as
    | { version: number }
    | undefined;
  return row?.version;
}

describe("GroupCommit", () => {
  it("batches every submit of one tick into one transaction", async () => {
    const { db, commits, stage } = setup();
    let transactions = 0;
    const realTransaction = db.transaction.bind(db);
    db.transaction = ((fn: () => void) => {
      transactions++;
      return realTransaction(fn);
    }) as typeof db.transaction;
    const pending = Array.from({ length: 300 }, (_, i) => commits.submit(stage(`dev-${i}`, { n: i })));
    pending.push(commits.submit()); // a request that changed nothing waits for the same batch
    await Promise.all(pending);
    expect(transactions).toBe(1);
    expect(commits.stats).toMatchObject({
      batches: 1,
      lastBatchSize: 300,
      maxBatchSize: 300,
      committedChanges: 300,
      failures: 0,
    });
    expect(versionOnDisk(db, "dev-0")).toBe(1);
    expect(versionOnDisk(db, "dev-299")).toBe(1);
  });

  it("counts an entry changed twice in one batch once, with its latest state", async () => {
    const { db, store, commits, stage } = setup();
    const first = commits.submit(stage("twice", { n: 1 }));
    const second = commits.submit(stage("twice", { n: 2 }));
    await Promise.all([first, second]);
    expect(commits.stats).toMatchObject({ batches: 1, lastBatchSize: 1 });
    expect(versionOnDisk(db, "twice")).toBe(2);
    expect(store.open({ thing: "twice", shadow: "" }).pinned).toBe(0);
  });

  it("flushes early at maxBatch and commits the rest on the next turn", async () => {
    const { commits, stage } = setup(10);
    const pending = Array.from({ length: 25 }, (_, i) => commits.submit(stage(`m-${i}`, { i })));
    expect(commits.stats.batches).toBe(2); // 10 and 20 flushed synchronously
    await Promise.all(pending);
    expect(commits.stats).toMatchObject({
      batches: 3,
      lastBatchSize: 5,
      maxBatchSize: 10,
      committedChanges: 25,
    });
  });

  it("resolves waiters in arrival order, across batches", async () => {
    const { commits, stage } = setup(7);
    const order: number[] = [];
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 40; i++) {
      const p = i % 3 === 0 ? commits.submit() : commits.submit(stage(`o-${i}`, { i }));
      pending.push(p.then(() => void order.push(i)));
    }
    await Promise.all(pending);
    expect(order).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it("a failing commit rejects every waiter with 500 and the next open reads from disk", async () => {
    const { db, store, commits, stage } = setup();
    await commits.submit(stage("boom", { n: 1 })); // on disk at version 1; the next write is a chunk
    db.exec(`CREATE TRIGGER fail_chunks BEFORE INSERT ON shadow_chunks
             BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`);
    const failing = stage("boom", { n: 2 });
    const innocent = stage("fresh", { n: 1 }); // new row in the same transaction: rolled back too
    expect(failing.doc.view.version).toBe(2);
    const results = await Promise.allSettled([
      commits.submit(failing),
      commits.submit(),
      commits.submit(innocent),
    ]);
    for (const r of results) {
      expect(r.status).toBe("rejected");
      const err = (r as PromiseRejectedResult).reason;
      expect(err).toBeInstanceOf(ShadowError);
      expect(err).toMatchObject({ code: 500 });
      expect((err as Error).message).toMatch(/disk on fire/);
    }
    expect(commits.stats).toMatchObject({ failures: 1, batches: 1 });
    expect(versionOnDisk(db, "boom")).toBe(1);
    expect(versionOnDisk(db, "fresh")).toBeUndefined();
    expect(() => failing.doc.heads()).toThrow(); // discarded: its wasm doc is freed

    // The in-memory state was dropped: the next open is a fresh load of what is on disk.
    const reopened = store.open({ thing: "boom", shadow: "" });
    expect(reopened).not.toBe(failing);
    expect(reopened.doc.view).toMatchObject({ version: 1, reported: { n: 1 } });
    expect(store.open({ thing: "fresh", shadow: "" }).doc.view.exists).toBe(false);

    db.exec("DROP TRIGGER fail_chunks");
    await commits.submit(stage("boom", { n: 3 }));
    expect(versionOnDisk(db, "boom")).toBe(2);
    expect(store.open({ thing: "boom", shadow: "" }).doc.view.reported).toEqual({ n: 3 });
  });

  it("close() commits what is pending and then refuses new work with 503", async () => {
    const { db, commits, stage } = setup();
    const pending = commits.submit(stage("last", { n: 1 }));
    commits.close();
    await pending;
    expect(versionOnDisk(db, "last")).toBe(1);
    await expect(commits.submit()).rejects.toMatchObject({ code: 503 });
  });
});

/** A durability whose fsyncs the test completes (or fails) by hand. */
function manualSync() {
  const calls: { resolve: () => void; reject: (err: Error) => void }[] = [];
  const relaxedRuns: string[] = [];
  const make = (): CommitDurability => ({
    relaxed: (write) => {
      relaxedRuns.push("txn");
      return write();
    },
    sync: () => new Promise<void>((resolve, reject) => calls.push({ resolve, reject })),
    close: async () => undefined,
  });
  return { make, calls, relaxedRuns };
}

const turn = () => new Promise((r) => setImmediate(r));

describe("GroupCommit with the fsync off the main thread", () => {
  it("answers a batch only after its fsync; batches committed meanwhile share the next one", async () => {
    const sync = manualSync();
    const { db, commits, stage } = setup(undefined, sync.make);
    const order: string[] = [];
    const a = commits.submit(stage("a", { n: 1 })).then(() => order.push("a"));
    await turn();
    expect(sync.calls).toHaveLength(1); // batch 1 committed, its fsync in flight
    expect(versionOnDisk(db, "a")).toBe(1); // in SQLite (readers see it) ...
    expect(order).toEqual([]); // ... but not acknowledged yet
    const b = commits.submit(stage("b", { n: 1 })).then(() => order.push("b"));
    const get = commits.submit().then(() => order.push("get"));
    await turn();
    expect(commits.stats.batches).toBe(2);
    expect(sync.calls).toHaveLength(1); // one fsync at a time: batch 2 waits for the next
    sync.calls[0]?.resolve();
    await a;
    await turn();
    expect(order).toEqual(["a"]);
    expect(sync.calls).toHaveLength(2);
    sync.calls[1]?.resolve();
    await Promise.all([b, get]);
    expect(order).toEqual(["a", "b", "get"]);
    expect(commits.stats).toMatchObject({ batches: 2, syncs: 2, failures: 0 });
    expect(sync.relaxedRuns).toEqual(["txn", "txn"]);
  });

  it("a request that changes nothing, with nothing on its way to disk, needs no fsync", async () => {
    const sync = manualSync();
    const { commits } = setup(undefined, sync.make);
    await commits.submit();
    expect(sync.calls).toHaveLength(0);
  });

  it("a failed fsync rejects the waiting requests with 500 and refuses every later one", async () => {
    const sync = manualSync();
    const { commits, stage } = setup(undefined, sync.make);
    const first = commits.submit(stage("f", { n: 1 }));
    await turn();
    const second = commits.submit(stage("g", { n: 1 }));
    await turn();
    sync.calls[0]?.reject(new Error("EIO"));
    for (const p of [first, second]) {
      await expect(p).rejects.toBeInstanceOf(ShadowError);
      await expect(p).rejects.toMatchObject({ code: 500, message: expect.stringMatching(/EIO/) });
    }
    await expect(commits.submit()).rejects.toMatchObject({ code: 500 });
    expect(sync.calls).toHaveLength(1);
  });

  it("close() waits for the fsync of what it committed", async () => {
    const sync = manualSync();
    const { commits, stage } = setup(undefined, sync.make);
    const pending = commits.submit(stage("last", { n: 1 }));
    let closed = false;
    const closing = commits.close().then(() => {
      closed = true;
    });
    await turn();
    expect(closed).toBe(false);
    sync.calls[0]?.resolve();
    await Promise.all([pending, closing]);
    expect(closed).toBe(true);
  });

  it("with the real WalSync: commits under synchronous=NORMAL, fsyncs the WAL, restores FULL", async () => {
    const { db, commits, stage } = setup(undefined, (d) => new WalSync(d));
    const seen: number[] = [];
    const realTransaction = db.transaction.bind(db);
    db.transaction = ((fn: () => void) =>
      realTransaction(() => {
        seen.push(db.pragma("synchronous", { simple: true }) as number);
        fn();
      })) as typeof db.transaction;
    await Promise.all(Array.from({ length: 50 }, (_, i) => commits.submit(stage(`w-${i}`, { i }))));
    await commits.submit(stage("w-0", { i: 1 }));
    expect(seen).toEqual([1, 1]); // NORMAL inside the batch's transaction
    expect(db.pragma("synchronous", { simple: true })).toBe(2); // FULL for every other writer
    expect(commits.stats).toMatchObject({ batches: 2, syncs: 2, failures: 0 });
    expect(versionOnDisk(db, "w-0")).toBe(2);
    await commits.close();
  });
});
