/**
 * Canned SNMP devices for snmpsimd, written as `.snmprec` text (`OID|TAG|VALUE`, TAG = BER type: 2
 * INTEGER, 4 OCTET STRING, 6 OID, 66 Gauge32, 67 TimeTicks, 70 Counter64). Cells marked writable use
 * snmpsim's `writecache` variation, so a SET sticks and reads back.
 *
 * OIDs: IF-MIB (RFC 2863) and the APC PowerNet-MIB rPDU branch (1.3.6.1.4.1.318.1.1.12), as in the
 * shipped profiles firmware-bridge/profiles/{switch-if-mib,apc-pdu-snmp}.yaml.
 */

type Cell = [oid: string, tag: number, value: string | number | bigint, writable?: boolean];

function compareOids(a: string, b: string): number {
  const x = a.split(".").map(Number);
  const y = b.split(".").map(Number);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** snmpsim serves walks in file order, so the records must be sorted by OID. */
export function snmprec(cells: Cell[]): string {
  return `${[...cells]
    .sort((a, b) => compareOids(a[0], b[0]))
    .map(([oid, tag, value, writable]) =>
      writable ? `${oid}|${tag}:writecache|value=${value}` : `${oid}|${tag}|${value}`,
    )
    .join("\n")}\n`;
}

const IF = "1.3.6.1.2.1.2.2.1"; // ifEntry
const IFX = "1.3.6.1.2.1.31.1.1.1"; // ifXEntry

/** Counter64 beyond 2^53: the driver must return it as a bigint, exactly. */
export const BIG_OCTETS = 18_446_744_073_709_551_000n;

export const SWITCH_PORTS = [
  {
    index: 1,
    name: "Gi1/0/1",
    alias: "uplink-core",
    admin: 1,
    oper: 1,
    inOctets: 123_456_789n,
    outOctets: 987_654n,
    speed: 10000,
  },
  {
    index: 2,
    name: "Gi1/0/2",
    alias: "web-01",
    admin: 1,
    oper: 1,
    inOctets: BIG_OCTETS,
    outOctets: 42n,
    speed: 1000,
  },
  { index: 3, name: "Gi1/0/3", alias: "", admin: 2, oper: 2, inOctets: 0n, outOctets: 0n, speed: 0 },
  { index: 4, name: "Gi1/0/4", alias: "spare", admin: 1, oper: 7, inOctets: 5n, outOctets: 6n, speed: 1000 },
];

export function switchSnmprec(): string {
  const cells: Cell[] = [
    ["1.3.6.1.2.1.1.1.0", 4, "Umbra test switch (snmpsim)"],
    ["1.3.6.1.2.1.1.5.0", 4, "sw-r12"],
  ];
  for (const p of SWITCH_PORTS) {
    cells.push(
      [`${IF}.1.${p.index}`, 2, p.index],
      [`${IF}.2.${p.index}`, 4, p.name],
      [`${IF}.7.${p.index}`, 2, p.admin, true],
      [`${IF}.8.${p.index}`, 2, p.oper],
      [`${IFX}.1.${p.index}`, 4, p.name],
      [`${IFX}.6.${p.index}`, 70, p.inOctets],
      [`${IFX}.10.${p.index}`, 70, p.outOctets],
      [`${IFX}.15.${p.index}`, 66, p.speed],
      [`${IFX}.18.${p.index}`, 4, p.alias, true],
    );
  }
  return snmprec(cells);
}

const RPDU = "1.3.6.1.4.1.318.1.1.12";

export const PDU_OUTLETS = [
  { index: 1, name: "web-01 PSU1", state: 1, load: 12 },
  { index: 2, name: "web-01 PSU2", state: 1, load: 11 },
  { index: 3, name: "db-01 PSU1", state: 1, load: 23 },
  { index: 4, name: "spare", state: 2, load: 0 },
];

export function apcPduSnmprec(): string {
  const cells: Cell[] = [
    ["1.3.6.1.2.1.1.1.0", 4, "APC Web/SNMP Management Card (MN:AP7920B) - snmpsim"],
    ["1.3.6.1.2.1.1.2.0", 6, "1.3.6.1.4.1.318.1.3.4.5"],
    ["1.3.6.1.2.1.1.5.0", 4, "pdu-r12"],
    [`${RPDU}.1.1.0`, 4, "RackPDU"], // rPDUIdentName
    [`${RPDU}.1.5.0`, 4, "AP7920B"], // rPDUIdentModelNumber
    [`${RPDU}.1.6.0`, 4, "5A1234E00001"], // rPDUIdentSerialNumber
    [`${RPDU}.1.16.0`, 2, 412], // rPDUIdentDevicePowerWatts
    [`${RPDU}.2.3.1.1.2.1`, 66, 46], // rPDULoadStatusLoad.1 (tenths of A)
    [`${RPDU}.2.3.1.1.3.1`, 2, 1], // rPDULoadStatusLoadState.1 = phaseLoadNormal
  ];
  for (const o of PDU_OUTLETS) {
    cells.push(
      [`${RPDU}.3.3.1.1.2.${o.index}`, 4, o.name], // rPDUOutletControlOutletName
      [`${RPDU}.3.3.1.1.4.${o.index}`, 2, o.state, true], // rPDUOutletControlOutletCommand
      [`${RPDU}.3.4.1.1.2.${o.index}`, 4, o.name, true], // rPDUOutletConfigOutletName
      [`${RPDU}.3.5.1.1.2.${o.index}`, 4, o.name], // rPDUOutletStatusOutletName
      [`${RPDU}.3.5.1.1.4.${o.index}`, 2, o.state], // rPDUOutletStatusOutletState
      [`${RPDU}.3.5.1.1.7.${o.index}`, 66, o.load], // rPDUOutletStatusLoad (tenths of A)
    );
  }
  return snmprec(cells);
}
