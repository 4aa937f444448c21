/**
 * Writes shadows `from`..`to-1` into a data dir through the node's own store API (ShadowService +
 * group commit + SQLite), in batches, without MQTT:
 *   node --import tsx bench/fill-store.ts <dataDir> <from> <to>
 * Runs as its own process so the Automerge memory it uses is returned when it exits. Prints one JSON
 * line `{"filled":n,"ms":…}` on stdout.
 */
import { GroupCommit } from "../broker/shadow/group-commit.ts";
import { newActorId } from "../broker/shadow/shadow-doc.ts";
import { ShadowService } from "../broker/shadow/shadow-service.ts";
import { ShadowStore } from "../broker/shadow/shadow-store.ts";
import { nodeMetaValue, openDatabase } from "../broker/store/database.ts";
import { DEFAULT_LIMITS } from "../shared/limits.ts";
import { storedThing } from "./things.ts";

const [dataDir, fromArg, toArg] = process.argv.slice(2);
const from = Number(fromArg);
const to = Number(toArg);
if (!dataDir || !Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to < from) {
  process.stderr.write("usage: fill-store.ts <dataDir> <from> <to>\n");
  process.exit(2);
}

/** A plausible device shadow: a PDU-like reported state, and a desired section on one in ten. */
function request(i: number): string {
  const outlets: Record<string, string> = {};
  for (let o = 1; o <= 8; o++) outlets[`o${o}`] = (i + o) % 3 === 0 ? "off" : "on";
  const reported = {
    model: "pdu-8",
    fw: `1.${i % 7}.${i % 13}`,
    power: { w: 100 + (i % 900), va: 120 + (i % 950) },
    temp: 20 + (i % 15),
    outlets,
  };
  const desired = i % 10 === 0 ? { outlets: { o1: "off" } } : undefined;
  return JSON.stringify({ state: { reported, ...(desired ? { desired } : {}) } });
}

const db = openDatabase(dataDir);
const actor = nodeMetaValue(db, "actor", newActorId);
const store = new ShadowStore(db, actor, { cacheSize: 2_000, compactAfterChunks: 64 });
const commits = new GroupCommit(store);
const service = new ShadowService(store, commits, DEFAULT_LIMITS);

const started = performance.now();
const BATCH = 1_000;
for (let base = from; base < to; base += BATCH) {
  const batch: Promise<boolean>[] = [];
  for (let i = base; i < Math.min(to, base + BATCH); i++) {
    batch.push(service.update({ thing: storedThing(i), shadow: "" }, request(i)).then((r) => r.ok));
  }
  const failed = (await Promise.all(batch)).filter((ok) => !ok).length;
  if (failed > 0) {
    process.stderr.write(`fill: ${failed} updates rejected\n`);
    process.exit(1);
  }
}
commits.close();
store.close();
db.close();
process.stdout.write(`${JSON.stringify({ filled: to - from, ms: performance.now() - started })}\n`);
