/**
 * Memory of cached copies of one shadow, in a fresh process (a wasm heap never shrinks, so it cannot
 * be measured inside the process that aged the shadow):
 *   node --expose-gc --import tsx bench/shadow-memory.ts <file> <copies>
 * `file` holds the shadow's saved document; its metadata JSON is in `<file>.meta`. Loads `copies`
 * documents twice over and prints `{"bytesPerShadow":…}`: the slope between the two, so the wasm
 * heap's initial slack does not count.
 */
import { readFileSync } from "node:fs";
import { newActorId, ShadowDocument } from "../broker/shadow/shadow-doc.ts";

const [file, copiesArg] = process.argv.slice(2);
const copies = Number(copiesArg ?? 500);
if (!file || !Number.isInteger(copies) || copies < 1) {
  process.stderr.write("usage: shadow-memory.ts <file> <copies>\n");
  process.exit(2);
}
const bytes = readFileSync(file);
const meta = JSON.parse(readFileSync(`${file}.meta`, "utf8"));
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

function memory(): number {
  gc();
  const m = process.memoryUsage();
  // heapUsed: the plain views; external includes the ArrayBuffers, the wasm heap among them.
  return m.heapUsed + m.external;
}

const held: ShadowDocument[] = [];
const load = (n: number) => {
  for (let i = 0; i < n; i++) held.push(ShadowDocument.load(newActorId(), bytes, [], meta, "bench"));
};
load(copies);
const first = memory();
load(copies);
const second = memory();
process.stdout.write(`${JSON.stringify({ bytesPerShadow: Math.round((second - first) / copies) })}\n`);
