/**
 * Digest repair of many shadows (docs/relay.md, "Digest repair"): a core holding SHADOWS shadows and a
 * fresh edge open a link, so every bucket differs and each side sends the heads of all its shadows.
 * Two real nodes in this process; their links talk over an in-memory wire that looks at each frame.
 * Prints the time until both hold the same heads, the frames by kind, the biggest heads frame
 * (inflated: what the receiver parses on its event loop) and the event loop's worst delay. Run:
 *   npx tsx bench/heads-repair.ts            (env SHADOWS=20000)
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { brotliDecompressSync } from "node:zlib";
import { RelayLink } from "../broker/relay/link.ts";
import { linkOptions } from "../broker/relay/relay-config.ts";
import type { RelayExtension } from "../broker/relay/relay-extension.ts";
import { sameHeads } from "../broker/shadow/shadow-doc.ts";
import { createLogger } from "../shared/logger.ts";
import { shadowKey } from "../shared/topics.ts";
import { startTestNode } from "../test/helpers/node.ts";

const SHADOWS = Number(process.env.SHADOWS ?? 20_000);
const addr = (i: number) => ({ thing: `pdu-${i}`, shadow: "" });

const core = await startTestNode({ site: "core", logLevel: "silent" });
const edge = await startTestNode({ site: "edge", logLevel: "silent" });
for (let i = 0; i < SHADOWS; i += 500) {
  await Promise.all(
    Array.from({ length: Math.min(500, SHADOWS - i) }, (_, j) =>
      core.service.update(addr(i + j), JSON.stringify({ state: { reported: { watts: j, volts: 230 } } })),
    ),
  );
}

const kinds = new Map<string, { frames: number; bytes: number; maxPlain: number }>();
function look(bytes: Uint8Array): void {
  const plain = brotliDecompressSync(bytes.subarray(3));
  const n = plain.readUInt32BE(0);
  const t = String((JSON.parse(plain.subarray(4, 4 + n).toString()) as { t: string }).t);
  const k = kinds.get(t) ?? { frames: 0, bytes: 0, maxPlain: 0 };
  k.frames++;
  k.bytes += bytes.byteLength;
  k.maxPlain = Math.max(k.maxPlain, plain.byteLength);
  kinds.set(t, k);
}

const options = linkOptions(core.config);
const links: RelayLink[] = [];
for (const [i, node] of [edge, core].entries()) {
  const link = new RelayLink(
    i === 0 ? "parent:core" : "child:edge",
    {
      site: i === 0 ? "edge" : "core",
      side: i === 0 ? "child" : "parent",
      service: node.service,
      store: node.store,
      state: (node.extensions.get("relay") as RelayExtension).state,
      log: createLogger("silent"),
      allows: () => true,
      send: (bytes) => {
        look(bytes);
        setImmediate(() => links[1 - i]?.receive(bytes));
        return true;
      },
    },
    options,
  );
  links.push(link);
  node.service.on("change", (c) => {
    if (c.origin !== link.peer) link.markDirty(shadowKey(c.addr), c.addr.thing);
  });
}

/** Whether both hold the same heads; checks 200 shadows per turn of the event loop (never stalls it). */
let checked = 0;
async function inSync(): Promise<boolean> {
  for (; checked < SHADOWS; checked++) {
    if (checked % 200 === 0) await new Promise((r) => setImmediate(r));
    const a = core.store.open(addr(checked)).doc.heads();
    if (!sameHeads(a, edge.store.open(addr(checked)).doc.heads())) return false;
  }
  return true;
}
const delay = monitorEventLoopDelay({ resolution: 5 });
delay.enable();
const cpu = process.cpuUsage();
const t = performance.now();
links[0]?.open();
const deadline = Date.now() + 600_000;
while (!(await inSync())) {
  if (Date.now() > deadline) throw new Error("timed out");
  await new Promise((r) => setTimeout(r, 50));
}
const ms = performance.now() - t;
const used = process.cpuUsage(cpu);
delay.disable();
console.log(
  `repair of ${SHADOWS} shadows (fresh edge): ${ms.toFixed(0)} ms wall, ${((used.user + used.system) / 1000).toFixed(0)} ms CPU, event loop delay max ${(delay.max / 1e6).toFixed(0)} ms`,
);
for (const [t, k] of [...kinds].sort())
  console.log(
    `  ${t.padEnd(8)} ${String(k.frames).padStart(5)} frames, ${k.bytes} B sent, biggest inflated ${k.maxPlain} B`,
  );
for (const l of links) await l.shutdown();
await edge.stop();
await core.stop();
