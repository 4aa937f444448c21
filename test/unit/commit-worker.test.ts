import { afterEach, describe, expect, it, vi } from "vitest";
import { HistoryStore } from "../../broker/history/history-store.ts";
import { CommitFailure, CommitThread } from "../../broker/shadow/commit-thread.ts";
import { GroupCommit } from "../../broker/shadow/group-commit.ts";
import { type ShadowEntry, ShadowStore } from "../../broker/shadow/shadow-store.ts";
import type { Db } from "../../broker/store/database.ts";
import { ShadowError } from "../../shared/errors.ts";
import type { JsonObject } from "../../shared/json.ts";
import { closeAllStores, closeStore, freshStore, openStore } from "../helpers/shadow-store-fixture.ts";

/**
 * The group commit with its transaction and fsync on the commit worker (a real worker thread with its
 * own connection to the same SQLite file): what the main thread's connection reads afterwards is what
 * the worker wrote.
 */
const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  closeAllStores();
});

function setup(options: { compactAfterChunks?: number } = {}) {
  const handle = freshStore({ cacheSize: 10_000, ...options });
  const { store, db } = handle;
  const thread = new CommitThread(db);
  const commits = new GroupCommit(store, undefined, thread);
  closers.push(() => commits.close());
  const stage = (thing: string, reported: JsonObject): ShadowEntry => {
    const entry = store.open({ thing, shadow: "" });
    entry.doc.update({ reported }, 1_700_000_000);
    store.stage(entry);
    return entry;
  };
  return { ...handle, thread, commits, stage };
}

function versionOnDisk(db: Db, thing: string): number | undefined {
  const row = db.prepare("SELECT version FROM shadows WHERE thing = ? AND name = ''").get(thing) as
    | { version: number }
    | undefined;
  return row?.version;
}

