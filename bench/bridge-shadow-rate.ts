/**
 * How often a bridged PDU's shadow changes, before and after measurements became telemetry. One node
 * (in process, credentials required), Debian's pymodbus serving two PDUs whose power and current move
 * every second (as a real meter's do), and one bridge at the default poll (5 s) and summary (60 s)
 * intervals:
 *   - pdu-before: generic-modbus-pdu with every `kind: measurement` removed (the old behaviour: every
 *     reading is state in `reported`);
 *   - pdu-after: the shipped generic-modbus-pdu (measurements as telemetry, summarised every 60 s).
 * Prints shadow changes (version deltas) per hour for both, and the telemetry points stored.
 *
 *   npx tsx bench/bridge-shadow-rate.ts [seconds]     (default 300)
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import modbusSerial from "modbus-serial";
import { startBridge } from "../firmware-bridge/bridge.ts";
import { parseBridgeConfig } from "../firmware-bridge/config.ts";
import { PROFILES_DIR } from "../firmware-bridge/profile.ts";
import { shadowOf, startSecureNode } from "../test/helpers/device-sdk.ts";
import { startPymodbus } from "../test/helpers/pymodbus.ts";

const SECONDS = Number(process.argv[2] ?? 300);
const dir = mkdtempSync(join(tmpdir(), "umbra-bridge-rate-"));
const stateOnly = join(dir, "all-state.yaml");
writeFileSync(
  stateOnly,
  readFileSync(join(PROFILES_DIR, "generic-modbus-pdu.yaml"), "utf8").replaceAll(" kind: measurement,", ""),
);

const [node, server] = await Promise.all([startSecureNode(), startPymodbus([1, 2])]);
const password = node.identities.add("pdu-bridge", "bridge", "pdu-*");
const token = node.identities.createToken("bench-viewer", "viewer", "*").token;
const gateway = `127.0.0.1:${server.port}`;
const config = parseBridgeConfig(
  [
    `node: { url: '${node.mqttUrl}', username: pdu-bridge }`,
    "devices:",
    `  - { thing: pdu-before, driver: modbus, address: '${gateway}', profile: '${stateOnly}', options: { unitId: 1 } }`,
    `  - { thing: pdu-after, driver: modbus, address: '${gateway}', profile: generic-modbus-pdu, options: { unitId: 2 } }`,
  ].join("\n"),
  join(dir, "bridge.yaml"),
  { UMBRA_BRIDGE_PASSWORD: password },
);

// The meters: power ±20 W and current ±0.1 A around their values, a new reading every second.
const meter = new modbusSerial.default();
await meter.connectTCP("127.0.0.1", { port: server.port });
meter.setTimeout(1000);
let stopped = false;
const jitter = (async () => {
  for (let i = 0; !stopped; i++) {
    for (const unit of [1, 2]) {
      meter.setID(unit);
      const b = Buffer.alloc(4);
      b.writeFloatBE(1178.5 + ((i * 7) % 41) - 20);
      await meter.writeRegisters(1, [512 + ((i * 3) % 21) - 10, b.readUInt16BE(0), b.readUInt16BE(2)]);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
})();

const bridge = await startBridge(config);
const version = async (thing: string) => (await shadowOf(node, thing).catch(() => ({ version: 0 }))).version;
// Start counting once both shadows exist (the first report of each creates it).
while ((await version("pdu-before")) === 0 || (await version("pdu-after")) === 0) {
  await new Promise((r) => setTimeout(r, 200));
}
const start = { at: Date.now(), before: await version("pdu-before"), after: await version("pdu-after") };
process.stderr.write(`measuring for ${SECONDS} s at the default intervals (poll 5 s, summary 60 s)…\n`);
await new Promise((r) => setTimeout(r, SECONDS * 1000));
const hours = (Date.now() - start.at) / 3_600_000;
const changes = {
  before: (await version("pdu-before")) - start.before,
  after: (await version("pdu-after")) - start.after,
};
const res = await fetch(
  `${node.httpUrl}/things/pdu-after/telemetry?metric=input/power&step=raw&from=${start.at}`,
  {
    headers: { authorization: `Bearer ${token}` },
  },
);
const body = (await res.json()) as { series: { points: unknown[] }[] };
const points = body.series[0]?.points.length ?? 0;

stopped = true;
await jitter;
meter.close(() => undefined);
await bridge.close();
await server.kill();
await node.stop();
rmSync(dir, { recursive: true, force: true });

const perHour = (n: number) => Math.round(n / hours);
console.log(`window: ${(hours * 3600).toFixed(0)} s`);
console.log(
  `pdu-before (every reading in reported): ${changes.before} shadow changes = ${perHour(changes.before)}/h`,
);
console.log(
  `pdu-after  (measurements as telemetry): ${changes.after} shadow changes = ${perHour(changes.after)}/h; ` +
    `${points} input/power telemetry points stored`,
);
console.log(`ratio: ${(changes.before / Math.max(1, changes.after)).toFixed(1)}x fewer shadow changes`);
