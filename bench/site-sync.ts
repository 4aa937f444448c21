/**
 * Relay sync cost at scale (docs/relay.md, "Digest repair"): a core with SHADOWS shadows, a fresh edge
 * that syncs them all, then a reconnect after the core changed CHANGED of them while the edge was down.
 * Two nodes in this process on loopback; prints bytes each way and time. Run:
 *   npx tsx bench/site-sync.ts            (env SHADOWS=3000 CHANGED=20)
 */
import type { LinkStats } from "../broker/relay/link.ts";
import { sameHeads } from "../broker/shadow/shadow-doc.ts";
import { startTestNode, type TestNode } from "../test/helpers/node.ts";

const SHADOWS = Number(process.env.SHADOWS ?? 3000);
const CHANGED = Number(process.env.CHANGED ?? 20);
const FAST = { syncDeltaMs: 20, syncMax: 100, allowAnonymous: false };
const addr = (i: number) => ({ thing: `pdu-${i}`, shadow: "" });

async function edgeOf(core: TestNode, dataDir?: string): Promise<TestNode> {
  if (core.identities.lookup("edge")) core.identities.revoke("edge");
  const password = core.identities.add("edge", "site", "*");
  return startTestNode({
    ...FAST,
    site: "edge",
    ...(dataDir ? { dataDir } : {}),
    parents: [{ name: "core", url: core.mqttUrl, user: "edge", password }],
  });
}

async function until(check: () => boolean, what: string, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const link = (n: TestNode) =>
  (n.extensions.get("relay") as unknown as { peers(): LinkStats[] }).peers()[0] as LinkStats;
const inSync = (a: TestNode, b: TestNode) => () => {
  for (let i = 0; i < SHADOWS; i++) {
    if (!sameHeads(a.store.open(addr(i)).doc.heads(), b.store.open(addr(i)).doc.heads())) return false;
  }
  return true;
};

const core = await startTestNode({ ...FAST, site: "core" });
for (let i = 0; i < SHADOWS; i += 500) {
  await Promise.all(
    Array.from({ length: Math.min(500, SHADOWS - i) }, (_, j) =>
      core.service.update(addr(i + j), JSON.stringify({ state: { reported: { watts: j, volts: 230 } } })),
    ),
  );
}
let t = Date.now();
const edge = await edgeOf(core);
await until(inSync(core, edge), "initial sync");
await new Promise((r) => setTimeout(r, 700));
let s = link(edge);
console.log(
  `initial sync of ${SHADOWS} shadows: ${Date.now() - t} ms, edge received ${s.bytesReceived} B (${(s.bytesReceived / SHADOWS).toFixed(1)} B/shadow), sent ${s.bytesSent} B`,
);
await edge.stop({ keepData: true });
for (let i = 0; i < CHANGED; i++) {
  await core.service.update(
    addr((i * 7919) % SHADOWS),
    JSON.stringify({ state: { reported: { watts: -1 } } }),
  );
}
t = Date.now();
const again = await edgeOf(core, edge.dataDir);
await until(inSync(core, again), "repair");
await new Promise((r) => setTimeout(r, 500));
s = link(again);
console.log(
  `reconnect after ${CHANGED} changes: ${Date.now() - t} ms, edge received ${s.bytesReceived} B, sent ${s.bytesSent} B, changes received ${s.changesReceived}, sent ${s.changesSent}`,
);
await again.stop();
await core.stop();
