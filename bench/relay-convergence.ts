/**
 * Convergence time of the relay over a 64 kbit/s, 300 ms RTT link (part of `npm run bench:relay`).
 *
 * Two real nodes in this process (core, edge) with site identities; the edge dials the core through the
 * fault-injecting TCP proxy (test/helpers/fault-proxy.ts) shaped to 8000 B/s and 150 ms latency each
 * way. The shadows are created at the edge and synced over the unshaped link first (the core holds
 * their base heads, as in steady state); then the link is shaped and the edge writes CHANGES small,
 * realistic updates spread over CHANGES / 4 shadows (relay-workload.ts: mostly two reported leaves,
 * some outlet toggles and desired settings), as fast as its group commit takes them. We time from
 * the first write until the core holds every shadow at the edge's heads.
 *
 * The bandwidth bound is the bytes that had to cross divided by 8000 B/s, counted two ways:
 *   wire   the bytes the proxy forwarded upstream during the run (frames + MQTT headers + repair);
 *   codec  the same changes encoded offline by the relay codec (frames of 256 shadows, brotli q9):
 *          what an ideal sender would need; it shows how much the engine's framing costs over that.
 *
 * Sync settings (documented in docs/relay.md, "Slow links"): linkRate 7600 B/s (95 % of the link, so
 * MQTT headers and acks fit and nothing queues in the link beyond the one-second burst; without a
 * budget the 8 frames in flight sit in the link for longer than the ack timeout and get resent),
 * syncDeltaMs 1000 and syncMax 1000 (a frame every second or when a thousand shadows wait: big
 * frames compress better), relayAckTimeoutMs 10000 (the default: several frames can queue in a 300 ms
 * link without a spurious resend).
 */
import { brotliCompressSync, constants } from "node:zlib";
import type { LinkStats } from "../broker/relay/link.ts";
import { sameHeads } from "../broker/shadow/shadow-doc.ts";
import { encodeBatch } from "../shared/relay/change-codec.ts";
import { type FaultProxy, startFaultProxy } from "../test/helpers/fault-proxy.ts";
import { startTestNode, type TestNode } from "../test/helpers/node.ts";
import { buildWorkload } from "./relay-workload.ts";

export interface ConvergenceResult {
  changes: number;
  shadows: number;
  seconds: number;
  /** Seconds the edge took to accept all writes (the writes overlap the transfer). */
  writeSeconds: number;
  wireBytesUp: number;
  wireBytesDown: number;
  codecBytes: number;
  boundWireSecs: number;
  boundCodecSecs: number;
  ratioWire: number;
  ratioCodec: number;
  framesSent: number;
  framesRetried: number;
}

const RATE = 8000;
const LATENCY_MS = 150;
const PER_SHADOW = 4;

const addr = (thing: string) => ({ thing, shadow: "" });

async function until(check: () => boolean, what: string, ms: number, every = 50): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

function relayOf(n: TestNode): { peers(): LinkStats[] } {
  return n.extensions.get("relay") as unknown as { peers(): LinkStats[] };
}

