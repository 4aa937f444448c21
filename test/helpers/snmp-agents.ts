import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import snmp from "net-snmp";
import { tempDir } from "./node.ts";

/**
 * Real SNMP agents for the bridge's SNMP driver tests, on free loopback UDP ports: Debian's net-snmp
 * `snmpd` (the host's own MIB-II/IF-MIB, v2c and USM users) and `snmpsimd` (snmpsim: canned `.snmprec`
 * devices, with `writecache` cells that keep SET values).
 */

export const SNMPD_BIN = "/usr/sbin/snmpd";
export const SNMPSIMD_BIN = "/usr/bin/snmpsimd";

/** The USM users the test snmpd knows (test-only passphrases, never used outside these tests). */
export const SNMPD_USERS = {
  /** authPriv SHA/AES, read-write. */
  admin: {
    user: "umbra",
    authProtocol: "sha",
    authKey: "umbra-auth-key",
    privProtocol: "aes",
    privKey: "umbra-priv-key",
  },
  /** authPriv MD5/DES, read-only. */
  legacy: {
    user: "legacy",
    authProtocol: "md5",
    authKey: "legacy-auth-key",
    privProtocol: "des",
    privKey: "legacy-priv-key",
  },
  /** authNoPriv SHA, read-only. */
  authOnly: { user: "monitor", authProtocol: "sha", authKey: "monitor-auth-key" },
} as const;

export const SNMPD_COMMUNITY = "umbra-ro";
export const SNMPD_SYSNAME = "snmpd-under-test";
export const SNMPD_LOCATION = "rack-7";

export interface SnmpAgent {
  port: number;
  address: string;
  /** Agent output so far (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

/** A UDP port that was free a moment ago on 127.0.0.1. */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket("udp4");
    socket.once("error", reject);
    socket.bind(0, "127.0.0.1", () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

/** Resolves once the agent answers a v2c GET with `community` (any answer, even noSuchObject). */
async function waitForAgent(
  port: number,
  community: string,
  child: ChildProcess,
  log: () => string,
  limitMs: number,
) {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `SNMP agent exited (${child.exitCode ?? child.signalCode}) before answering: ${log().slice(-2000)}`,
      );
    }
    const session = snmp.createSession("127.0.0.1", community, {
      port,
      version: snmp.Version2c,
      timeout: 200,
      retries: 0,
    });
    session.on("error", () => {});
    const answered = await new Promise<boolean>((resolve) =>
      session.get(["1.3.6.1.2.1.1.5.0"], (err) => resolve(!err)),
    );
    session.close();
    if (answered) return;
  }
  throw new Error(
    `SNMP agent on udp 127.0.0.1:${port} not answering after ${limitMs} ms: ${log().slice(-2000)}`,
  );
}

function spawnAgent(bin: string, args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  let output = "";
  // Keep only the tail: snmpd prints hundreds of MIB-parsing warnings at start.
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.once("error", (err) => {
    output += String(err);
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(timer);
    }
  };
  return { child, log: () => output, stop };
}

/** Retries on another port when the probed port was taken in between. */
async function onFreePort(start: (port: number) => Promise<SnmpAgent>): Promise<SnmpAgent> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await start(await freeUdpPort());
    } catch (err) {
      lastError = err;
      if (!/in use|Error opening specified endpoint|bind/i.test((err as Error).message)) break;
    }
  }
  throw lastError;
}

/**
 * snmpd with a read-only v2c community and the SNMPD_USERS. sysLocation is set in the config (so it is
 * read-only: notWritable), sysContact is not (writable by the rw user). Each start is a new SNMP engine
 * (fresh persistent dir: new engine ID, boots 1); `fixedPort` restarts one on the port of an old one.
 */
export function startSnmpd(limitMs = 8000, fixedPort?: number): Promise<SnmpAgent> {
  const start = async (port: number): Promise<SnmpAgent> => {
    const dir = tempDir("umbra-snmpd-");
    const persist = join(dir, "persist");
    mkdirSync(persist);
    const { admin, legacy, authOnly } = SNMPD_USERS;
    const conf = join(dir, "snmpd.conf");
    writeFileSync(
      conf,
      [
        `agentAddress udp:127.0.0.1:${port}`,
        `rocommunity ${SNMPD_COMMUNITY} 127.0.0.1`,
        `createUser ${admin.user} SHA "${admin.authKey}" AES "${admin.privKey}"`,
        `rwuser ${admin.user} priv`,
        `createUser ${legacy.user} MD5 "${legacy.authKey}" DES "${legacy.privKey}"`,
        `rouser ${legacy.user} priv`,
        `createUser ${authOnly.user} SHA "${authOnly.authKey}"`,
        `rouser ${authOnly.user} auth`,
        `sysName ${SNMPD_SYSNAME}`,
        `sysLocation ${SNMPD_LOCATION}`,
        // A new engine ID per start (snmpd's default is derived from the host, so it would repeat).
        `engineID umbra-${randomBytes(6).toString("hex")}`,
        "",
      ].join("\n"),
    );
    const agent = spawnAgent(SNMPD_BIN, ["-f", "-Lo", "-C", "-c", conf, "-p", join(dir, "snmpd.pid")], {
      SNMP_PERSISTENT_DIR: persist,
    });
    const stop = async () => {
      await agent.stop();
      rmSync(dir, { recursive: true, force: true });
    };
    try {
      await waitForAgent(port, SNMPD_COMMUNITY, agent.child, agent.log, limitMs);
    } catch (err) {
      await stop();
      throw err;
    }
    return { port, address: `127.0.0.1:${port}`, log: agent.log, stop };
  };
  return fixedPort === undefined ? onFreePort(start) : start(fixedPort);
}

/**
 * snmpsimd serving `devices` (community name → .snmprec text; a community is the data file's name).
 * Runs as nobody when started as root (snmpsimd refuses to keep root privileges).
 */
export function startSnmpsim(devices: Record<string, string>, limitMs = 12_000): Promise<SnmpAgent> {
  return onFreePort(async (port) => {
    const dir = tempDir("umbra-snmpsim-");
    const data = join(dir, "data");
    const cache = join(dir, "cache");
    mkdirSync(data);
    mkdirSync(cache);
    for (const [community, text] of Object.entries(devices))
      writeFileSync(join(data, `${community}.snmprec`), text);
    chmodSync(dir, 0o755);
    chmodSync(data, 0o755);
    chmodSync(cache, 0o777);
    const args = [
      `--data-dir=${data}`,
      `--cache-dir=${cache}`,
      `--agent-udpv4-endpoint=127.0.0.1:${port}`,
      "--logging-method=stderr",
    ];
    if (process.getuid?.() === 0) args.push("--process-user=nobody", "--process-group=nogroup");
    const agent = spawnAgent(SNMPSIMD_BIN, args, {});
    const stop = async () => {
      await agent.stop();
      rmSync(dir, { recursive: true, force: true });
    };
    try {
      await waitForAgent(port, Object.keys(devices)[0] ?? "public", agent.child, agent.log, limitMs);
    } catch (err) {
      await stop();
      throw err;
    }
    return { port, address: `127.0.0.1:${port}`, log: agent.log, stop };
  });
}
