import fc from "fast-check";
import { generate } from "mqtt-packet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FuzzCase, type SocketScript, varint } from "../helpers/mqtt-fuzz-cases.ts";
import {
  type FuzzMode,
  type FuzzNode,
  fuzzProperty,
  MiB,
  memoryBounded,
  memoryRound,
  mib,
  startFuzzNode,
} from "../helpers/mqtt-fuzz-node.ts";
import { runCase } from "../helpers/mqtt-fuzz-target.ts";

/**
 * Fuzz of the MQTT listener from raw sockets (issue 3). A fixed seed and a bounded number of runs keep
 * this file reproducible and fast; `npm run fuzz` (test/fuzz/mqtt-fuzz-run.ts) runs the same
 * properties much longer with a configurable seed.
 */
const SEED = 20_240_613;
const RUNS = 100;

const script = (kind: SocketScript["kind"], ...chunks: number[][]): SocketScript => ({
  kind,
  chunks: chunks.map((c) => Buffer.from(c)),
  delayMs: 1,
});

/** A CONNECT that the node accepts (with the node's fuzz credentials when it is secure); ids differ so none takes over another. */
function connect(node: FuzzNode, clientId: string): number[] {
  const creds = node.creds
    ? { username: node.creds.username, password: Buffer.from(node.creds.password) }
    : {};
  return [
    ...generate({ cmd: "connect", clientId, clean: true, keepalive: 60, ...creds }, { protocolVersion: 4 }),
  ];
}

/** Inputs the node must refuse by closing the connection at once (the packet guard or the parser). */
function mustClose(node: FuzzNode): SocketScript[] {
  const limit = node.limit;
  return [
    script("oversize", [0x30, 0xff, 0xff, 0xff, 0x7f]), // 268435455, the largest legal length
    script("oversize", [0x30, 0xff, 0xff, 0xff, 0xff, 0x01]), // a 5-byte varint
    script("oversize", [0x10, 0x80, 0x80, 0x80, 0x80, 0x00]), // 5 bytes that encode 0
    script("oversize", [0x30], [0xff], [0xff], [0xff], [0x7f]), // split byte by byte
    script("oversize", connect(node, "fz-c1"), [0x30, 0xff, 0xff, 0xff, 0x7f]), // after CONNECT
    script("declared", [0x30, ...varint(limit - 1)]), // limit + 2 bytes with the header, no body
    script("declared", connect(node, "fz-c2"), [0x82, ...varint(1_000_000)], [0x00, 0x01]),
    script("random", [0x00, 0x00]), // reserved packet type 0
    script("random", [0xf0, 0x00]), // reserved packet type 15 (AUTH is MQTT 5)
    script("random", [0x20, 0x02, 0x00, 0x00]), // CONNACK from a client
  ];
}

function startMode(mode: FuzzMode): { get: () => FuzzNode } {
  let node: FuzzNode | undefined;
  beforeAll(async () => {
    node = await startFuzzNode(mode, "in-process");
  });
  afterAll(async () => {
    await node?.stop();
  });
  return {
    get: () => {
      if (!node) throw new Error("node not started");
      return node;
    },
  };
}

async function waitFor(pred: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

describe.each(["anonymous", "secure"] as const)("MQTT listener fuzz, %s node", (mode) => {
  const nodeRef = startMode(mode);

  it("closes connections with oversize, malformed or forbidden packets at once and keeps serving", async () => {
    const node = nodeRef.get();
    const bad = mustClose(node);
    // All at once, interleaved, next to sessions that are fine and stay open.
    const ok = [
      script("valid", connect(node, "fz-c3"), [0xc0, 0x00]),
      script("declared", connect(node, "fz-c4"), [0x30, ...varint(100), 0x41]),
    ];
    const c: FuzzCase = { sockets: [...bad, ...ok] };
    const stats = await runCase(node.target.port, c, 1000);
    expect(stats.closed).toEqual([...bad.map(() => true), ...ok.map(() => false)]);
    expect(node.target.isUp()).toBe(true);
    await node.probe.check();
  });

  it("stays up and keeps serving a healthy client through random, mutated, truncated and oversize input", async () => {
    const node = nodeRef.get();
    const rssBefore = node.target.rssBytes();
    const kinds: Record<string, number> = {};
    let closed = 0;
    let sessions = 0;
    await fc.assert(
      fuzzProperty(node, (c, stats) => {
        closed += stats.closedByNode;
        sessions += stats.sessions;
        for (const s of c.sockets) kinds[s.kind] = (kinds[s.kind] ?? 0) + 1;
      }),
      // No shrinking: the node's state carries over from case to case, so once a case broke it every
      // smaller one fails too. The case reported is the one that broke it.
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    // The mqtt.js client pings every second on its own; it must have been answered and never dropped.
    await waitFor(() => node.probe.pingResponses > 0, 3000);
    expect(node.probe.pingResponses).toBeGreaterThan(0);
    expect(node.probe.drops).toBe(0);
    expect(node.probe.keepaliveConnected).toBe(true);
    // Every fuzz connection is gone from the broker: only the probe's two clients are left.
    await waitFor(() => node.target.clients?.() === 2, 3000);
    expect(node.target.clients?.()).toBe(2);
    // Every kind of input was exercised, and the node did refuse some of it.
    expect(Object.keys(kinds).sort()).toEqual([
      "declared",
      "mutated",
      "oversize",
      "random",
      "truncated",
      "valid",
    ]);
    expect(closed).toBeGreaterThan(RUNS / 2);
    // …and some got past CONNECT (with credentials on the secure node), so the session parser was fuzzed too.
    expect(sessions).toBeGreaterThan(RUNS / 20);
    const rssAfter = node.target.rssBytes();
    console.info(
      `[fuzz ${mode}] ${RUNS} cases, ${closed} sockets closed by the node, ${sessions} accepted, test-process RSS ${mib(rssBefore)} → ${mib(rssAfter)}`,
    );
    // In-process, RSS includes the test runner: only a gross leak can be told apart from noise.
    expect(rssAfter - rssBefore).toBeLessThan(256 * MiB);
  }, 30_000);
});

describe("MQTT listener memory under held and oversize packets (node as a child process)", () => {
  const SOCKETS = 200;
  const ROUNDS = 8;

  it("gives back what it buffered: rounds of near-limit and oversize packets do not add up", async () => {
    // The node's own RSS (VmRSS), not the test runner's: spawned as `umbra broker`.
    const node = await startFuzzNode("secure", "child");
    try {
      const start = node.target.rssBytes();
      const rounds = [];
      for (let r = 0; r < ROUNDS; r++) rounds.push(await memoryRound(node, SOCKETS));
      expect(node.target.isUp()).toBe(true);
      const line = rounds.map((r) => `${mib(r.peak)}/${mib(r.after)}`).join(", ");
      console.info(`[fuzz memory] node VmRSS start ${mib(start)}; rounds (peak/after close): ${line}`);
      // Each round holds SOCKETS × limit (50 MiB); keeping it would add 400 MiB over 8 rounds.
      expect(memoryBounded(start, rounds, SOCKETS, node.limit)).toBe(true);
    } finally {
      await node.stop();
    }
  }, 30_000);
});
