/**
 * Issue 17, item 2: what a hostile child site costs its parent. Starts a node (in this process, so a
 * stalled event loop shows in the probe), lets a site identity send decompression bombs (93-byte
 * frames that inflate to 60 MiB) and then malformed frames with 64 KB fields, while `/healthz` is
 * probed every 20 ms. Prints the probe's latency before and during each attack, the RSS growth and the
 * warn lines logged. Uses only interfaces that predate the fix, so the same script measures both.
 *
 * Then a third site sends 20 frames that look like heads frames but hold ~12 MiB of JSON numbers, and
 * a fourth 20 well-formed heads frames just under the 1 MiB cap (naming shadows the node lacks).
 *
 *   npx tsx bench/relay-attack.ts [bombs=20] [malformed=200]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Writable } from "node:stream";
import { brotliCompressSync } from "node:zlib";
import mqtt from "mqtt";
import { pino } from "pino";
import { loadConfig } from "../broker/config-load.ts";
import { startNode } from "../broker/node.ts";
import { encodeFrame } from "../shared/relay/protocol.ts";
import { bombFrame } from "../test/helpers/relay-attack.ts";

const BOMBS = Number(process.argv[2] ?? 20);
const MALFORMED = Number(process.argv[3] ?? 200);

const warnLines: string[] = [];
const sink = new Writable({
  write(chunk, _enc, done) {
    for (const l of String(chunk).split("\n")) if (l) warnLines.push(l);
    done();
  },
});
const dataDir = mkdtempSync(join(tmpdir(), "umbra-attack-"));
const config = {
  ...loadConfig({ flags: { mqttPort: 0, httpPort: 0, site: "core", host: "127.0.0.1" } }),
  dataDir,
  allowAnonymous: false,
};
const node = await startNode(config, pino({ level: "warn" }, sink));
// Two site identities: the first is cut off by its bombs, the second sends the malformed frames.
const passwords = new Map(
  ["rogue", "rogue2", "rogue3", "rogue4"].map((n) => [n, node.identities.add(n, "site", "*")]),
);

/** Probes /healthz every 20 ms; returns the latencies seen while `during` runs (and the loop's worst delay). */
async function probe(during: () => Promise<void>): Promise<number[]> {
  const seen: number[] = [];
  await fetch(`${node.httpUrl}/healthz`).then((r) => r.text()); // warm: the first request connects
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  let on = true;
  const loop = (async () => {
    while (on) {
      const t = performance.now();
      await fetch(`${node.httpUrl}/healthz`).then((r) => r.text());
      seen.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  await during();
  on = false;
  await loop;
  delay.disable();
  loopMax = delay.max / 1e6;
  return seen;
}

let loopMax = 0;

function summary(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number) => (s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0).toFixed(1);
  const stalled = ms.filter((m) => m > 100).reduce((a, b) => a + b, 0);
  return `probes ${ms.length}, p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${q(1)} ms, time in probes >100 ms: ${(stalled / 1000).toFixed(2)} s, event loop delay max ${loopMax.toFixed(0)} ms`;
}

/** A site that (re)connects and sends `frames` 50 ms apart, as long as the parent lets it (at most 10 s). */
async function attack(
  user: string,
  frames: Buffer[],
  settleMs = 3000,
): Promise<{ sent: number; closes: number }> {
  const client = mqtt.connect(node.mqttUrl, {
    protocolVersion: 4,
    username: user,
    password: passwords.get(user),
    reconnectPeriod: 100,
    clientId: `${user}-attack`,
  });
  let closes = 0;
  client.on("close", () => closes++);
  client.on("error", () => undefined);
  let sent = 0;
  // The attack ends after 10 s even if the node keeps closing the connection (it cut the site off).
  const deadline = Date.now() + 10_000;
  for (const f of frames) {
    while (!client.connected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    if (Date.now() >= deadline) break;
    client.publish(`$umbra/relay/${user}/up`, f, { qos: 0 });
    sent++;
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, settleMs));
  await client.endAsync(true);
  return { sent, closes };
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MB`;
console.log(`idle:      ${summary(await probe(() => new Promise((r) => setTimeout(r, 1000))))}`);

const bomb = bombFrame();
let rssPeak = process.memoryUsage().rss;
const rssBefore = rssPeak;
const rssTimer = setInterval(() => {
  rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
}, 10);
let linesBefore = warnLines.length;
let result = { sent: 0, closes: 0 };
const bombed = await probe(async () => {
  result = await attack(
    "rogue",
    Array.from({ length: BOMBS }, () => bomb),
  );
});
clearInterval(rssTimer);
console.log(`bombs:     ${summary(bombed)}`);
console.log(
  `           ${result.sent} bombs of ${bomb.byteLength} B sent, connection closed by the node ${result.closes}×, RSS ${mb(rssBefore)} → peak ${mb(rssPeak)} (+${mb(rssPeak - rssBefore)}), warn lines ${warnLines.length - linesBefore}`,
);

// Malformed frames carrying a 64 KB field: an unknown kind named by 65,000 characters.
await new Promise((r) => setTimeout(r, 100));
linesBefore = warnLines.length;
const bytesBefore = warnLines.reduce((n, l) => n + l.length, 0);
const junk = Buffer.from(encodeFrame({ t: "x".repeat(65_000) } as never));
const malformed = await probe(async () => {
  result = await attack(
    "rogue2",
    Array.from({ length: MALFORMED }, () => junk),
    1000,
  );
});
const logBytes = warnLines.reduce((n, l) => n + l.length, 0) - bytesBefore;
console.log(`malformed: ${summary(malformed)}`);
console.log(
  `           ${result.sent} frames of ${junk.byteLength} B sent, warn lines ${warnLines.length - linesBefore}, ${logBytes} bytes of log`,
);

// Heads-looking frames of ~12 MiB of JSON numbers (expensive to parse, under the heads cap).
const numbers = `{"t":"heads","x":[${"1,".repeat(6 * 1024 * 1024)}1]}`;
const plain = Buffer.alloc(4 + Buffer.byteLength(numbers));
plain.writeUInt32BE(plain.byteLength - 4, 0);
plain.write(numbers, 4);
const heavy = Buffer.concat([Buffer.from([0x55, 0x52, 1]), brotliCompressSync(plain)]);
linesBefore = warnLines.length;
const heavyProbes = await probe(async () => {
  result = await attack(
    "rogue3",
    Array.from({ length: 20 }, () => heavy),
    2000,
  );
});
console.log(`heavy:     ${summary(heavyProbes)}`);
console.log(
  `           ${result.sent} heads-like frames of ${heavy.byteLength} B (${mb(plain.byteLength)} inflated) sent, warn lines ${warnLines.length - linesBefore}`,
);

// Well-formed heads frames just under the 1 MiB cap, naming ~22,000 shadows the node does not hold:
// the most a site may now make the node parse in one frame (paid from its 8 MiB/s parse budget).
const names = Object.fromEntries(
  Array.from({ length: 22_000 }, (_, i) => [
    `rogue-thing-${String(i).padStart(6, "0")}`,
    ["0123456789abcdef"],
  ]),
);
const page = Buffer.from(encodeFrame({ t: "heads", bucketCount: 1, buckets: [0], heads: names } as never));
const pageBytes = Buffer.byteLength(
  JSON.stringify({ t: "heads", bucketCount: 1, buckets: [0], heads: names }),
);
linesBefore = warnLines.length;
const pageProbes = await probe(async () => {
  result = await attack(
    "rogue4",
    Array.from({ length: 20 }, () => page),
    2000,
  );
});
console.log(`pages:     ${summary(pageProbes)}`);
console.log(
  `           ${result.sent} well-formed heads frames of ${page.byteLength} B (${(pageBytes / 1024).toFixed(0)} KiB inflated) sent, warn lines ${warnLines.length - linesBefore}`,
);

await node.close();
rmSync(dataDir, { recursive: true, force: true });
process.exit(0);
