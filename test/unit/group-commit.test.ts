import { rmSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { GroupCommit } from "../../broker/shadow/group-commit.ts";
import { type ShadowEntry, ShadowStore } from "../../broker/shadow/shadow-store.ts";
import { type Db, openDatabase } from "../../broker/store/database.ts";
import { ShadowError } from "../../shared/errors.ts";
import type { JsonObject } from "../../shared/json.ts";
import { tempDir } from "../helpers/node.ts";

const ACTOR = "2".repeat(32);
const cleanups: (() => void)[] = [];

afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function setup(maxBatch?: number) {
  const dir = tempDir("umbra-commit-");
  const db = openDatabase(dir);
  const store = new ShadowStore(db, ACTOR, { cacheSize: 10_000, compactAfterChunks: 64 });
  const commits = new GroupCommit(store, maxBatch);
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
