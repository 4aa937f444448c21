import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { HistoryPruner } from "../../broker/history/history-pruner.ts";
import { HistoryQueries } from "../../broker/history/history-queries.ts";
import { HistoryStore } from "../../broker/history/history-store.ts";
import { GroupCommit } from "../../broker/shadow/group-commit.ts";
import { ShadowService } from "../../broker/shadow/shadow-service.ts";
import { principal } from "../../shared/acl.ts";
import type { ShadowError } from "../../shared/errors.ts";
import type { JsonObject } from "../../shared/json.ts";
import { DEFAULT_LIMITS } from "../../shared/limits.ts";
import { BlameWalk } from "../helpers/blame-walk.ts";
import { patchArbitrary } from "../helpers/json-arbitraries.ts";
import { closeAllStores, freshStore } from "../helpers/shadow-store-fixture.ts";

/**
 * The shadow service on a real SQLite store with the change record as its journal. `logTarget`: the
 * rows the log keeps before commits settle some (0: every commit settles; default: nothing settles here).
 */
function historyNode(checkpointEvery: number, logTarget?: number) {
  const { store, db } = freshStore({ site: "here" });
  const history = new HistoryStore(db, "here", checkpointEvery, logTarget);
  store.journal = history;
  const commits = new GroupCommit(store);
  const service = new ShadowService(store, commits, { ...DEFAULT_LIMITS, maxStateBytes: 1 << 20 });
  return { store, db, history, queries: new HistoryQueries(history), service, commits };
}

const addr = { thing: "pdu-1", shadow: "" };
/** Log targets the property tests cycle through: settle every commit, settle now and then, never. */
const LOG_TARGETS = [0, 3, 7, undefined];
const DAY = 86_400_000;

afterEach(() => closeAllStores());

async function update(service: ShadowService, body: JsonObject, who = principal("bridge-1", "bridge", "*")) {
  const r = await service.update(addr, JSON.stringify(body), who);
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.body.version as number;
}

describe("the change record on SQLite", () => {
  it("rebuilds the shadow at every version exactly as it was, with checkpoints every K records", async () => {
    const section = patchArbitrary(fc.constantFrom("a", "b", "w"), fc.integer({ min: 0, max: 3 }));
    const run = fc.sample(
      fc.array(fc.record({ desired: fc.option(section), reported: fc.option(section) }), {
        minLength: 30,
        maxLength: 30,
      }),
      LOG_TARGETS.length,
    );
    for (const [i, updates] of run.entries()) {
      const n = historyNode(4, LOG_TARGETS[i % LOG_TARGETS.length]);
      const seen = new Map<number, { desired: JsonObject; reported: JsonObject }>();
      for (const u of updates) {
        const body: JsonObject = {
          state: {
            ...(u.desired ? { desired: u.desired } : {}),
            ...(u.reported ? { reported: u.reported } : {}),
          },
        };
        if (!u.desired && !u.reported) continue;
        const r = await n.service.update(addr, JSON.stringify(body));
        if (!r.ok) continue;
        const v = n.service.peek(addr);
        seen.set(v.version, { desired: v.desired, reported: v.reported });
      }
      const check = () => {
        for (const [version, expected] of seen) {
          const s = n.queries.stateAt(addr, { version });
          expect({ desired: s.desired, reported: s.reported }).toEqual(expected);
        }
      };
      check();
      n.history.settleAll();
      check();
      n.commits.close();
    }
  });

  it("checkpoints a new shadow at its first record even when one commit holds several of its changes", async () => {
    const n = historyNode(4);
    // Not awaited one by one: the group commit writes all ten in one transaction.
    const versions = await Promise.all(
      Array.from({ length: 10 }, (_, i) => update(n.service, { state: { reported: { w: i } } })),
    );
    expect(versions).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(n.history.shadow(addr)?.horizon).toBe(1);
    for (let v = 1; v <= 10; v++)
      expect(n.queries.stateAt(addr, { version: v }).reported).toEqual({ w: v - 1 });
    expect(n.history.checkpoints(n.history.shadow(addr)?.id ?? -1).map((c) => c.version)).toEqual([1]);
    // The next commit is due a checkpoint (K=4 reached): at its first record.
    await update(n.service, { state: { reported: { w: 99 } } });
    expect(n.history.checkpoints(n.history.shadow(addr)?.id ?? -1).map((c) => c.version)).toEqual([1, 11]);
  });

  it("records who, the clientToken, the site and the planned leaves", async () => {
    const n = historyNode(256);
    await update(
      n.service,
      { state: { desired: { outlet: "on" } }, clientToken: "tok-1" },
      principal("ops", "operator"),
    );
    await n.service.delete(addr, "", principal("ops", "operator"));
    const page = n.queries.list(addr, { limit: 10, order: "asc" });
    expect(page.records).toEqual([
      {
        version: 1,
        time: expect.any(String),
        kind: "update",
        site: "here",
        identity: { name: "ops", role: "operator" },
        clientToken: "tok-1",
        desired: [{ op: "set", path: ["outlet"], value: "on" }],
      },
      {
        version: 2,
        time: expect.any(String),
        kind: "delete",
        site: "here",
        identity: { name: "ops", role: "operator" },
      },
    ]);
    expect(() => n.queries.stateAt(addr, { version: 2 })).not.toThrow();
    expect(n.queries.stateAt(addr, { version: 2 }).exists).toBe(false);
  });

  it("writes nothing for an update that changes nothing, and nothing when the commit fails", async () => {
    const n = historyNode(256);
    await update(n.service, { state: { reported: { w: 1 } } });
    await update(n.service, { state: { reported: { w: 1 } } });
    expect((n.queries.list(addr, { limit: 10, order: "asc" }).records as unknown[]).length).toBe(1);
    n.db.exec(
      "CREATE TRIGGER fail BEFORE INSERT ON shadow_chunks BEGIN SELECT RAISE(ABORT, 'disk full'); END",
    );
    const r = await n.service.update(addr, JSON.stringify({ state: { reported: { w: 2 } } }));
    expect(r.ok).toBe(false);
    n.db.exec("DROP TRIGGER fail");
    expect((n.queries.list(addr, { limit: 10, order: "asc" }).records as unknown[]).length).toBe(1);
    // The shadow is re-read from disk; the next change gets the next version and its record.
    expect(await update(n.service, { state: { reported: { w: 3 } } })).toBe(2);
    expect(n.queries.stateAt(addr, { version: 2 }).reported).toEqual({ w: 3 });
  });

  it("says which versions do not exist and answers times with the newest record before them", async () => {
    const n = historyNode(4);
    for (let i = 0; i < 6; i++) await update(n.service, { state: { reported: { w: i } } });
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e as ShadowError;
      }
      throw new Error("no error");
    };
    expect(err(() => n.queries.stateAt(addr, { version: 7 })).message).toMatch(
      /does not exist: 'pdu-1' is at version 6/,
    );
    expect(err(() => n.queries.stateAt({ thing: "other", shadow: "" }, { version: 1 })).code).toBe(404);
    expect(n.queries.stateAt(addr, { time: Date.now() + 1000 }).version).toBe(6);
    expect(err(() => n.queries.stateAt(addr, { time: Date.now() - DAY })).code).toBe(404);
  });
});

