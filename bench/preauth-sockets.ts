/**
 * Issue 17, item 5: what unauthenticated sockets declaring a large CONNECT cost a node. Starts
 * `umbra broker` (authentication on) as a child process, opens N sockets that each declare a
 * 262,000-byte CONNECT and send 160 KB of it, and prints the node's RSS before and after and how many
 * sockets it still holds 2 s later (until the connect timeout, 10 s, without the first-packet limit).
 *
 *   npx tsx bench/preauth-sockets.ts [sockets=1500]
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const N = Number(process.argv[2] ?? 1500);
const root = resolve(import.meta.dirname, "..");
const dataDir = mkdtempSync(join(tmpdir(), "umbra-preauth-"));
const child = spawn(
  process.execPath,
  [
    join(root, "broker/cli/umbra.mjs"),
    "broker",
    "--host",
    "127.0.0.1",
    "--mqtt-port",
    "0",
    "--http-port",
    "0",
  ],
  {
    cwd: root,
    env: { ...process.env, UMBRA_DATA_DIR: dataDir, UMBRA_LOG_LEVEL: "error" },
    stdio: ["ignore", "pipe", "inherit"],
  },
);
const port = await new Promise<number>((res, rej) => {
  let out = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
    const m = /umbra: ready mqtt:\/\/[^:]+:(\d+)/.exec(out);
    if (m) res(Number(m[1]));
  });
  child.once("exit", (code) => rej(new Error(`node exited ${code}`)));
});
const rssMb = () => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
  return Number(m?.[1] ?? 0) / 1024;
};
await new Promise((r) => setTimeout(r, 500));
const before = rssMb();

// CONNECT, remaining length 262,000 (varint), then 160 KB of its body.
const varint = (n: number) => {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
};
const attack = Buffer.concat([Buffer.from([0x10]), varint(262_000), Buffer.alloc(160 * 1024, 0x41)]);
const sockets: Socket[] = [];
let open = 0;
for (let i = 0; i < N; i++) {
  const s = connect(port, "127.0.0.1", () => s.write(attack));
  open++;
  s.on("error", () => undefined);
  s.on("close", () => open--);
  sockets.push(s);
  if (i % 100 === 99) await new Promise((r) => setTimeout(r, 20));
}
let peak = before;
for (let i = 0; i < 20; i++) {
  await new Promise((r) => setTimeout(r, 100));
  peak = Math.max(peak, rssMb());
}
console.log(
  `${N} sockets declaring a 262,000-byte CONNECT: node RSS ${before.toFixed(0)} MB → peak ${peak.toFixed(0)} MB (+${(peak - before).toFixed(0)} MB); still open after 2 s: ${open}`,
);
for (const s of sockets) s.destroy();
child.kill("SIGTERM");
await new Promise((r) => child.once("exit", r));
rmSync(dataDir, { recursive: true, force: true });
