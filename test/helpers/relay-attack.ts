import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { brotliCompressSync, constants } from "node:zlib";
import { pino } from "pino";
import { loadConfig } from "../../broker/config-load.ts";
import { startNode } from "../../broker/node.ts";
import type { NodeConfig } from "../../shared/config.ts";
import { encodeFrame, type RelayedMessage } from "../../shared/relay/protocol.ts";
import type { TestNode } from "./node.ts";

/**
 * What a hostile child site sends its parent (issue 17): decompression bombs, malformed frames with
 * huge fields, messages frames on topics outside its grant. Also a node whose log lines a test can read.
 */

/** `UR\x01` + brotli(u32 header length + `plainBytes` of header): ~100 bytes on the wire. */
export function bombFrame(plainBytes = 60 * 1024 * 1024): Buffer {
  const plain = Buffer.alloc(plainBytes, 0x61);
  plain.writeUInt32BE(plainBytes - 4, 0);
  const packed = brotliCompressSync(plain, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } });
  return Buffer.concat([Buffer.from([0x55, 0x52, 1]), packed]);
}

/** A messages frame relaying `messages` (topic and payload; origin, seq and time filled in). */
export function messagesFrame(messages: { topic: string; payload: Uint8Array | string }[], seq = 1): Buffer {
  const relayed: RelayedMessage[] = messages.map((m, i) => ({
    origin: "rogue-outbox",
    seq: seq * 1000 + i,
    topic: m.topic,
    ts: Date.now(),
    qos: 1,
    payload: typeof m.payload === "string" ? new Uint8Array(Buffer.from(m.payload)) : m.payload,
  }));
  return Buffer.from(
    encodeFrame({ t: "messages", epoch: 1, seq, sentAt: Date.now(), floor: 0, messages: relayed }),
  );
}

export const helloFrame = (site: string): Buffer =>
  Buffer.from(encodeFrame({ t: "hello", site, epoch: 7, v: 1 }));

export interface LoggedNode extends TestNode {
  /** Every log line so far (parsed pino JSON). */
  lines: Record<string, unknown>[];
}

/** A node requiring credentials whose log (at `level`) is kept in memory. */
export async function startLoggedNode(
  overrides: Partial<NodeConfig> = {},
  level: "debug" | "info" | "warn" = "warn",
): Promise<LoggedNode> {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split("\n")) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  const dataDir = mkdtempSync(join(tmpdir(), "umbra-sec-"));
  const config = {
    ...loadConfig({
      flags: { mqttPort: 0, httpPort: 0, site: "core", host: "127.0.0.1", requestRate: 1_000_000 },
    }),
    dataDir,
    allowAnonymous: false,
    ...overrides,
  };
  const node = await startNode(config, pino({ level }, sink));
  return Object.assign(node, {
    lines,
    mqttPort: Number(new URL(node.mqttUrl).port),
    httpPort: Number(new URL(node.httpUrl).port),
    dataDir,
    async stop() {
      await node.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}
