/**
 * History growth of a shadow (docs/relay.md, "History"): bytes on disk and memory per shadow after
 * many changes, since Automerge keeps every change. Run: `npx tsx --expose-gc bench/shadow-history.ts`
 * (env SHADOWS, CHANGES). Prints one line per checkpoint.
 */
import { ShadowDocument } from "../broker/shadow/shadow-doc.ts";

const SHADOWS = Number(process.env.SHADOWS ?? 200);
const CHECKPOINTS = (process.env.CHANGES ?? "1,10,100,1000").split(",").map(Number);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

function memory(): number {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers + (m.external - m.arrayBuffers);
}

const base = memory();
const docs = Array.from({ length: SHADOWS }, (_, i) =>
  ShadowDocument.create((i + 1).toString(16).padStart(32, "0"), "bench"),
);
let done = 0;
console.log("changes/shadow  save B/shadow  memory B/shadow  ops/shadow");
for (const target of CHECKPOINTS) {
  for (; done < target; done++) {
    for (const [i, doc] of docs.entries()) {
      doc.update(
        {
          reported: { watts: (done * 7 + i) % 1000, volts: 230 + (done % 3), state: done % 2 ? "on" : "off" },
        },
        1_700_000_000 + done,
      );
    }
  }
  const save = docs.reduce((s, d) => s + d.save().byteLength, 0) / SHADOWS;
  const mem = (memory() - base) / SHADOWS;
  const ops = (docs[0] as ShadowDocument).stats().ops;
  console.log(
    `${String(target).padStart(14)}  ${save.toFixed(0).padStart(13)}  ${mem.toFixed(0).padStart(15)}  ${String(ops).padStart(10)}`,
  );
}