describe("blame from the leaf index", () => {
  it("names, for every leaf, the same record as the walk through the whole record (the definition)", async () => {
    const section = patchArbitrary(fc.constantFrom("a", "b", "w"), fc.integer({ min: 0, max: 3 }));
    const step = fc.oneof(
      { weight: 8, arbitrary: fc.record({ desired: fc.option(section), reported: fc.option(section) }) },
      { weight: 1, arbitrary: fc.constant("delete" as const) },
    );
    const samples = fc.sample(fc.array(step, { minLength: 10, maxLength: 40 }), 2 * LOG_TARGETS.length);
    for (const [i, steps] of samples.entries()) {
      const n = historyNode(4, LOG_TARGETS[i % LOG_TARGETS.length]);
      for (const u of steps) {
        if (u === "delete") {
          await n.service.delete(addr);
          continue;
        }
        const state: JsonObject = {};
        if (u.desired) state.desired = u.desired;
        if (u.reported) state.reported = u.reported;
        if (Object.keys(state).length > 0) await n.service.update(addr, JSON.stringify({ state }));
      }
      if (!n.history.shadow(addr) || !n.service.peek(addr).exists) continue;
      const view = n.service.peek(addr);
      const walk = new BlameWalk(view);
      for (const r of n.history.range(n.history.shadow(addr)?.id ?? -1, 0, view.version).reverse()) {
        if (!walk.feed(r)) break;
      }
      const expected = walk.result();
      // As the log and the index hold it now, then with every record settled into the index.
      for (const settle of [false, true]) {
        if (settle) n.history.settleAll();
        const blame = n.queries.blame(addr) as Record<
          "desired" | "reported",
          { path: string[]; change?: { version: number } }[]
        >;
        for (const sectionName of ["desired", "reported"] as const) {
          expect(blame[sectionName].map((l) => [l.path, l.change?.version])).toEqual(
            expected[sectionName].map((l) => [l.path, l.record?.version]),
          );
        }
      }
      n.commits.close();
    }
  });
});