describe("GroupCommit with the commit worker", () => {
  it("writes every submit of one tick in one batch and answers in arrival order", async () => {
    const { db, commits, stage } = setup();
    const order: number[] = [];
    const pending = Array.from({ length: 300 }, (_, i) =>
      (i % 3 === 0 ? commits.submit() : commits.submit(stage(`dev-${i}`, { n: i }))).then(() =>
        order.push(i),
      ),
    );
    await Promise.all(pending);
    expect(order).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(commits.stats).toMatchObject({ batches: 1, committedChanges: 200, failures: 0, syncs: 1 });
    expect(versionOnDisk(db, "dev-1")).toBe(1);
    expect(versionOnDisk(db, "dev-299")).toBe(1);
  });

  it("a shadow changed while its batch is in flight goes in the next batch, chunked from what is on disk", async () => {
    const { dir, db, store, commits, stage } = setup();
    const first = commits.submit(stage("busy", { n: 1 }));
    commits.flush(); // batch 1 is now in the worker
    const entry = stage("busy", { n: 2 });
    const second = commits.submit(entry);
    expect(entry.pinned).toBe(2);
    await first;
    expect(versionOnDisk(db, "busy")).toBe(1);
    expect(entry.pinned).toBe(1); // its second change is still staged: never evicted meanwhile
    await second;
    expect(entry.pinned).toBe(0);
    expect(versionOnDisk(db, "busy")).toBe(2);
    expect(commits.stats.batches).toBe(2);

    // A fresh store on the same file reads snapshot + chunk back to the latest state.
    const other = openStore(dir);
    expect(other.store.open({ thing: "busy", shadow: "" }).doc.view).toMatchObject({
      version: 2,
      reported: { n: 2 },
    });
    closeStore(other);
    expect(store.open({ thing: "busy", shadow: "" })).toBe(entry);
  });

  it("compacts and keeps reading back through many batches", async () => {
    const { dir, commits, stage } = setup({ compactAfterChunks: 4 });
    for (let n = 1; n <= 11; n++) await commits.submit(stage("c", { n }));
    const other = openStore(dir);
    expect(other.store.open({ thing: "c", shadow: "" }).doc.view).toMatchObject({
      version: 11,
      reported: { n: 11 },
    });
    closeStore(other);
  });

  it("a failing transaction rejects the batch and what was staged meanwhile; the next opens read from disk", async () => {
    const { db, store, commits, stage } = setup();
    await commits.submit(stage("boom", { n: 1 }));
    db.exec(`CREATE TRIGGER fail_chunks BEFORE INSERT ON shadow_chunks
             BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`);
    const failing = stage("boom", { n: 2 });
    const inFlight = commits.submit(failing);
    commits.flush();
    const later = commits.submit(stage("later", { n: 1 })); // staged while the batch is in flight
    const results = await Promise.allSettled([inFlight, later]);
    for (const r of results) {
      expect(r.status).toBe("rejected");
      const err = (r as PromiseRejectedResult).reason;
      expect(err).toBeInstanceOf(ShadowError);
      expect(err).toMatchObject({ code: 500, message: expect.stringMatching(/disk on fire/) });
    }
    expect(versionOnDisk(db, "boom")).toBe(1);
    expect(store.open({ thing: "boom", shadow: "" }).doc.view).toMatchObject({
      version: 1,
      reported: { n: 1 },
    });
    expect(store.open({ thing: "later", shadow: "" }).doc.view.exists).toBe(false);

    db.exec("DROP TRIGGER fail_chunks");
    await commits.submit(stage("boom", { n: 3 }));
    expect(versionOnDisk(db, "boom")).toBe(2);
  });

  it("writes the change record in the worker's transaction, and settles its log between batches", async () => {
    const { db, store, commits, stage } = setup();
    // Log target 0: every commit settles what it appended (into history_records and the leaf index).
    const history = new HistoryStore(db, "here", 4, 0);
    store.journal = history;
    for (let n = 1; n <= 6; n++) {
      const entry = stage("h", { n });
      store.record(entry, () => ({
        version: entry.doc.view.version,
        at: 1_700_000_000_000 + n,
        kind: "update",
        exists: true,
        patch: { reported: [{ kind: "set", path: ["n"], value: n }] },
      }));
      await commits.submit(entry);
    }
    const s = history.shadow({ thing: "h", shadow: "" });
    expect(s?.appended).toBe(6);
    expect(history.range(s?.id ?? -1, 0, 6).map((r) => [r.version, r.site])).toEqual(
      [1, 2, 3, 4, 5, 6].map((v) => [v, "here"]),
    );
    expect(history.checkpoints(s?.id ?? -1).map((c) => c.version)).toEqual([1, 5]);
    // The worker settles once the batch is answered, in transactions of its own.
    await vi.waitFor(() =>
      expect(db.prepare("SELECT count(*) AS n FROM history_log").get()).toEqual({ n: 0 }),
    );
    expect(history.leaves.version(s?.id ?? -1, "reported", ["n"])).toBe(6);
    expect(db.prepare("SELECT count(*) AS n FROM history_records").get()).toEqual({ n: 6 });
  });

  it("runs a main-thread write between batches, never while the worker writes one", async () => {
    const { store, commits, stage } = setup();
    const done = commits.submit(stage("gate", { n: 1 }));
    commits.flush(); // the batch is in the worker
    const ran: string[] = [];
    store.betweenCommits(() => ran.push("write"));
    expect(ran).toEqual([]);
    await done;
    // Not inside the batch's answer, nor on the turn after it (aedes writes the replies from immediates
    // queued while the answer is handled): two turns later.
    expect(ran).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(ran).toEqual([]);
    await new Promise((r) => setImmediate(() => setImmediate(r)));
    expect(ran).toEqual(["write"]);
    store.betweenCommits(() => ran.push("idle")); // no batch in flight: at once
    expect(ran).toEqual(["write", "idle"]);
  });

  it("under batches that follow each other a write is held until it has waited ~100 ms, then runs before the next batch", async () => {
    const { store } = setup();
    const ran: string[] = [];
    store.setWorkerWriting(true);
    store.betweenCommits(() => ran.push("write"));
    // An answer and the next batch posted in the same turn: the write's own turn finds the worker busy.
    store.setWorkerWriting(false);
    store.setWorkerWriting(true);
    await new Promise((r) => setImmediate(() => setImmediate(() => setImmediate(r))));
    expect(ran).toEqual([]);
    store.runHeldWrites(100); // the worker is writing: never
    await new Promise((r) => setTimeout(r, 120));
    store.runHeldWrites(100);
    expect(ran).toEqual([]);
    // The next answer: the group commit asks before posting the next batch, and the write has waited.
    store.setWorkerWriting(false);
    store.runHeldWrites(100);
    expect(ran).toEqual(["write"]);
    await new Promise((r) => setImmediate(() => setImmediate(() => setImmediate(r))));
    expect(ran).toEqual(["write"]); // once
  });

  it("the node's own transactions that read before they write never fail while the worker writes", async () => {
    const { db, commits, stage } = setup();
    const meta = db.prepare("INSERT OR REPLACE INTO node_meta (key, value) VALUES ('probe', ?)");
    const read = db.prepare("SELECT count(*) AS n FROM shadows");
    let failures = 0;
    let runs = 0;
    const probe = setInterval(() => {
      try {
        db.transaction(() => {
          const { n } = read.get() as { n: number };
          for (let k = 0; k < 2000; k++) Math.sqrt(k); // the worker may commit between the read and the write
          meta.run(String(n));
        })();
        runs++;
      } catch {
        failures++;
      }
    }, 1);
    for (let round = 0; round < 40; round++)
      await Promise.all(Array.from({ length: 50 }, (_, i) => commits.submit(stage(`p-${i}`, { round }))));
    clearInterval(probe);
    expect(runs).toBeGreaterThan(0);
    expect(failures).toBe(0);
  });

  it("close() writes what is pending, then refuses new work with 503", async () => {
    const { db, commits, stage } = setup();
    const pending = commits.submit(stage("last", { n: 1 }));
    const closing = commits.close();
    await pending;
    await closing;
    expect(versionOnDisk(db, "last")).toBe(1);
    await expect(commits.submit()).rejects.toMatchObject({ code: 503 });
  });
});

