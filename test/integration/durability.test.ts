import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { newActorId, ShadowDocument } from "../../broker/shadow/shadow-doc.ts";
import { type NodeProcess, spawnNode, tempDir } from "../helpers/node.ts";
import { readSeq, startWriters } from "../helpers/shadow-writers.ts";

/**
 * Crash durability: writers stream updates, the node is SIGKILLed at a random moment, and after a
 * restart on the same data dir every update that was answered `accepted` must be there.
 * UMBRA_DURABILITY_ROUNDS sets the number of kill rounds (default 5) for longer soak runs.
 */
const ROUNDS = Math.max(1, Number(process.env.UMBRA_DURABILITY_ROUNDS ?? 5) || 5);
const THINGS = ["dur-a", "dur-b", "dur-c", "dur-d"];
/** Random extra time the stream runs after it is in full swing, before the kill. */
const MAX_KILL_DELAY_MS = 700;

/** SQLite's own verdict on the file while no node has it open. */
function integrityCheck(dbFile: string): string[] {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    return (db.pragma("integrity_check") as { integrity_check: string }[]).map((r) => r.integrity_check);
  } finally {
    db.close();
  }
}

describe("durability under SIGKILL", () => {
  const dataDir = tempDir("umbra-durability-");
  const epochDir = tempDir("umbra-durability-epochs-");
  let node: NodeProcess | undefined;

  afterAll(async () => {
    if (node && node.child.exitCode === null) {
      node.child.kill("SIGKILL");
      await node.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(epochDir, { recursive: true, force: true });
  });

  /** Kill rounds against a node on `dataDir`, spawned with `env` (the same on every restart). */
  async function killRounds(dataDir: string, env: NodeJS.ProcessEnv): Promise<void> {
    const dbFile = join(dataDir, "umbra.db");
    node = await spawnNode(["--data-dir", dataDir, "--site", "durability"], env);
    // What the previous rounds proved to be on disk; seq and version advance together.
    let state = THINGS.map((thing) => ({ thing, seq: 0, version: 0 }));
    const summary: string[] = [];

    for (let round = 1; round <= ROUNDS; round++) {
      const run = await startWriters(node.mqttUrl, state);
      await run.waitForAccepted(THINGS.length * 8);
      const delay = Math.floor(Math.random() * MAX_KILL_DELAY_MS);
      await new Promise((r) => setTimeout(r, delay));
      node.child.kill("SIGKILL");
      const code = await node.exited;
      expect(node.child.signalCode).toBe("SIGKILL");
      expect(code).toBeNull();
      const accepted = run.totalAccepted();
      await run.stop();
      for (const w of run.writers) expect(w.anomalies, `${w.thing} round ${round}`).toEqual([]);
      // Mid-stream: requests were still in flight when the node died.
      expect(run.writers.some((w) => w.sent > w.acceptedCount)).toBe(true);

      // A WAL database left by a crash: SQLite must find it consistent before anyone recovers it.
      expect(existsSync(`${dbFile}-wal`)).toBe(true);
      expect(integrityCheck(dbFile)).toEqual(["ok"]);

      node = await spawnNode(["--data-dir", dataDir, "--site", "durability"], env);
      const next: typeof state = [];
      const lines: string[] = [];
      for (const w of run.writers) {
        const disk = await readSeq(node.httpUrl, w.thing);
        // Every accepted update is there (linear history: the highest accepted seq implies the rest).
        expect(disk.seq, `${w.thing} round ${round}`).toBeGreaterThanOrEqual(w.maxAcceptedSeq);
        // Nothing beyond what was sent, and no change lost or duplicated in between.
        expect(disk.seq).toBeLessThan(w.firstSeq + w.sent);
        expect(disk.version, `${w.thing} version`).toBe(disk.seq);
        const unacked = disk.seq - w.maxAcceptedSeq;
        lines.push(
          `${w.thing} +${w.acceptedCount} accepted, ${unacked} committed unacknowledged, ${w.sent - w.acceptedCount - unacked} lost unacknowledged`,
        );
        next.push({ thing: w.thing, seq: disk.seq, version: disk.version });
      }
      expect(node.stderr()).not.toMatch(/"level":(50|60)/); // no error or fatal log on recovery
      state = next;
      summary.push(
        `round ${round}: killed ${delay} ms after warm-up, ${accepted} accepted; ${lines.join("; ")}`,
      );
    }

    console.log(`[durability]\n${summary.join("\n")}`);
    node.child.kill("SIGTERM");
    expect(await node.exited).toBe(0);
    expect(integrityCheck(dbFile)).toEqual(["ok"]);
  }

  it(
    `keeps every accepted update across ${ROUNDS} kill -9 rounds`,
    () => killRounds(dataDir, {}),
    30_000 + ROUNDS * 12_000,
  );

  it(
    `keeps every accepted update across ${ROUNDS} kill -9 rounds while shadows are cut into epochs and compacted every few changes`,
    // Every 5th commit of a shadow rewrites its snapshot as a new epoch's base, every 3rd chunk compacts:
    // a kill lands inside one of those transactions often. Every update is its own change here (no
    // deferred updates, which would make one change per 32 updates): else how many epochs a shadow
    // reaches depends on how long the random kill delays let the writers run (a round killed 1 ms after
    // its warm-up left one shadow at 5 epochs in a full run).
    async () => {
      await killRounds(epochDir, {
        UMBRA_EPOCH_AFTER_CHANGES: "5",
        UMBRA_COMPACT_AFTER_CHUNKS: "3",
        UMBRA_DEFER_UPDATES: "0",
      });
      // The shadows really went through many epochs (the relay shares nothing on this node).
      const db = new Database(join(epochDir, "umbra.db"), { readonly: true, fileMustExist: true });
      try {
        for (const thing of THINGS) {
          const row = db.prepare("SELECT snapshot FROM shadows WHERE thing = ? AND name = ''").get(thing) as {
            snapshot: Buffer;
          };
          const chunks = db
            .prepare("SELECT data FROM shadow_chunks WHERE thing = ? AND name = '' ORDER BY id")
            .all(thing) as { data: Buffer }[];
          const doc = ShadowDocument.load(
            newActorId(),
            row.snapshot,
            chunks.map((c) => c.data),
          );
          expect(doc.epoch, thing).toBeGreaterThan(ROUNDS);
          expect(doc.changesSinceBase, thing).toBeLessThanOrEqual(5);
          doc.free();
        }
      } finally {
        db.close();
      }
    },
    30_000 + ROUNDS * 12_000,
  );
});
