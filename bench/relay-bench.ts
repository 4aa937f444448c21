/**
 * The relay wire benchmark (`npm run bench:relay`, `--quick` for a smoke run).
 *
 * Bytes on the wire per relayed shadow update, for 1k and 10k shadows (K updates each, see
 * relay-workload.ts), measured in one run for:
 *   umbra   the compact change codec (shared/relay/change-codec.ts), frames of F shadows, brotli;
 *           with abbreviated deps (the receiver holds the base heads) and with full 32-byte deps;
 *   raw     raw Automerge changes, same frames, brotli (what the codec improves on);
 *   (a)     the changed fields as JSON lines, same frames, deflated: the practical lower bound;
 *   (b)     a Mosquitto-style bridge: every update forwarded as its own MQTT PUBLISH (QoS 1) carrying
 *           the full shadow document {state:{desired,reported},version,timestamp}, uncompressed.
 * Every Umbra frame is decoded and applied to a replica, whose heads must equal the origin's.
 * Then the convergence time of 10k changes through a 64 kbit/s, 300 ms RTT link between two real
 * nodes against the bandwidth bound (relay-convergence.ts; `--no-convergence` skips it).
 * Prints a table, then `BENCH_RESULT {json}`.
 */

import { parseArgs } from "node:util";
import { brotliCompressSync, constants, deflateRawSync } from "node:zlib";
import { ShadowDocument, sameHeads } from "../broker/shadow/shadow-doc.ts";
import { decodeChangeSets, encodeBatch } from "../shared/relay/change-codec.ts";
import { type ConvergenceResult, measureConvergence } from "./relay-convergence.ts";
import { buildWorkload, type Workload } from "./relay-workload.ts";

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    "per-shadow": { type: "string", default: "4" },
    "frame-shadows": { type: "string", default: "256" },
    quality: { type: "string", default: "9" },
    "dep-prefix": { type: "string", default: "4" },
    "no-convergence": { type: "boolean", default: false },
    "convergence-changes": { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (args.help) {
  process.stdout.write(`usage: npx tsx bench/relay-bench.ts [--quick] [--per-shadow K] [--frame-shadows F] [--quality Q]
  --quick            1k shadows only
  --per-shadow K     updates per shadow, default 4
  --frame-shadows F  shadows per frame, default 256
  --quality Q        brotli quality 0-11, default 9
  --dep-prefix B     bytes of abbreviated dependency hashes (2-32), default 4
  --no-convergence   skip the convergence run (two nodes, 64 kbit/s + 300 ms RTT proxy, ~1-2 min)
  --convergence-changes N  changes written at the edge for the convergence run, default 10000
                     (--quick: 1000)
`);
  process.exit(0);
}
const PER_SHADOW = Number(args["per-shadow"]);
const FRAME = Number(args["frame-shadows"]);
const QUALITY = Number(args.quality);
const DEP_PREFIX = Number(args["dep-prefix"]);
const SIZES = args.quick ? [1000] : [1000, 10_000];
const ORIGIN = "e1".repeat(16);
const log = (s: string) => process.stderr.write(`relay-bench: ${s}\n`);

const brotli = (b: Uint8Array) =>
  brotliCompressSync(b, {
    params: { [constants.BROTLI_PARAM_QUALITY]: QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: b.length },
  }).length;
const deflate = (b: Uint8Array) => deflateRawSync(b, { level: 9 }).length;
const utf8 = (s: string) => Buffer.from(s, "utf8");

function frames<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += FRAME) out.push(items.slice(i, i + FRAME));
  return out;
}

/** MQTT 3.1.1 PUBLISH QoS 1 size: fixed header (1 + remaining-length varint) + topic + packet id + payload. */
function publishBytes(topic: string, payload: number): number {
  const remaining = 2 + Buffer.byteLength(topic) + 2 + payload;
  return 1 + (remaining < 128 ? 1 : remaining < 16384 ? 2 : remaining < 2097152 ? 3 : 4) + remaining;
}

interface SizeResult {
  shadows: number;
  updates: number;
  perUpdate: { umbra: number; umbraFullDeps: number; raw: number; lowerBound: number; fullDocs: number };
  ratio: { toLowerBound: number; fullDocsOverUmbra: number };
  compact: number;
  encodeMs: number;
  decodeMs: number;
  /** ShadowDocument.applyRemote of the decoded changes (the engine's cost, not the codec's). */
  applyMs: number;
  /** Seconds to move the Umbra bytes through a 64 kbit/s link (the convergence bound). */
  boundSecs64k: number;
}