describe("CommitThread", () => {
  for (const mode of ["after each answer", "on the checkpointer thread"] as const) {
    it(`checkpoints the WAL ${mode}, never inside a commit, and times each batch`, async () => {
      const { store, db } = freshStore({ cacheSize: 10_000 });
      const thread = new CommitThread(db, undefined, mode === "on the checkpointer thread");
      const commits = new GroupCommit(store, undefined, thread);
      closers.push(() => commits.close());
      const copied: number[] = [];
      const started = Date.now();
      const stamps: number[] = [];
      thread.checkpointObservers.push((r) => {
        copied.push(r.frames);
        stamps.push(r.at ?? Number.NaN);
      });
      const timings: number[] = [];
      commits.batchObservers.push((_n, _ms, t) => {
        if (t) timings.push(t.queuesMs.length);
      });
      // Rounds until a checkpoint copied something (bounded: the worker checkpoints at most every
      // 200 ms after an answer, the thread every second).
      let rounds = 0;
      for (let round = 1; round <= 40 && copied.length === 0; round++) {
        rounds = round;
        await Promise.all(
          Array.from({ length: 50 }, (_, i) => {
            const entry = store.open({ thing: `dev-${i}`, shadow: "" });
            entry.doc.update({ reported: { round } }, 1_700_000_000);
            store.stage(entry);
            return commits.submit(entry);
          }),
        );
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(copied.length).toBeGreaterThan(0);
      expect(copied.some((f) => f > 0)).toBe(true);
      // Each checkpoint says when it started (ms since the epoch, from its own thread's clock).
      for (const at of stamps) expect(at).toBeGreaterThanOrEqual(started - 5);
      for (const at of stamps) expect(at).toBeLessThanOrEqual(Date.now() + 5);
      // Every request is timed, in the batch that released it.
      expect(timings.reduce((a, n) => a + n, 0)).toBe(50 * rounds);
      // Neither connection checkpoints by itself meanwhile (a commit would otherwise carry it).
      expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(0);
      expect(versionOnDisk(db, "dev-49")).toBeGreaterThan(0);
    });
  }

  it("checkpoints what the node's own connection writes while no batch comes", async () => {
    const { db } = freshStore({ cacheSize: 10 });
    const thread = new CommitThread(db);
    closers.push(() => thread.close());
    const copied: number[] = [];
    thread.checkpointObservers.push((r) => copied.push(r.frames));
    db.exec("CREATE TABLE IF NOT EXISTS probe (n INTEGER)");
    const insert = db.prepare("INSERT INTO probe (n) VALUES (?)");
    for (let i = 0; i < 50; i++) insert.run(i);
    // Bounded: the worker checkpoints at least every second between batches.
    for (let i = 0; i < 100 && copied.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(copied.length).toBeGreaterThan(0);
    const [row] = db.pragma("wal_checkpoint(PASSIVE)") as { log: number; checkpointed: number }[];
    expect(row?.checkpointed).toBe(row?.log);
  });

  it("writes batches queued behind each other in their own transactions, made durable by one fdatasync, answered in order", async () => {
    const { store, db } = freshStore({ cacheSize: 100 });
    const thread = new CommitThread(db);
    closers.push(() => thread.close());
    const batchOf = (thing: string) => {
      const entry = store.open({ thing, shadow: "" });
      entry.doc.update({ reported: { thing } }, 1_700_000_000);
      store.stage(entry);
      return store.prepare([entry]).batch;
    };
    // A transaction that fails (a second insert of a shadow's first row) in the middle of the queue.
    const a = batchOf("q-a");
    const answers = await Promise.allSettled([
      thread.write(a),
      thread.write(batchOf("q-b")),
      thread.write(a),
      thread.write(batchOf("q-c")),
    ]);
    expect(answers.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
    expect((answers[2] as PromiseRejectedResult).reason).toMatchObject({ storage: false });
    // Posted together, they were waiting in the worker's queue: one fdatasync for the three.
    const syncs = answers
      .filter((r) => r.status === "fulfilled")
      .map((r) => (r.value as { syncMs: number }).syncMs);
    expect(new Set(syncs).size).toBe(1);
    for (const thing of ["q-a", "q-b", "q-c"]) expect(versionOnDisk(db, thing)).toBe(1);
  });

  it("a worker that cannot open the database fails every batch as a storage failure", async () => {
    const { db } = freshStore();
    const fake = { name: `${db.name}.missing` } as Db;
    const thread = new CommitThread(fake);
    const batch = { now: 0, rows: [], journals: [] };
    const err = await thread.write(batch).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommitFailure);
    expect(err).toMatchObject({ storage: true });
    await expect(thread.write(batch)).rejects.toMatchObject({ storage: true });
    await thread.close();
  });

  it("in a node store the group commit refuses everything after a storage failure", async () => {
    const { db } = freshStore();
    const store = new ShadowStore(db, "3".repeat(32), { cacheSize: 10, compactAfterChunks: 64 });
    const thread = new CommitThread({ name: `${db.name}.missing` } as Db);
    const commits = new GroupCommit(store, undefined, thread);
    const entry = store.open({ thing: "x", shadow: "" });
    entry.doc.update({ reported: { a: 1 } }, 1_700_000_000);
    store.stage(entry);
    await expect(commits.submit(entry)).rejects.toMatchObject({ code: 500 });
    await expect(commits.submit()).rejects.toMatchObject({ code: 500, message: /restart the node/ });
    await commits.close();
    store.close();
  });
});
