/**
 * Long fuzz run of the MQTT listener (`npm run fuzz`): the properties of
 * test/integration/mqtt-fuzz.test.ts with many more runs, against nodes spawned as child processes
 * (a crash shows as an exit, memory is the node's own VmRSS), anonymous and secure.
 *
 *   UMBRA_FUZZ_RUNS   cases per mode (default 3000)
 *   UMBRA_FUZZ_SEED   fast-check seed (default 20240612; the seed of a failure is printed)
 *   UMBRA_FUZZ_MODES  comma-separated: anonymous,secure (default both)
 *   UMBRA_FUZZ_MEMORY_SOCKETS  connections per memory round (default 200)
 *   UMBRA_FUZZ_MEMORY_ROUNDS   memory rounds after the fuzz (default 10)
 *
 * Prints progress and a summary; exits 1 when any property or the memory bound fails.
 */
import fc from "fast-check";
import {
  type FuzzMode,
  type FuzzNode,
  fuzzProperty,
  memoryBounded,
  memoryRound,
  mib,
  startFuzzNode,
} from "../helpers/mqtt-fuzz-node.ts";

const RUNS = Number(process.env.UMBRA_FUZZ_RUNS ?? 3000);
const SEED = Number(process.env.UMBRA_FUZZ_SEED ?? 20_240_612);
const MODES = (process.env.UMBRA_FUZZ_MODES ?? "anonymous,secure").split(",") as FuzzMode[];
const MEMORY_SOCKETS = Number(process.env.UMBRA_FUZZ_MEMORY_SOCKETS ?? 200);
const MEMORY_ROUNDS = Number(process.env.UMBRA_FUZZ_MEMORY_ROUNDS ?? 10);

interface ModeSummary {
  mode: FuzzMode;
  cases: number;
  failed: boolean;
  closedByNode: number;
  sessions: number;
  kinds: Record<string, number>;
  rssStart: number;
  rssAfterFuzz: number;
  rounds: { peak: number; after: number }[];
  memoryOk: boolean;
  pingResponses: number;
  seconds: number;
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function runMode(mode: FuzzMode): Promise<ModeSummary> {
  const node: FuzzNode = await startFuzzNode(mode, "child");
  const started = Date.now();
  const s: ModeSummary = {
    mode,
    cases: 0,
    failed: false,
    closedByNode: 0,
    sessions: 0,
    kinds: {},
    rssStart: node.target.rssBytes(),
    rssAfterFuzz: 0,
    rounds: [],
    memoryOk: true,
    pingResponses: 0,
    seconds: 0,
  };
  log(`[${mode}] node up on port ${node.target.port}, RSS ${mib(s.rssStart)}; ${RUNS} cases, seed ${SEED}`);
  try {
    const details = await fc.check(
      fuzzProperty(node, (c, stats) => {
        s.cases++;
        s.closedByNode += stats.closedByNode;
        s.sessions += stats.sessions;
        for (const sock of c.sockets) s.kinds[sock.kind] = (s.kinds[sock.kind] ?? 0) + 1;
        if (s.cases % 250 === 0) {
          const secs = ((Date.now() - started) / 1000).toFixed(0);
          log(`[${mode}] ${s.cases}/${RUNS} cases, ${secs} s, node RSS ${mib(node.target.rssBytes())}`);
        }
      }),
      // No shrinking: the node's state carries over between cases; the case reported is the one that broke it.
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    if (details.failed) {
      s.failed = true;
      log(
        `[${mode}] FAILED after ${details.numRuns} runs (seed ${details.seed}, path ${details.counterexamplePath})`,
      );
      log(
        `[${mode}] error: ${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}`,
      );
      log(`[${mode}] counterexample: ${JSON.stringify(details.counterexample, replacer).slice(0, 4000)}`);
    }
    if (s.failed || !node.target.isUp()) return { ...s, failed: true };
    s.rssAfterFuzz = node.target.rssBytes();
    for (let r = 0; r < MEMORY_ROUNDS; r++) {
      const round = await memoryRound(node, MEMORY_SOCKETS);
      s.rounds.push(round);
      log(`[${mode}] memory round ${r + 1}: peak ${mib(round.peak)}, after close ${mib(round.after)}`);
    }
    s.memoryOk = memoryBounded(s.rssAfterFuzz, s.rounds, MEMORY_SOCKETS, node.limit);
    s.pingResponses = node.probe.pingResponses;
    if (node.probe.drops > 0 || !node.probe.keepaliveConnected) {
      log(`[${mode}] FAILED: the mqtt.js keepalive client was disconnected`);
      s.failed = true;
    }
  } catch (err) {
    s.failed = true;
    log(`[${mode}] FAILED: ${(err as Error).stack ?? err}`);
  } finally {
    s.seconds = (Date.now() - started) / 1000;
    await node.stop().catch(() => {});
  }
  return s;
}

/** Buffers print as hex so a counterexample can be replayed. */
function replacer(_key: string, value: unknown): unknown {
  if (value && typeof value === "object" && (value as { type?: string }).type === "Buffer") {
    return Buffer.from((value as { data: number[] }).data).toString("hex");
  }
  return value;
}

const summaries: ModeSummary[] = [];
for (const mode of MODES) summaries.push(await runMode(mode));
log("\nsummary");
for (const s of summaries) {
  log(
    `  ${s.mode}: ${s.cases} cases in ${s.seconds.toFixed(0)} s, ${s.failed ? "FAILED" : "ok"}; sockets by kind ${JSON.stringify(s.kinds)}; ` +
      `${s.closedByNode} closed by the node, ${s.sessions} got CONNACK 0; keepalive PINGRESPs ${s.pingResponses}`,
  );
  log(
    `  ${s.mode}: node RSS start ${mib(s.rssStart)}, after fuzz ${mib(s.rssAfterFuzz)}, memory rounds (peak/after) ` +
      `${s.rounds.map((r) => `${mib(r.peak)}/${mib(r.after)}`).join(", ")} — ${s.memoryOk ? "bounded" : "GREW"}`,
  );
}
const bad = summaries.some((s) => s.failed || !s.memoryOk);
log(bad ? "\nFAIL" : "\nPASS");
process.exit(bad ? 1 : 0);