function measure(w: Workload): SizeResult {
  const updates = w.updates.length;
  let umbra = 0;
  let umbraFull = 0;
  let raw = 0;
  let compact = 0;
  let encodeMs = 0;
  let decodeMs = 0;
  let applyMs = 0;
  for (const frame of frames(w.shadows)) {
    const sets = frame.map((s) => ({ key: s.key, changes: s.changes }));
    let t = performance.now();
    const batch = encodeBatch(sets, { abbreviateDeps: true, depPrefixBytes: DEP_PREFIX });
    const size = brotli(batch.bytes);
    encodeMs += performance.now() - t;
    umbra += size;
    compact += batch.compact;
    umbraFull += brotli(encodeBatch(sets).bytes);
    raw += brotli(Buffer.concat(sets.flatMap((s) => s.changes)));
    // The receiver holds each shadow at the base heads (synced earlier); it decodes and applies.
    const replicas = new Map<string, ShadowDocument>();
    for (const s of frame) {
      const replica = ShadowDocument.create("e2".repeat(16));
      const all = s.doc.changesSince([]);
      replica.applyRemote(all.slice(0, all.length - s.changes.length));
      replicas.set(s.key, replica);
    }
    t = performance.now();
    const decoded = decodeChangeSets(batch.bytes, {
      resolveDep: (key, prefix) =>
        replicas
          .get(key)
          ?.heads()
          .find((h) => h.startsWith(prefix)),
    });
    decodeMs += performance.now() - t;
    t = performance.now();
    for (const set of decoded) replicas.get(set.key)?.applyRemote(set.changes);
    applyMs += performance.now() - t;
    for (const s of frame) {
      const replica = replicas.get(s.key) as ShadowDocument;
      if (!sameHeads(replica.heads(), s.doc.heads())) throw new Error(`replica of ${s.key} did not converge`);
      replica.free();
    }
  }
  let lower = 0;
  for (const frame of frames(w.updates)) {
    lower += deflate(utf8(frame.map((u) => JSON.stringify({ thing: u.thing, ...u.edits })).join("\n")));
  }
  let fullDocs = 0;
  for (const u of w.updates) {
    const doc = JSON.stringify({ state: u.state, version: u.version, timestamp: u.ts });
    fullDocs += publishBytes(`things/${u.thing}/shadow/update/documents`, Buffer.byteLength(doc));
  }
  const per = (n: number) => n / updates;
  return {
    shadows: w.shadows.length,
    updates,
    perUpdate: {
      umbra: per(umbra),
      umbraFullDeps: per(umbraFull),
      raw: per(raw),
      lowerBound: per(lower),
      fullDocs: per(fullDocs),
    },
    ratio: { toLowerBound: umbra / lower, fullDocsOverUmbra: fullDocs / umbra },
    compact: compact / updates,
    encodeMs,
    decodeMs,
    applyMs,
    boundSecs64k: (umbra * 8) / 64_000,
  };
}

async function main(): Promise<void> {
  const results: SizeResult[] = [];
  for (const n of SIZES) {
    log(`building ${n} shadows × ${PER_SHADOW} updates`);
    const w = buildWorkload(n, PER_SHADOW, ORIGIN);
    log(`measuring (frames of ${FRAME} shadows, brotli q${QUALITY})`);
    results.push(measure(w));
    for (const s of w.shadows) s.doc.free();
  }
  let convergence: ConvergenceResult | undefined;
  if (!args["no-convergence"]) {
    const changes = Number(args["convergence-changes"] ?? (args.quick ? 1000 : 10_000));
    convergence = await measureConvergence(changes, log);
  }
  const f = (x: number) => x.toFixed(1).padStart(8);
  const lines = [
    `relay wire bytes per shadow update (${PER_SHADOW} updates per shadow, frames of ${FRAME} shadows, ${DEP_PREFIX}-byte dep prefixes)`,
    `${"shadows".padEnd(8)}${"umbra".padStart(8)}${"fulldeps".padStart(9)}${"raw-am".padStart(8)}${"(a)json".padStart(8)}${"(b)docs".padStart(8)}  umbra/(a)  (b)/umbra  compact  encode ms  decode ms  apply ms  64k bound s`,
    ...results.map(
      (r) =>
        `${String(r.shadows).padEnd(8)}${f(r.perUpdate.umbra)}${f(r.perUpdate.umbraFullDeps).padStart(9)}${f(r.perUpdate.raw)}${f(r.perUpdate.lowerBound)}${f(r.perUpdate.fullDocs)}  ${r.ratio.toLowerBound.toFixed(2).padStart(9)}  ${r.ratio.fullDocsOverUmbra.toFixed(1).padStart(9)}  ${(100 * r.compact).toFixed(1).padStart(6)}%  ${r.encodeMs.toFixed(0).padStart(9)}  ${r.decodeMs.toFixed(0).padStart(9)}  ${r.applyMs.toFixed(0).padStart(8)}  ${r.boundSecs64k.toFixed(1).padStart(11)}`,
    ),
    ...(convergence
      ? [
          `convergence of ${convergence.changes} changes (${convergence.shadows} shadows) written at the edge, 64 kbit/s + 300 ms RTT: ${convergence.seconds.toFixed(1)} s (writes took ${convergence.writeSeconds.toFixed(1)} s)`,
          `  wire up ${convergence.wireBytesUp} B (${(convergence.wireBytesUp / convergence.changes).toFixed(1)} B/change), down ${convergence.wireBytesDown} B; frames ${convergence.framesSent}, retried ${convergence.framesRetried}`,
          `  bound (wire bytes / 8000 B/s) ${convergence.boundWireSecs.toFixed(1)} s → ${convergence.ratioWire.toFixed(2)}×; bound (codec bytes ${convergence.codecBytes} B / 8000 B/s) ${convergence.boundCodecSecs.toFixed(1)} s → ${convergence.ratioCodec.toFixed(2)}×`,
          `  convergence ≤ 1.5× the bandwidth bound: ${convergence.ratioWire <= 1.5 ? "met" : "MISSED"} (wire bytes), ${convergence.ratioCodec <= 1.5 ? "met" : "MISSED"} (codec bytes)`,
        ]
      : ["convergence: skipped (--no-convergence)"]),
    `targets: umbra ≤ 1.5× (a); (b) ≥ 5× umbra; convergence ≤ 1.5× the 64k bound`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  process.stdout.write(
    `BENCH_RESULT ${JSON.stringify({ perShadow: PER_SHADOW, frameShadows: FRAME, brotliQuality: QUALITY, depPrefixBytes: DEP_PREFIX, results, convergence })}\n`,
  );
}

await main();