describe("retention", () => {
  // Retention prunes settled records (the log holds the newest): these commits settle as they go.
  it("moves the horizon to a checkpoint, drops reported-only records below it, keeps the desired tail", async () => {
    const n = historyNode(4, 0);
    await update(n.service, { state: { desired: { outlet: "on" } }, clientToken: "d1" });
    for (let i = 0; i < 20; i++) await update(n.service, { state: { reported: { w: i } } });
    await update(n.service, { state: { desired: { outlet: "off" } } });
    for (let i = 0; i < 10; i++) await update(n.service, { state: { reported: { w: 100 + i } } });
    // 32 records; keep at most 8 in the contiguous part, desired tail at most 10.
    const pruner = new HistoryPruner(n.db, {
      reported: { maxAgeMs: 365 * DAY, maxRecords: 8 },
      desired: { maxAgeMs: 365 * DAY, maxRecords: 10 },
      batch: 3,
      shadowsPerTick: 10,
    });
    let ticks = 0;
    while (pruner.tick().deleted > 0 && ticks < 100) ticks++;
    // Bounded work per tick: 20+ rows needed more than one tick of 3.
    expect(ticks).toBeGreaterThan(3);
    const s = n.history.shadow(addr);
    expect(s?.pruned).toBe(true);
    // Checkpoints at ordinals 1, 5, 9, …, 29 (versions equal ordinals here); 29 leaves 4 ≤ 8, 25 leaves 8.
    expect(s?.horizon).toBe(25);
    const all = n.queries.list(addr, { limit: 100, order: "asc" }).records as {
      version: number;
      desired?: unknown;
    }[];
    expect(all[0]).toMatchObject({ version: 1, clientToken: "d1" });
    expect(all.filter((r) => r.version < 25).map((r) => r.version)).toEqual([1, 22]);
    expect(all.filter((r) => r.version >= 25).length).toBe(8);
    expect(() => n.queries.stateAt(addr, { version: 24 })).toThrow(
      /pruned by retention.*kept from version 25/,
    );
    expect(n.queries.stateAt(addr, { version: 25 }).reported).toEqual({ w: 102 });
    // Blame: the desired leaf comes from the tail, the reported one from the contiguous part.
    const blame = n.queries.blame(addr) as {
      desired: { change?: { version: number } }[];
      reported: { change?: { version: number } }[];
    };
    expect(blame.desired[0]?.change?.version).toBe(22);
    expect(blame.reported[0]?.change?.version).toBe(32);
  });

  it("does not look at a busy shadow again within the minute while its horizon cannot move", async () => {
    const n = historyNode(4, 0);
    for (let i = 0; i < 10; i++) await update(n.service, { state: { reported: { w: i } } });
    const pruner = new HistoryPruner(n.db, {
      reported: { maxAgeMs: 365 * DAY, maxRecords: 8 },
      desired: { maxAgeMs: 365 * DAY, maxRecords: 10 },
      batch: 1000,
      shadowsPerTick: 10,
    });
    const now = Date.now();
    // First look: 10 records, at most 8 kept: the horizon moves to the checkpoint at 5.
    expect(pruner.tick(now)).toMatchObject({ visited: 1, horizonsMoved: 1 });
    expect(n.history.shadow(addr)?.horizon).toBe(5);
    // One more record: 7 since the horizon, the next checkpoint is young: nothing can move.
    await update(n.service, { state: { reported: { w: 100 } } });
    expect(pruner.tick(now + 1000).visited).toBe(0);
    // Two more: 9 since the horizon, over the maximum: looked at, and the horizon moves to 9.
    await update(n.service, { state: { reported: { w: 101 } } });
    await update(n.service, { state: { reported: { w: 102 } } });
    expect(pruner.tick(now + 2000)).toMatchObject({ visited: 1, horizonsMoved: 1 });
    expect(n.history.shadow(addr)?.horizon).toBe(9);
    // A minute after its last look it is looked at again, whatever the counts say.
    expect(pruner.tick(now + 3000).visited).toBe(0);
    expect(pruner.tick(now + 70_000).visited).toBe(1);
  });

  it("drops the desired tail by count and by age", async () => {
    const n = historyNode(2, 0);
    for (let i = 0; i < 10; i++) await update(n.service, { state: { desired: { o: i } } });
    const pruner = (desiredMax: number, desiredAge: number) =>
      new HistoryPruner(n.db, {
        reported: { maxAgeMs: 365 * DAY, maxRecords: 2 },
        desired: { maxAgeMs: desiredAge, maxRecords: desiredMax },
        batch: 1000,
        shadowsPerTick: 10,
      });
    pruner(3, 365 * DAY).tick();
    const versions = () =>
      (n.queries.list(addr, { limit: 100, order: "asc" }).records as { version: number }[]).map(
        (r) => r.version,
      );
    expect(versions()).toEqual([6, 7, 8, 9, 10]);
    pruner(3, 365 * DAY).tick(Date.now() + 2 * DAY);
    pruner(3, DAY).tick(Date.now() + 2 * DAY);
    expect(versions()).toEqual([9, 10]);
  });
});
