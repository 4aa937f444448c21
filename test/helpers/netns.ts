import { type ChildProcess, execFileSync, type SpawnOptions, spawn } from "node:child_process";
import { randomInt } from "node:crypto";

/**
 * A real network link for relay tests: a private network namespace joined to the host by a veth pair,
 * with `tc … tbf` rate caps (both directions) and nftables `numgen random` drops for packet loss (both
 * directions, rules inside the namespace so the host's firewall is untouched). This kernel has no
 * netem, so latency stays the fault proxy's job. Needs root (CI is root); `netnsAvailable()` says
 * whether this process can build one. Every command is bounded by a timeout, and `close()` removes the
 * namespace, the veth pair and every process started with `spawn`.
 */
export interface NetnsLinkOptions {
  /** Rate cap per direction, kbit/s (tbf). Omit for no cap. */
  rateKbit?: number;
  /** Packet loss per direction, percent (0-100). */
  lossPercent?: number;
  /**
   * How long a packet may wait in the rate limiter's queue before tbf drops it (sets the queue size):
   * default 2000 ms, a modem-like buffer. Shorter queues make TCP lose packets to the shaper itself.
   */
  queueMs?: number;
}

export interface NetnsLink {
  readonly ns: string;
  /** The host's address on the veth (reachable from inside the namespace). */
  readonly hostAddr: string;
  /** The namespace's address (reachable from the host). */
  readonly nsAddr: string;
  /** Starts a process inside the namespace; it is killed by `close()`. */
  spawn(command: string, args: string[], options?: SpawnOptions): ChildProcess;
  /** Runs a command inside the namespace and returns its stdout. */
  exec(command: string, args: string[]): string;
  setRate(kbit: number | undefined): void;
  setLoss(percent: number): void;
  /** Packets and bytes the loss rules dropped so far (both directions). */
  drops(): { packets: number; bytes: number };
  close(): void;
}

const TIMEOUT_MS = 5000;

function run(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, {
      timeout: TIMEOUT_MS,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`netns: '${cmd} ${args.join(" ")}' failed: ${(e.stderr || e.message).trim()}`);
  }
}

/** Whether this process may create network namespaces (root with `ip`, `tc` and `nft` installed). */
export function netnsAvailable(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    for (const tool of ["ip", "tc", "nft"])
      execFileSync("which", [tool], { stdio: "ignore", timeout: TIMEOUT_MS });
    return true;
  } catch {
    return false;
  }
}

export function createNetnsLink(options: NetnsLinkOptions = {}): NetnsLink {
  const id = `${process.pid.toString(36)}${randomInt(36 ** 3).toString(36)}`.slice(-7);
  const ns = `umbra-${id}`;
  const hostIf = `uh${id}`;
  const nsIf = `un${id}`;
  // A random /30 in 10.200.0.0/13, so parallel test files do not collide.
  const base = randomInt(0, 1 << 17) * 4;
  const addr = (n: number) => `10.${200 + ((base + n) >> 16)}.${((base + n) >> 8) & 255}.${(base + n) & 255}`;
  const hostAddr = addr(1);
  const nsAddr = addr(2);
  const children = new Set<ChildProcess>();
  const inNs = (cmd: string, args: string[]) => run("ip", ["netns", "exec", ns, cmd, ...args]);
  let closed = false;

  const close = () => {
    if (closed) return;
    closed = true;
    for (const c of children) if (c.exitCode === null && c.pid) c.kill("SIGKILL");
    try {
      run("ip", ["link", "del", hostIf]);
    } catch {
      // already gone with the namespace
    }
    try {
      run("ip", ["netns", "del", ns]);
    } catch {
      // not created
    }
  };

  const setRate = (kbit: number | undefined) => {
    for (const [exec, dev] of [
      [run, hostIf],
      [inNs, nsIf],
    ] as const) {
      try {
        exec("tc", ["qdisc", "del", "dev", dev, "root"]);
      } catch {
        // no qdisc yet
      }
      // burst ≈ 1/20 s of traffic (at least one MTU); latency bounds the queue, so excess is dropped
      // like on a real slow link rather than buffered without limit.
      if (kbit) {
        const burst = Math.max(1600, Math.round((kbit * 1000) / 8 / 20));
        exec("tc", [
          "qdisc",
          "add",
          "dev",
          dev,
          "root",
          "tbf",
          "rate",
          `${kbit}kbit`,
          "burst",
          String(burst),
          "latency",
          "500ms",
        ]);
      }
    }
  };

  const setLoss = (percent: number) => {
    inNs("nft", ["flush", "chain", "inet", "umbra_loss", "in"]);
    inNs("nft", ["flush", "chain", "inet", "umbra_loss", "out"]);
    if (percent <= 0) return;
    const p = String(Math.min(100, Math.round(percent)));
    inNs("nft", [
      "add",
      "rule",
      "inet",
      "umbra_loss",
      "in",
      "iifname",
      nsIf,
      "numgen",
      "random",
      "mod",
      "100",
      "<",
      p,
      "counter",
      "drop",
    ]);
    inNs("nft", [
      "add",
      "rule",
      "inet",
      "umbra_loss",
      "out",
      "oifname",
      nsIf,
      "numgen",
      "random",
      "mod",
      "100",
      "<",
      p,
      "counter",
      "drop",
    ]);
  };

  try {
    run("ip", ["netns", "add", ns]);
    inNs("ip", ["link", "set", "lo", "up"]);
    run("ip", ["link", "add", hostIf, "type", "veth", "peer", "name", nsIf, "netns", ns]);
    run("ip", ["addr", "add", `${hostAddr}/30`, "dev", hostIf]);
    // No segmentation offload: one packet on the wire is one packet for tbf and the loss rule
    // (with GSO a 64 kB super-packet would be dropped or shaped as one).
    run("ip", ["link", "set", "dev", hostIf, "gso_max_size", "1500"]);
    inNs("ip", ["link", "set", "dev", nsIf, "gso_max_size", "1500"]);
    run("ip", ["link", "set", hostIf, "up"]);
    inNs("ip", ["addr", "add", `${nsAddr}/30`, "dev", nsIf]);
    inNs("ip", ["link", "set", nsIf, "up"]);
    inNs("nft", ["add", "table", "inet", "umbra_loss"]);
    inNs("nft", ["add", "chain", "inet", "umbra_loss", "in", "{ type filter hook input priority 0; }"]);
    inNs("nft", ["add", "chain", "inet", "umbra_loss", "out", "{ type filter hook output priority 0; }"]);
    setRate(options.rateKbit);
    setLoss(options.lossPercent ?? 0);
  } catch (err) {
    close();
    throw err;
  }

  return {
    ns,
    hostAddr,
    nsAddr,
    spawn(command, args, spawnOptions = {}) {
      const child = spawn("ip", ["netns", "exec", ns, command, ...args], { stdio: "pipe", ...spawnOptions });
      children.add(child);
      child.on("exit", () => children.delete(child));
      return child;
    },
    exec: inNs,
    setRate,
    setLoss,
    drops() {
      const json = JSON.parse(inNs("nft", ["-j", "list", "table", "inet", "umbra_loss"])) as {
        nftables: { rule?: { expr: { counter?: { packets: number; bytes: number } }[] } }[];
      };
      let packets = 0;
      let bytes = 0;
      for (const item of json.nftables) {
        for (const e of item.rule?.expr ?? []) {
          packets += e.counter?.packets ?? 0;
          bytes += e.counter?.bytes ?? 0;
        }
      }
      return { packets, bytes };
    },
    close,
  };
}
