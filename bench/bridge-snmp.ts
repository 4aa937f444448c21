/**
 * SNMP driver poll cost against real agents: a 48-port switch (switch-if-mib profile, 8 points, 7
 * table columns → 337 readings) served by snmpsimd over v2c, and a scalar + ifDescr walk on snmpd over
 * v3 authPriv SHA/AES. Prints agent start-up times and per-poll latency percentiles.
 *
 *   npx tsx bench/bridge-snmp.ts [polls]
 */
import { createSnmpDriver } from "../firmware-bridge/drivers/snmp.ts";
import { loadProfile } from "../firmware-bridge/profile.ts";
import type { Driver, PointSpec } from "../firmware-bridge/types.ts";
import { SNMPD_USERS, startSnmpd, startSnmpsim } from "../test/helpers/snmp-agents.ts";
import { snmprec } from "../test/helpers/snmp-devices.ts";

const POLLS = Number(process.argv[2] ?? 50);
const PORTS = 48;

function switchData(): string {
  const cells: [string, number, string | number | bigint, boolean?][] = [["1.3.6.1.2.1.1.5.0", 4, "sw48"]];
  for (let i = 1; i <= PORTS; i++) {
    cells.push(
      [`1.3.6.1.2.1.2.2.1.7.${i}`, 2, 1, true],
      [`1.3.6.1.2.1.2.2.1.8.${i}`, 2, 1],
      [`1.3.6.1.2.1.31.1.1.1.1.${i}`, 4, `Gi1/0/${i}`],
      [`1.3.6.1.2.1.31.1.1.1.6.${i}`, 70, BigInt(i) * 10n ** 15n],
      [`1.3.6.1.2.1.31.1.1.1.10.${i}`, 70, BigInt(i)],
      [`1.3.6.1.2.1.31.1.1.1.15.${i}`, 66, 1000],
      [`1.3.6.1.2.1.31.1.1.1.18.${i}`, 4, `port ${i}`, true],
    );
  }
  return snmprec(cells);
}

async function timePolls(driver: Driver, points: PointSpec[]): Promise<{ readings: number; ms: number[] }> {
  let readings = 0;
  const ms: number[] = [];
  for (let i = 0; i < POLLS; i++) {
    const start = performance.now();
    readings = (await driver.read(points)).length;
    ms.push(performance.now() - start);
  }
  return { readings, ms: ms.sort((a, b) => a - b) };
}

const pct = (sorted: number[], p: number) =>
  (sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0).toFixed(1);

let started = performance.now();
const sim = await startSnmpsim({ sw48: switchData() });
const simReady = performance.now() - started;
started = performance.now();
const snmpd = await startSnmpd();
const snmpdReady = performance.now() - started;
console.log(`agents ready: snmpsimd ${simReady.toFixed(0)} ms, snmpd ${snmpdReady.toFixed(0)} ms`);
const device = { thing: "bench", driver: "snmp" as const, pollMs: 1000, timeoutMs: 2000 };
const sw = createSnmpDriver({ ...device, address: sim.address, options: { community: "sw48" } });
const host = createSnmpDriver({
  ...device,
  address: snmpd.address,
  options: { version: "3", ...SNMPD_USERS.admin },
});
try {
  const a = await timePolls(sw, loadProfile("switch-if-mib").points);
  console.log(
    `switch-if-mib, ${PORTS} ports, snmpsimd v2c: ${a.readings} readings/poll, p50 ${pct(a.ms, 0.5)} ms, p95 ${pct(a.ms, 0.95)} ms (${POLLS} polls)`,
  );
  const b = await timePolls(host, [
    { path: "sysName", address: { oid: "1.3.6.1.2.1.1.5.0" } },
    { path: "ifs.{index}.descr", address: { table: "1.3.6.1.2.1.2.2.1", column: 2 } },
  ]);
  console.log(
    `snmpd v3 authPriv SHA/AES, sysName + ifDescr walk: ${b.readings} readings/poll, p50 ${pct(b.ms, 0.5)} ms, p95 ${pct(b.ms, 0.95)} ms (${POLLS} polls)`,
  );
} finally {
  await Promise.all([sw.close(), host.close()]);
  await Promise.all([sim.stop(), snmpd.stop()]);
}
