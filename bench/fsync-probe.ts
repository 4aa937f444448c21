/**
 * How long an fdatasync takes on this machine's disk, alone: appends `--bytes` (8 KiB) to a temp file and
 * fdatasyncs it, for `--seconds` (10). Every durable update waits for one of these (the commit worker's
 * fdatasync of the WAL), so their tail is the floor of the node's latency tail
 * (docs/benchmarks.md, "Open-loop latency composition").
 *
 *   npx tsx bench/fsync-probe.ts [--seconds 10] [--bytes 8192]
 */
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: { seconds: { type: "string", default: "10" }, bytes: { type: "string", default: "8192" } },
});
const dir = mkdtempSync(join(tmpdir(), "umbra-fsync-"));
const fd = openSync(join(dir, "probe"), "w");
const block = Buffer.alloc(Number(values.bytes), 1);
const ms: number[] = [];
const end = performance.now() + Number(values.seconds) * 1000;
try {
  while (performance.now() < end) {
    writeSync(fd, block);
    const t = performance.now();
    fdatasyncSync(fd);
    ms.push(performance.now() - t);
  }
} finally {
  closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
}
ms.sort((a, b) => a - b);
const q = (f: number) => Number((ms[Math.floor(f * (ms.length - 1))] ?? Number.NaN).toFixed(2));
process.stdout.write(
  `${JSON.stringify({
    fsyncs: ms.length,
    p50Ms: q(0.5),
    p90Ms: q(0.9),
    p99Ms: q(0.99),
    p999Ms: q(0.999),
    maxMs: q(1),
    over10Ms: ms.filter((x) => x > 10).length,
    over20Ms: ms.filter((x) => x > 20).length,
  })}\n`,
);
