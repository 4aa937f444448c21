/**
 * What Automerge costs per shadow update and per epoch cut, call by call (docs/shadow-engine.md "Costs
 * per update"), on PDU-like shadow documents (bench/pdu-workload.ts) as the store holds them: an
 * epoch's base plus `--since` changes, loaded from their saved bytes.
 *   npx tsx bench/automerge-ops.ts [--docs 500] [--rounds 20] [--since 16]
 * Each figure is the median time of one call over docs × rounds calls (medians, not means: a loaded
 * machine preempts a few calls, not the typical one), in µs. Also the CPU time of a whole PDU update
 * (`ShadowDocument.update`, cuts every 32 changes included) per update.
 */
import { parseArgs } from "node:util";
import { epochActor, writeBase } from "../broker/shadow/epoch-base.ts";
import { type RawDoc, rootsOf, skeletonDoc } from "../broker/shadow/raw-doc.ts";
import { newActorId, ShadowDocument } from "../broker/shadow/shadow-doc.ts";
import { pduInitial, pduStep } from "./pdu-workload.ts";

const { values } = parseArgs({
  options: {
    docs: { type: "string", default: "500" },
    rounds: { type: "string", default: "20" },
    since: { type: "string", default: "16" },
  },
});
const DOCS = Number(values.docs);
const ROUNDS = Number(values.rounds);
const SINCE = Number(values.since);
const T0 = 1_700_000_000;
const outlets = Object.fromEntries(Array.from({ length: 8 }, (_, k) => [`o${k + 1}`, "on"]));
const state = (i: number) => ({
  exists: true,
  version: 100_000,
  desired: { outlets },
  reported: pduInitial(i),
});

const times = new Map<string, number[]>();
function time<T>(label: string, f: () => T): T {
  const t = performance.now();
  const out = f();
  const us = (performance.now() - t) * 1000;
  const list = times.get(label) ?? [];
  list.push(us);
  times.set(label, list);
  return out;
}

/** A PDU shadow as the store holds it: epoch 3's base + `SINCE` changes, loaded from its bytes. */
function aged(i: number): ShadowDocument {
  const doc = ShadowDocument.fromBase(
    newActorId(),
    `pdu-${i}`,
    3,
    state(i),
    { desired: {}, reported: {} },
    "bench",
  );
  for (let n = 1; n <= SINCE; n++) doc.update(pduStep(100_000 + n), T0 + n);
  const bytes = doc.save();
  doc.free();
  return ShadowDocument.load(newActorId(), bytes, []);
}

const roots = rootsOf();
const raws: RawDoc[] = [];
for (let i = 0; i < DOCS; i++) raws.push((aged(i) as unknown as { raw: RawDoc }).raw);
for (let r = 0; r < ROUNDS; r++) {
  for (const [i, raw] of raws.entries()) {
    const heads = time("getHeads", () => raw.getHeads());
    const power = time("getWithType (a map)", () => raw.getWithType(roots.reported, "power")) as [
      string,
      string,
    ];
    time("put (a scalar leaf)", () => raw.put(power[1], "w", 100 + ((r * 7 + i) % 900)));
    time("increment (version)", () => raw.increment("/", "version", 1));
    const hash = time("commit", () => raw.commit("bench", T0 + r)) as string;
    time("saveSince (the commit's chunk)", () => raw.saveSince(heads));
    time("getLastLocalChange", () => raw.getLastLocalChange());
    time("getChangeByHash", () => raw.getChangeByHash(hash));
  }
}
for (const raw of raws) raw.free();

// The cut: the base change written op by op, against applying the same change's bytes.
for (let i = 0; i < DOCS; i++) {
  const key = `pdu-${i}`;
  const builder = time("cut: clone the skeleton", () => skeletonDoc().clone(epochActor(key, 4)));
  time("cut: writeBase (27 ops for a PDU)", () => writeBase(builder, roots, 4, state(i)));
  const doc = time("cut: clone as the site's actor", () => builder.clone(newActorId()));
  time("cut: save the new base (the snapshot)", () => doc.save());
  const change = builder.getLastLocalChange() as Uint8Array;
  const applied = time("(applyChanges of the same base change)", () => {
    const copy = skeletonDoc().clone(newActorId());
    copy.applyChanges([change]);
    return copy;
  });
  builder.free();
  doc.free();
  applied.free();
}

// A whole PDU update through ShadowDocument, cuts included (every 32 changes).
const docs = Array.from({ length: DOCS }, (_, i) => {
  const doc = ShadowDocument.create(newActorId(), "bench");
  doc.update({ reported: pduInitial(i) }, T0);
  return doc;
});
const cpu0 = process.cpuUsage();
let updates = 0;
for (let n = 2; n < 2 + 2 * ROUNDS; n++)
  for (const [i, doc] of docs.entries()) {
    time("ShadowDocument.update of a PDU (2-3 leaves)", () => doc.update(pduStep(n), T0 + n));
    updates++;
    if (doc.changesSinceBase >= 32) doc.cut(`pdu-${i}`);
  }
const cpu = process.cpuUsage(cpu0);
for (const doc of docs) doc.free();

const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
console.log(`PDU-like shadow, base + ${SINCE} changes, ${DOCS} documents: median µs per call`);
for (const [label, xs] of times) console.log(`  ${label.padEnd(42)} ${median(xs).toFixed(1).padStart(7)}`);
console.log(
  `ShadowDocument.update of a PDU (2-3 leaves, cut every 32): ${((cpu.user + cpu.system) / updates).toFixed(1)} µs CPU per update`,
);