/** Runs the measurement; `log` gets progress lines. Every node and socket is closed before it returns. */
export async function measureConvergence(
  changes: number,
  log: (s: string) => void,
): Promise<ConvergenceResult> {
  // The workload: base documents plus `changes` updates. Its docs hold the same history the edge will
  // write, so the codec's offline size of exactly these updates is the ideal sender's bytes.
  const shadowsWanted = Math.ceil(changes / PER_SHADOW);
  const w = buildWorkload(shadowsWanted + Math.ceil(shadowsWanted / 10), PER_SHADOW, "e1".repeat(16), 11);
  const updates = w.updates.slice(0, changes);
  const things = [...new Set(updates.map((u) => u.thing))];
  const initial = new Map(w.shadows.map((s) => [s.key, s.initial]));

  const sync = { syncDeltaMs: 1000, syncMax: 1000, linkRate: Math.floor(RATE * 0.95), allowAnonymous: false };
  let core: TestNode | undefined;
  let edge: TestNode | undefined;
  let proxy: FaultProxy | undefined;
  try {
    core = await startTestNode({ ...sync, site: "core" });
    proxy = await startFaultProxy({ targetPort: core.mqttPort });
    const password = core.identities.add("edge", "site", "*");
    edge = await startTestNode({
      ...sync,
      site: "edge",
      parents: [{ name: "core", url: proxy.url, user: "edge", password }],
    });
    const c = core;
    const e = edge;
    const p = proxy;

    // The base state of every shadow, synced over the unshaped link (not timed).
    log(`convergence: creating ${things.length} shadows at the edge and syncing them (unshaped)`);
    for (let i = 0; i < things.length; i += 500) {
      await Promise.all(
        things.slice(i, i + 500).map(async (t) => {
          const r = await e.service.update(addr(t), JSON.stringify({ state: initial.get(t) }));
          if (!r.ok) throw new Error(`base write of ${t} failed: ${JSON.stringify(r.error)}`);
        }),
      );
    }
    const inSync = () =>
      things.every((t) => sameHeads(c.store.open(addr(t)).doc.heads(), e.store.open(addr(t)).doc.heads()));
    await until(inSync, "base sync", 120_000, 200);
    // Let acks and persisted state settle, so the measured phase starts from a quiet link.
    await until(() => (relayOf(e).peers()[0]?.pendingChanges ?? 1) === 0, "base acks", 30_000);
    await new Promise((r) => setTimeout(r, 1500));
    const baseHeads = new Map(things.map((t) => [t, e.store.open(addr(t)).doc.heads()]));

    const shape = { latencyMs: LATENCY_MS, bytesPerSec: RATE };
    p.shape("both", shape);
    const upBefore = p.bytes.up.forwarded;
    const downBefore = p.bytes.down.forwarded;
    const before = relayOf(e).peers()[0] as LinkStats;
    log(`convergence: writing ${updates.length} updates at the edge through a 64 kbit/s, 300 ms RTT link`);
    const started = performance.now();
    // A timeline on stderr: shows whether the link idles (CPU, window, budget) or stays full.
    const timeline = setInterval(() => {
      const st = relayOf(e).peers()[0] as LinkStats;
      log(
        `  t=${((performance.now() - started) / 1000).toFixed(1)} s  up ${p.bytes.up.forwarded - upBefore} B  queued in link ${p.pending("up")} B  pending shadows ${st.pendingChanges}  in flight ${st.pendingBytes} B`,
      );
    }, 2000);
    const batch = 200;
    for (let i = 0; i < updates.length; i += batch) {
      await Promise.all(
        updates.slice(i, i + batch).map(async (u) => {
          const r = await e.service.update(addr(u.thing), JSON.stringify({ state: u.edits }));
          if (!r.ok) throw new Error(`write to ${u.thing} failed: ${JSON.stringify(r.error)}`);
        }),
      );
    }
    const writeSeconds = (performance.now() - started) / 1000;
    log(`convergence: edge accepted the writes in ${writeSeconds.toFixed(1)} s; waiting for the core`);
    await until(inSync, "convergence", 600_000, 100).finally(() => clearInterval(timeline));
    const seconds = (performance.now() - started) / 1000;
    const after = relayOf(e).peers()[0] as LinkStats;

    // What an ideal sender needs: the edge's changes since the base, in frames of 256 shadows.
    let codecBytes = 0;
    const sets = things.map((t) => {
      const doc = e.store.open(addr(t)).doc;
      return { key: t, changes: doc.changesSince(baseHeads.get(t) ?? []) };
    });
    for (let i = 0; i < sets.length; i += 256) {
      const b = encodeBatch(sets.slice(i, i + 256), { abbreviateDeps: true, depPrefixBytes: 4 });
      codecBytes += brotliCompressSync(b.bytes, {
        params: { [constants.BROTLI_PARAM_QUALITY]: 9, [constants.BROTLI_PARAM_SIZE_HINT]: b.bytes.length },
      }).length;
    }
    const wireBytesUp = p.bytes.up.forwarded - upBefore;
    const wireBytesDown = p.bytes.down.forwarded - downBefore;
    const sent = sets.reduce((n, s) => n + s.changes.length, 0);
    if (sent !== updates.length)
      throw new Error(`the edge holds ${sent} changes past the base, expected ${updates.length}`);
    return {
      changes: updates.length,
      shadows: things.length,
      seconds,
      writeSeconds,
      wireBytesUp,
      wireBytesDown,
      codecBytes,
      boundWireSecs: wireBytesUp / RATE,
      boundCodecSecs: codecBytes / RATE,
      ratioWire: seconds / (wireBytesUp / RATE),
      ratioCodec: seconds / (codecBytes / RATE),
      framesSent: after.framesSent - before.framesSent,
      framesRetried: after.framesRetried - before.framesRetried,
    };
  } finally {
    await edge?.stop();
    await proxy?.close();
    await core?.stop();
    for (const s of w.shadows) s.doc.free();
  }
}
