import { rmSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { type NodeProcess, spawnNode, tempDir } from "../helpers/node.ts";
import { readSeq, startWriters } from "../helpers/shadow-writers.ts";

/**
 * The change record is written in the shadow commit's transaction: after kill -9 and a restart,
 * every update that was answered `accepted` has its record (with its clientToken), and no record
 * runs ahead of the shadow on disk.
 */
const THINGS = ["hist-a", "hist-b"];
const ROUNDS = 2;

async function allRecords(
  httpUrl: string,
  thing: string,
): Promise<{ version: number; clientToken?: string }[]> {
  const out: { version: number; clientToken?: string }[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const url = new URL(`/things/${thing}/shadow/history`, httpUrl);
    url.searchParams.set("order", "asc");
    url.searchParams.set("limit", "1000");
    if (cursor) url.searchParams.set("cursor", cursor);
    const res = await fetch(url);
    if (res.status === 404) return out;
    const body = (await res.json()) as {
      records: { version: number; clientToken?: string }[];
      nextCursor?: string;
    };
    out.push(...body.records);
    cursor = body.nextCursor;
    if (!cursor) break;
  }
  return out;
}

// The log settles every 5 records in the second case: kill -9 then lands while records are being
// settled into history_records and the leaf index (docs/history.md, "Settling").
describe.each([
  { label: "log settling at its default", env: {}, settled: false },
  { label: "log settling every few commits", env: { UMBRA_HISTORY_LOG_ROWS: "5" }, settled: true },
])("history durability under SIGKILL, $label", ({ env, settled }) => {
  const dataDir = tempDir("umbra-history-durability-");
  let node: NodeProcess | undefined;

  afterAll(async () => {
    if (node && node.child.exitCode === null) {
      node.child.kill("SIGKILL");
      await node.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("keeps the record of every accepted update across kill -9", async () => {
    node = await spawnNode(["--data-dir", dataDir, "--site", "hist"], env);
    let state = THINGS.map((thing) => ({ thing, seq: 0, version: 0 }));
    for (let round = 1; round <= ROUNDS; round++) {
      const run = await startWriters(node.mqttUrl, state);
      await run.waitForAccepted(THINGS.length * 20);
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 300)));
      node.child.kill("SIGKILL");
      await node.exited;
      await run.stop();
      // Reply order and versions on the wire are durability.test.ts's concern; here: the record.
      node = await spawnNode(["--data-dir", dataDir, "--site", "hist"], env);
      const next: typeof state = [];
      for (const w of run.writers) {
        const disk = await readSeq(node.httpUrl, w.thing);
        expect(disk.seq).toBeGreaterThanOrEqual(w.maxAcceptedSeq);
        const records = await allRecords(node.httpUrl, w.thing);
        // One record per committed version, 1..version, each with the writer's clientToken for that seq.
        expect(records.map((r) => r.version)).toEqual(Array.from({ length: disk.version }, (_, i) => i + 1));
        expect(records.map((r) => r.clientToken)).toEqual(
          Array.from({ length: disk.version }, (_, i) => `${w.thing}:${i + 1}`),
        );
        // The state at the last accepted version is rebuilt from the record.
        const at = await fetch(new URL(`/things/${w.thing}/shadow?at=${w.maxAcceptedSeq}`, node.httpUrl));
        expect(at.status).toBe(200);
        expect(((await at.json()) as { state: { reported: { seq: number } } }).state.reported.seq).toBe(
          w.maxAcceptedSeq,
        );
        // Blame names the last committed version for the leaf every update writes.
        const blame = await fetch(new URL(`/things/${w.thing}/shadow/blame`, node.httpUrl));
        const lines = (
          (await blame.json()) as { reported: { path: string[]; change?: { version: number } }[] }
        ).reported;
        expect(lines.find((l) => l.path.join(".") === "seq")?.change?.version).toBe(disk.version);
        next.push({ thing: w.thing, seq: disk.seq, version: disk.version });
      }
      state = next;
    }
    node.child.kill("SIGTERM");
    expect(await node.exited).toBe(0);
    const db = new Database(join(dataDir, "umbra.db"), { readonly: true });
    const rows = (table: string) =>
      (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    // Where the records are: all in the log at the default (fewer than a generation), mostly settled at 5.
    if (settled) expect(rows("history_records")).toBeGreaterThan(rows("history_log"));
    else expect(rows("history_records")).toBe(0);
    db.close();
  }, 90_000);
});
