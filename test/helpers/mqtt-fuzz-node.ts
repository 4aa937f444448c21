import { rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import fc from "fast-check";
import { IdentityStore } from "../../broker/auth/identity-store.ts";
import { openDatabase } from "../../broker/store/database.ts";
import { DEFAULT_SECURITY, type SecurityLimits } from "../../shared/config.ts";
import { type FuzzCase, type FuzzCredentials, fuzzCases, varint } from "./mqtt-fuzz-cases.ts";
import {
  type CaseStats,
  type FuzzTarget,
  HealthyProbe,
  probeClientIds,
  procRss,
  runCase,
} from "./mqtt-fuzz-target.ts";
import { spawnNode, startTestNode, tempDir } from "./node.ts";

export type FuzzMode = "anonymous" | "secure";

/** A node to fuzz, its healthy probe, and the credentials fuzz CONNECTs may carry (secure mode). */
export interface FuzzNode {
  mode: FuzzMode;
  target: FuzzTarget;
  probe: HealthyProbe;
  creds?: FuzzCredentials;
  limit: number;
  stop(): Promise<void>;
}

/**
 * Limits of a fuzzed node. The login throttle is lifted: fuzz CONNECTs with a wrong password come from
 * 127.0.0.1 like the valid ones, and a blocked address would stop the fuzz from getting past CONNECT.
 */
function fuzzSecurity(): SecurityLimits {
  return {
    ...DEFAULT_SECURITY,
    loginMaxFailures: 1_000_000,
    requestRate: 1_000_000,
    requestBurst: 1_000_000,
  };
}

const PROBE_THING = "fuzz-healthy";

/** Starts a node in this process (`in-process`) or as `umbra broker` in a child process (`child`). */
export async function startFuzzNode(mode: FuzzMode, where: "in-process" | "child"): Promise<FuzzNode> {
  const security = fuzzSecurity();
  if (where === "in-process") {
    const node = await startTestNode({ allowAnonymous: mode === "anonymous", security });
    const creds = mode === "secure" ? fuzzIdentity(node.identities) : undefined;
    const probeCreds = mode === "secure" ? identity(node.identities, PROBE_THING) : undefined;
    const probe = await HealthyProbe.open(node.mqttPort, PROBE_THING, probeCreds);
    return {
      mode,
      target: {
        port: node.mqttPort,
        isUp: () => !node.broker.closed,
        rssBytes: () => process.memoryUsage().rss,
        clients: () => node.broker.connectedClients,
      },
      probe,
      creds,
      limit: security.maxPacketBytes,
      async stop() {
        await probe.close();
        await node.stop();
      },
    };
  }
  const dataDir = tempDir("umbra-fuzz-");
  let creds: FuzzCredentials | undefined;
  let probeCreds: FuzzCredentials | undefined;
  if (mode === "secure") {
    // Identities go in before the node starts (it locks the data dir, but admin commands may open it too).
    const db = openDatabase(dataDir);
    const ids = new IdentityStore(db);
    creds = fuzzIdentity(ids);
    probeCreds = identity(ids, PROBE_THING);
    db.close();
  }
  const env = {
    UMBRA_LOGIN_MAX_FAILURES: String(security.loginMaxFailures),
    UMBRA_LOG_LEVEL: "error",
    // glibc keeps freed heap memory (and raises its mmap threshold as large buffers come and go), so
    // the node's RSS would stay at its high-water mark. Fixed thresholds make RSS follow what the
    // node holds, which is what the memory rounds measure (measured: after-round noise from ~±100 MiB
    // down to ~±30 MiB). Ignored by other C libraries.
    MALLOC_MMAP_THRESHOLD_: "32768",
    MALLOC_TRIM_THRESHOLD_: "131072",
  };
  const proc = await spawnNode(["--data-dir", dataDir], env, 30_000, { secure: mode === "secure" });
  const pid = proc.child.pid as number;
  const probe = await HealthyProbe.open(proc.mqttPort, PROBE_THING, probeCreds);
  return {
    mode,
    target: {
      port: proc.mqttPort,
      isUp: () => proc.child.exitCode === null && proc.child.signalCode === null,
      rssBytes: () => procRss(pid),
    },
    probe,
    creds,
    limit: security.maxPacketBytes,
    async stop() {
      await probe.close();
      if (proc.child.exitCode === null) {
        proc.child.kill("SIGTERM");
        await proc.exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function identity(ids: IdentityStore, name: string): FuzzCredentials {
  return { username: name, password: ids.add(name, "device", name) };
}

/** The fuzz's own device identity; its CONNECTs also try to take over the probe's client ids. */
function fuzzIdentity(ids: IdentityStore): FuzzCredentials {
  return { ...identity(ids, "fuzz-dev"), stealIds: probeClientIds(PROBE_THING) };
}

/**
 * The fuzz property: after any case, the node is up and the healthy probe still gets PINGRESP and an
 * accepted shadow update.
 */
export function fuzzProperty(
  node: FuzzNode,
  onCase?: (c: FuzzCase, stats: CaseStats) => void,
): fc.IAsyncPropertyWithHooks<[FuzzCase]> {
  return fc.asyncProperty(fuzzCases({ limit: node.limit, creds: node.creds }), async (c) => {
    const stats = await runCase(node.target.port, c);
    if (!node.target.isUp()) throw new Error("the node is down");
    await node.probe.check();
    onCase?.(c, stats);
  });
}

export interface MemoryRound {
  /** RSS while `sockets` connections each held a nearly complete near-limit packet. */
  peak: number;
  /** RSS after they were all closed. */
  after: number;
}

/**
 * Memory pressure: `sockets` connections at once each send a PUBLISH header declaring a packet just
 * under the limit and all of its body but the last byte (the node must buffer it), plus as many
 * again declaring 2^28-1 bytes and sending a limit's worth of body (the node must drop them at the
 * header). Then all are closed; repeated rounds must not add up.
 */
export async function memoryRound(node: FuzzNode, sockets: number): Promise<MemoryRound> {
  const { port } = node.target;
  const len = node.limit - 8;
  const body = Buffer.alloc(len - 1, 0x42);
  const open: Socket[] = [];
  const wrote: Promise<void>[] = [];
  for (let i = 0; i < sockets; i++) {
    for (const declared of [len, 2 ** 28 - 1]) {
      const s = connect({ port, host: "127.0.0.1" });
      s.on("error", () => {});
      open.push(s);
      const bytes =
        declared === len ? Buffer.concat([Buffer.from([0x30]), varint(len), body]) : oversized(node.limit);
      wrote.push(new Promise<void>((resolve) => s.write(bytes, () => resolve())));
    }
  }
  await Promise.race([Promise.all(wrote), sleep(10_000)]);
  await node.probe.check(); // the node has taken in the bytes (it answers a later packet)
  const peak = node.target.rssBytes();
  for (const s of open) s.destroy();
  await sleep(300);
  await node.probe.check();
  return { peak, after: node.target.rssBytes() };
}

/** A header declaring 2^28-1 bytes followed by more body than the limit: the guard must stop it at the header. */
function oversized(limit: number): Buffer {
  return Buffer.concat([Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]), Buffer.alloc(limit, 0x43)]);
}

/**
 * Whether memory rounds left the node's RSS bounded: the lowest RSS after the last three rounds must
 * be within three rounds' worth of held bytes (sockets × limit) of `start`. Measured with 200 sockets
 * (50 MiB held per round): RSS after a round sits 20-70 MiB above the start, with single spikes of
 * ~120 MiB (hence the lowest of three). Keeping what a round holds would add 50 MiB per round: after 8
 * rounds at least 300 MiB.
 */
export function memoryBounded(start: number, rounds: MemoryRound[], sockets: number, limit: number): boolean {
  if (rounds.length < 3) throw new Error("memoryBounded needs at least 3 rounds");
  const settled = Math.min(...rounds.slice(-3).map((r) => r.after));
  return settled - start < 3 * sockets * limit;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export const MiB = 1024 * 1024;
export const mib = (n: number) => `${(n / MiB).toFixed(1)} MiB`;
