/**
 * Sparkplug B ingest through the node's host application: E edge nodes × D devices publish DDATA
 * with K numeric metrics (by alias) as fast as their connections allow; measures messages/s and
 * metric samples/s the host decodes and hands to telemetry, and how many shadow changes that cost
 * (the reported rate bound). Run: `npx tsx bench/sparkplug-bench.ts [edges] [devices] [messages/device] [metrics]`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import sparkplugPayload from "sparkplug-payload";
import { loadConfig } from "../broker/config-load.ts";
import { startNode } from "../broker/node.ts";
import type { SparkplugHost } from "../broker/sparkplug/host.ts";
import { createLogger } from "../shared/logger.ts";

const [edges = 10, devices = 10, perDevice = 200, metrics = 10] = process.argv.slice(2).map(Number);
const codec = sparkplugPayload.get("spBv1.0");
if (!codec) throw new Error("no spBv1.0 codec");
const enc = (p: unknown) => Buffer.from(codec.encodePayload(p as never));

const dataDir = mkdtempSync(join(tmpdir(), "umbra-spbench-"));
const config = {
  ...loadConfig({
    flags: { mqttPort: 0, httpPort: 0, site: "bench", host: "127.0.0.1", allowAnonymous: true },
  }),
  dataDir,
};
const node = await startNode(config, createLogger("silent"));
const host = (node.extensions.get("sparkplug") as unknown as { host: SparkplugHost }).host;
try {
  const clients = await Promise.all(
    Array.from({ length: edges }, (_, e) =>
      mqtt.connectAsync(node.mqttUrl, { clientId: `bench-e${e}`, protocolVersion: 4, reconnectPeriod: 0 }),
    ),
  );
  const names = Array.from({ length: metrics }, (_, k) => `m${k}`);
  const seqs = clients.map(() => 0);
  const next = (e: number) => {
    seqs[e] = ((seqs[e] ?? 0) + 1) % 256;
    return seqs[e];
  };
  for (const [e, c] of clients.entries()) {
    await c.publishAsync(
      `spBv1.0/bench/NBIRTH/e${e}`,
      enc({ seq: 0, metrics: [{ name: "bdSeq", type: "UInt64", value: 0 }] }),
      { qos: 1 },
    );
    for (let d = 0; d < devices; d++)
      await c.publishAsync(
        `spBv1.0/bench/DBIRTH/e${e}/d${d}`,
        enc({
          seq: next(e),
          metrics: names.map((name, k) => ({ name, alias: k + 1, type: "Double", value: 0 })),
        }),
        { qos: 1 },
      );
  }
  const before = { messages: host.stats.messages, changes: node.service.stats.changes };
  const total = edges * devices * perDevice;
  const start = process.hrtime.bigint();
  await Promise.all(
    clients.map(async (c, e) => {
      for (let i = 0; i < perDevice; i++)
        for (let d = 0; d < devices; d++)
          c.publish(
            `spBv1.0/bench/DDATA/e${e}/d${d}`,
            enc({
              timestamp: Date.now(),
              seq: next(e),
              metrics: names.map((_, k) => ({ alias: k + 1, type: "Double", value: i + k })),
            }),
          );
    }),
  );
  const deadline = Date.now() + 120_000;
  while (host.stats.messages - before.messages < total && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 5));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const got = host.stats.messages - before.messages;
  console.log(
    JSON.stringify({
      edges,
      devices,
      metricsPerMessage: metrics,
      messages: got,
      seconds: Number(seconds.toFixed(2)),
      messagesPerSecond: Math.round(got / seconds),
      samplesPerSecond: Math.round((got * metrics) / seconds),
      rebirthRequests: host.stats.rebirthRequests,
      shadowChanges: node.service.stats.changes - before.changes,
    }),
  );
  await Promise.all(clients.map((c) => c.endAsync()));
} finally {
  await node.close();
  rmSync(dataDir, { recursive: true, force: true });
}
