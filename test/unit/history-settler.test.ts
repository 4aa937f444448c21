import { afterEach, describe, expect, it } from "vitest";
import { HistoryQueries } from "../../broker/history/history-queries.ts";
import { HistorySettler } from "../../broker/history/history-settler.ts";
import { HistoryStore } from "../../broker/history/history-store.ts";
import { GroupCommit } from "../../broker/shadow/group-commit.ts";
import { ShadowService } from "../../broker/shadow/shadow-service.ts";
import type { Db } from "../../broker/store/database.ts";
import { encodePatch, FLAG_EXISTS, FLAG_REPORTED } from "../../shared/history.ts";
import { DEFAULT_LIMITS } from "../../shared/limits.ts";
import { closeAllStores, freshStore } from "../helpers/shadow-store-fixture.ts";

afterEach(() => closeAllStores());

const count = (db: Db, table: string) =>
  (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

describe("settling the change record's log", () => {
  it("keeps the log near its target while every record of every shadow stays readable", async () => {
    const { store, db } = freshStore({ site: "here" });
    const history = new HistoryStore(db, "here", 8, 40);
    store.journal = history;
    const commits = new GroupCommit(store);
    const service = new ShadowService(store, commits, DEFAULT_LIMITS);
    const queries = new HistoryQueries(history);
    const things = Array.from({ length: 12 }, (_, i) => ({ thing: `pdu-${i}`, shadow: "" }));
    const written = new Map<string, number[]>();
    let most = 0;
    for (let i = 0; i < 600; i++) {
      const addr = things[(i * 7) % things.length] as { thing: string; shadow: string };
      const body =
        i % 50 === 3 ? { state: { desired: { outlet: `v${i}` } } } : { state: { reported: { w: i } } };
      const r = await service.update(addr, JSON.stringify(body));
      if (!r.ok) throw new Error(JSON.stringify(r.error));
      written.set(addr.thing, [...(written.get(addr.thing) ?? []), r.body.version as number]);
      most = Math.max(most, count(db, "history_log"));
    }
    // One commit appends one record here; a step that runs settles at least 256 rows or the whole log.
    expect(most).toBeLessThanOrEqual(41);
    expect(count(db, "history_records")).toBeGreaterThan(400);
    expect(count(db, "history_log") + count(db, "history_records")).toBe(600);
    for (const addr of things) {
      const listed = queries.list(addr, { limit: 1000, order: "asc" }).records as { version: number }[];
      expect(listed.map((r) => r.version)).toEqual(written.get(addr.thing));
      const blame = queries.blame(addr) as { reported: { change?: { version: number } }[] };
      expect(blame.reported[0]?.change?.version).toBe(queries.blame(addr).version);
    }
    commits.close();
  });

  it("settles one shadow holding more than a step's rows in bounded steps, oldest first, then drops them", () => {
    const { db } = freshStore({ site: "here" });
    db.prepare(
      "INSERT INTO history_shadows (id, thing, name, appended, since_checkpoint, horizon) VALUES (7, 'hot', '', 5000, 0, 1)",
    ).run();
    const insert = db.prepare(
      "INSERT INTO history_log (shadow, version, at, kind, flags, patch) VALUES (7, ?, ?, 0, ?, ?)",
    );
    db.transaction(() => {
      for (let v = 1; v <= 5000; v++) {
        insert.run(
          v,
          v,
          FLAG_EXISTS | FLAG_REPORTED,
          encodePatch({ reported: [{ kind: "set", path: ["w"], value: v }] }),
        );
      }
    })();
    const settler = new HistorySettler(db, 0);
    const step = () => db.transaction(() => settler.step().settled)();
    // No commit appended anything: each step settles the least a step does, oldest versions first.
    expect(step()).toBe(256);
    expect(db.prepare("SELECT max(version) AS v FROM history_records").get()).toEqual({ v: 256 });
    expect(db.prepare("SELECT version FROM history_leaves WHERE shadow = 7").get()).toEqual({ version: 256 });
    // Settled rows stay in the log (reads take either) until the whole generation is settled.
    expect(count(db, "history_log")).toBe(5000);
    let steps = 1;
    while (count(db, "history_log") > 0 && steps < 100) {
      step();
      steps++;
    }
    // 256 rows settled per step; then 2,048 dropped per step, the first drop in the last settling step.
    expect(steps).toBe(Math.ceil(5000 / 256) + Math.ceil(5000 / 2048) - 1);
    expect(count(db, "history_records")).toBe(5000);
    expect(db.prepare("SELECT version FROM history_leaves WHERE shadow = 7").get()).toEqual({
      version: 5000,
    });
    expect(step()).toBe(0);
  });
  it("resumes where it stood after a restart, and a rolled-back commit takes its step back with it", () => {
    const { db } = freshStore({ site: "here" });
    const insert = db.prepare(
      "INSERT INTO history_log (shadow, version, at, kind, flags, patch) VALUES (?, ?, ?, 0, ?, ?)",
    );
    db.transaction(() => {
      for (let v = 1; v <= 200; v++) {
        for (let shadow = 1; shadow <= 5; shadow++) {
          const patch = encodePatch({ reported: [{ kind: "set", path: [`s${shadow}`], value: v }] });
          insert.run(shadow, v, v, FLAG_EXISTS | FLAG_REPORTED, patch);
        }
      }
    })();
    const first = new HistorySettler(db, 0);
    expect(db.transaction(() => first.step().settled)()).toBe(256);
    const before = db.prepare("SELECT * FROM history_settle").get();
    expect(() =>
      db.transaction(() => {
        first.step();
        throw new Error("the commit failed");
      })(),
    ).toThrow("the commit failed");
    expect(db.prepare("SELECT * FROM history_settle").get()).toEqual(before);
    expect(count(db, "history_records")).toBe(256);
    // A new writer on the same database (a restart) goes on from the stored cursor.
    const second = new HistorySettler(db, 0);
    for (let i = 0; i < 10 && count(db, "history_log") > 0; i++) db.transaction(() => second.step())();
    expect(count(db, "history_log")).toBe(0);
    expect(count(db, "history_records")).toBe(1000);
    const leaves = db.prepare("SELECT shadow, path, version FROM history_leaves ORDER BY shadow").all();
    expect(leaves).toEqual(
      [1, 2, 3, 4, 5].map((shadow) => ({ shadow, path: `["s${shadow}"]`, version: 200 })),
    );
  });
  it("paces the worker's steps by what is appended, so a closed generation's writes spread out", () => {
    const { db } = freshStore({ site: "here" });
    const insert = db.prepare(
      "INSERT INTO history_log (shadow, version, at, kind, flags, patch) VALUES (1, ?, ?, 0, ?, ?)",
    );
    const seed = (from: number, n: number) =>
      db.transaction(() => {
        for (let v = from; v < from + n; v++) {
          insert.run(
            v,
            v,
            FLAG_EXISTS | FLAG_REPORTED,
            encodePatch({ reported: [{ kind: "set", path: ["w"], value: v }] }),
          );
        }
      })();
    seed(1, 1000);
    const settler = new HistorySettler(db, 150);
    const paced = () => db.transaction(() => settler.paced(256))();
    // Nothing appended through this writer yet: the least a paced step does, and no more is due.
    expect(paced()).toMatchObject({ settled: 32, more: false, behind: false });
    // 100 rows appended: 200 may settle now, in steps of at most 256.
    seed(1001, 100);
    settler.appendedRows(100);
    expect(paced()).toMatchObject({ settled: 200, more: false });
    // Behind (the open generation is full again while this one settles): unpaced.
    seed(1101, 100);
    expect(paced()).toMatchObject({ settled: 256, behind: true, more: true });
  });
});
