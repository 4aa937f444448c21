import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import type { MqttClient } from "mqtt";
import { generate } from "mqtt-packet";
import { connectClient } from "./mqtt.ts";
import type { FuzzCase, FuzzCredentials, SocketScript } from "./mqtt-fuzz-cases.ts";
import { RawClient } from "./raw-mqtt.ts";

/** The node under fuzz, in this process or a child process. */
export interface FuzzTarget {
  port: number;
  /** False once the node died (child exited, broker closed). */
  isUp(): boolean;
  /** Resident memory of the process that runs the node. */
  rssBytes(): number;
  /** MQTT clients the broker holds (in-process only). */
  clients?(): number;
}

/** VmRSS of a process from /proc (Linux), in bytes. */
export function procRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  if (!kb) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(kb[1]) * 1024;
}

export interface CaseStats {
  /** Sockets the node closed before the case ended (refused, protocol error, limit). */
  closedByNode: number;
  /** Per socket of the case, in order: whether the node closed it. */
  closed: boolean[];
  /** Bytes the node sent back on the fuzz sockets. */
  bytesBack: number;
  /** Sockets whose session the node accepted (CONNACK 0): the fuzz got past authentication there. */
  sessions: number;
}

const CONNACK_OK = Buffer.from([0x20, 0x02, 0x00, 0x00]);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: "127.0.0.1" });
    s.once("connect", () => {
      s.removeListener("error", reject);
      resolve(s);
    });
    s.once("error", reject);
  });
}

async function play(port: number, script: SocketScript, settleMs: number, stats: CaseStats, i: number) {
  const socket = await openSocket(port);
  let closed = false;
  socket.on("error", () => {}); // a reset by the node is an outcome, not a test error
  let first = Buffer.alloc(0);
  socket.on("data", (d: Buffer) => {
    if (first.length < 4) first = Buffer.concat([first, d]).subarray(0, 4);
    stats.bytesBack += d.length;
  });
  socket.once("close", () => {
    closed = true;
  });
  for (const [i, chunk] of script.chunks.entries()) {
    if (closed) break;
    if (i > 0 && script.delayMs > 0) await sleep(script.delayMs);
    socket.write(chunk);
  }
  // Give the node time to react (answer, refuse, close); stop early once it closed the socket.
  const deadline = Date.now() + settleMs;
  while (!closed && Date.now() < deadline) await sleep(5);
  stats.closed[i] = closed;
  if (first.equals(CONNACK_OK)) stats.sessions++;
  if (closed) stats.closedByNode++;
  else socket.destroy();
}

/** Plays every socket of a case concurrently; all sockets are gone when it resolves. */
export async function runCase(port: number, c: FuzzCase, settleMs = 25): Promise<CaseStats> {
  const stats: CaseStats = { closedByNode: 0, closed: [], bytesBack: 0, sessions: 0 };
  await Promise.all(c.sockets.map((s, i) => play(port, s, settleMs, stats, i)));
  return stats;
}

/**
 * Clients that stay connected for the whole fuzz run and prove the node still serves: a raw client
 * that pings and updates its shadow after every case, and an mqtt.js client whose own keepalive
 * (1 s) must keep getting PINGRESP without the connection ever dropping.
 */
export class HealthyProbe {
  pingResponses = 0;
  drops = 0;
  private token = 0;

  private constructor(
    private readonly raw: RawClient,
    private readonly keepalive: MqttClient,
    private readonly thing: string,
  ) {
    keepalive.on("packetreceive", (p) => {
      if (p.cmd === "pingresp") this.pingResponses++;
    });
    keepalive.on("close", () => this.drops++);
  }

  static async open(port: number, thing: string, creds?: FuzzCredentials): Promise<HealthyProbe> {
    const raw = await RawClient.open(port);
    raw.sendBytes(
      generate(
        {
          cmd: "connect",
          clientId: probeClientIds(thing)[0],
          clean: true,
          keepalive: 0,
          ...credFields(creds),
        },
        { protocolVersion: 4 },
      ),
    );
    const connack = await raw.next("connack");
    if (connack.returnCode !== 0) throw new Error(`healthy raw client refused: ${connack.returnCode}`);
    const sub = await raw.subscribe([{ topic: `$umbra/things/${thing}/shadow/update/+`, qos: 1 }]);
    if (sub.granted[0] === 128) throw new Error("healthy raw client may not subscribe to its shadow");
    const keepalive = await connectClient(`mqtt://127.0.0.1:${port}`, {
      clientId: probeClientIds(thing)[1],
      keepalive: 1,
      ...(creds ? { username: creds.username, password: creds.password } : {}),
    });
    return new HealthyProbe(raw, keepalive, thing);
  }

  /** PINGREQ → PINGRESP, then a shadow update → accepted. Throws with the reason otherwise. */
  async check(timeoutMs = 5000): Promise<void> {
    if (!this.raw.isOpen) throw new Error("healthy raw client was disconnected");
    await this.raw.ping(timeoutMs);
    const clientToken = `probe-${++this.token}`;
    const base = `$umbra/things/${this.thing}/shadow/update`;
    await this.raw.publish(base, JSON.stringify({ state: { reported: { n: this.token } }, clientToken }), {
      qos: 1,
    });
    const reply = await this.raw.take(
      "publish",
      (p) =>
        (p.topic === `${base}/accepted` || p.topic === `${base}/rejected`) &&
        p.payload.toString().includes(`"${clientToken}"`),
      timeoutMs,
    );
    if (!reply.topic.endsWith("/accepted")) throw new Error(`healthy update rejected: ${reply.payload}`);
    this.raw.drainPublishes(); // deltas and documents are not needed; keep the buffer small
  }

  get keepaliveConnected(): boolean {
    return this.keepalive.connected;
  }

  async close(): Promise<void> {
    await this.raw.destroy();
    await this.keepalive.endAsync(true);
  }
}

/** The client ids of a probe's raw and mqtt.js clients. */
export function probeClientIds(thing: string): [string, string] {
  return [`healthy-raw-${thing}`, `healthy-mqttjs-${thing}`];
}

function credFields(creds?: FuzzCredentials) {
  return creds ? { username: creds.username, password: Buffer.from(creds.password) } : {};
}
