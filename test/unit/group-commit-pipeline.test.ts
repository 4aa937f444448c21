import { afterEach, describe, expect, it } from "vitest";
import type { CommitBatch } from "../../broker/shadow/commit-batch.ts";
import {
  CommitFailure,
  CommitThread,
  type CommitTimes,
  type CommitWriter,
} from "../../broker/shadow/commit-thread.ts";
import { GroupCommit } from "../../broker/shadow/group-commit.ts";
import type { ShadowEntry } from "../../broker/shadow/shadow-store.ts";
import { closeAllStores, freshStore } from "../helpers/shadow-store-fixture.ts";

/**
 * GroupCommit's opt-in pipeline (setting `commitPipeline`, UMBRA_COMMIT_PIPELINE=true): a second batch in flight only when it
 * shares no shadow with the one in flight; answers in order; a failure before it holds what was staged
 * until it lands; a storage failure before it refuses its success.
 */
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  closeAllStores();
});

/** A writer the test answers by hand. */
class HandWriter implements CommitWriter {
  readonly posted: {
    batch: CommitBatch;
    resolve: (t: CommitTimes) => void;
    reject: (e: Error) => void;
  }[] = [];
  write(batch: CommitBatch): Promise<CommitTimes> {
    return new Promise((resolve, reject) => this.posted.push({ batch, resolve, reject }));
  }
  async close(): Promise<void> {}
  things(i: number): string[] {
    return (this.posted[i]?.batch.rows ?? []).map((r) => r.thing);
  }
}

const turn = () => new Promise((r) => setImmediate(r));
const times: CommitTimes = { commitMs: 0.1, syncMs: 0.1 };

function setup(pipeline: boolean) {
  const { store, db } = freshStore({ cacheSize: 10_000 });
  const writer = new HandWriter();
  const commits = new GroupCommit(store, undefined, writer, pipeline);
  const stage = (thing: string, n: number): ShadowEntry => {
    const entry = store.open({ thing, shadow: "" });
    entry.doc.update({ reported: { n } }, 1_700_000_000);
    store.stage(entry);
    return entry;
  };
  /** Submits and records when it settled ("x ok" / "x failed"). */
  const events: string[] = [];
  const submit = (label: string, entry: ShadowEntry) =>
    commits.submit(entry).then(
      () => events.push(`${label} ok`),
      () => events.push(`${label} failed`),
    );
  return { store, db, writer, commits, stage, events, submit };
}

describe("GroupCommit pipeline", () => {
  it("posts a second batch only when it shares no shadow with the one in flight, and answers in order", async () => {
    const { writer, stage, events, submit } = setup(true);
    const a = submit("a", stage("x", 1));
    await turn();
    const b = submit("b", stage("y", 1));
    await turn();
    expect(writer.posted.length).toBe(2); // y is not in flight: pipelined
    expect(writer.things(1)).toEqual(["y"]);
    const c = submit("c", stage("x", 2));
    await turn();
    expect(writer.posted.length).toBe(2); // x is in flight: waits for its batch
    writer.posted[0]?.resolve(times);
    await a;
    await turn();
    expect(writer.posted.length).toBe(3); // x landed; y still in flight, x is not in it
    expect(writer.things(2)).toEqual(["x"]);
    writer.posted[1]?.resolve(times);
    writer.posted[2]?.resolve(times);
    await Promise.all([b, c]);
    expect(events).toEqual(["a ok", "b ok", "c ok"]);
  });

  it("keeps one batch in flight without the pipeline", async () => {
    const { writer, stage, submit } = setup(false);
    const a = submit("a", stage("x", 1));
    await turn();
    const b = submit("b", stage("y", 1));
    await turn();
    expect(writer.posted.length).toBe(1);
    writer.posted[0]?.resolve(times);
    await a;
    await turn();
    expect(writer.posted.length).toBe(2);
    writer.posted[1]?.resolve(times);
    await b;
  });

  it("after a failed batch, lets the pipelined one land before dropping what was staged meanwhile", async () => {
    const { store, writer, stage, events, submit } = setup(true);
    const a = submit("a", stage("x", 1));
    await turn();
    const b = submit("b", stage("y", 1));
    await turn();
    const c = submit("c", stage("x", 2));
    await turn();
    writer.posted[0]?.reject(new CommitFailure("constraint failed", false));
    await a;
    await turn();
    expect(events).toEqual(["a failed"]); // c waits: y is still in flight
    expect(writer.posted.length).toBe(2);
    writer.posted[1]?.resolve(times);
    await Promise.all([b, c]);
    expect(events).toEqual(["a failed", "b ok", "c failed"]);
    // x was dropped from memory (read again from disk), y kept its committed state.
    expect(store.open({ thing: "y", shadow: "" }).savedHeads).toBeDefined();
    expect(store.open({ thing: "x", shadow: "" }).savedHeads).toBeUndefined();
  });

  it("refuses a pipelined batch's success after an earlier batch's storage failure", async () => {
    const { writer, stage, events, submit, commits } = setup(true);
    const a = submit("a", stage("x", 1));
    await turn();
    const b = submit("b", stage("y", 1));
    await turn();
    writer.posted[0]?.reject(new CommitFailure("fsync: EIO", true));
    writer.posted[1]?.resolve(times);
    await Promise.all([a, b]);
    expect(events).toEqual(["a failed", "b failed"]);
    await expect(commits.submit()).rejects.toThrow(/Storage failed/);
  });

  it("with the real commit worker: every pipelined update is on disk and answered in submit order", async () => {
    const { store, db } = freshStore({ cacheSize: 10_000 });
    const thread = new CommitThread(db);
    let inFlight = 0;
    let most = 0;
    const counting: CommitWriter = {
      write(batch) {
        inFlight++;
        most = Math.max(most, inFlight);
        return thread.write(batch).finally(() => inFlight--);
      },
      close: () => thread.close(),
    };
    const commits = new GroupCommit(store, undefined, counting, true);
    closers.push(() => commits.close());
    const order: number[] = [];
    const pending: Promise<void>[] = [];
    for (let round = 0; round < 30; round++) {
      // Ten different things per turn, each thing once per three turns: batches often disjoint.
      for (let k = 0; k < 10; k++) {
        const i = (round % 3) * 10 + k;
        const entry = store.open({ thing: `dev-${i}`, shadow: "" });
        entry.doc.update({ reported: { round } }, 1_700_000_000);
        store.stage(entry);
        const seq = round * 10 + k;
        pending.push(commits.submit(entry).then(() => void order.push(seq)));
      }
      await turn();
    }
    await Promise.all(pending);
    expect(order).toEqual([...order].sort((x, y) => x - y));
    expect(most).toBe(2);
    const onDisk = (thing: string) =>
      (
        db.prepare("SELECT version FROM shadows WHERE thing = ? AND name = ''").get(thing) as {
          version: number;
        }
      ).version;
    for (let i = 0; i < 30; i++) expect(onDisk(`dev-${i}`)).toBe(10);
  });
});
