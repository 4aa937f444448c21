import fc from "fast-check";
import snmp from "net-snmp";
import { describe, expect, it } from "vitest";
import { checkSnmpPoints } from "../../firmware-bridge/drivers/snmp.ts";
import { parseSnmpAddress, rowIndexFromPath } from "../../firmware-bridge/drivers/snmp-address.ts";
import { desCbc } from "../../firmware-bridge/drivers/snmp-des.ts";
import { parseSnmpSettings } from "../../firmware-bridge/drivers/snmp-options.ts";
import { toDriverError } from "../../firmware-bridge/drivers/snmp-session.ts";
import {
  ASN_TAG,
  decodeUnsigned64,
  decodeVarbind,
  encodeUnsigned64,
  encodeVarbindValue,
} from "../../firmware-bridge/drivers/snmp-values.ts";
import { type WalkVarbind, walkColumns } from "../../firmware-bridge/drivers/snmp-walk.ts";
import { DriverError } from "../../firmware-bridge/types.ts";

/** The SNMP driver's pure parts: addresses, device options, value conversions, error kinds, DES. */

describe("SNMP point addresses", () => {
  it("parses scalars and table columns, with a leading dot and the asn aliases", () => {
    expect(parseSnmpAddress({ oid: ".1.3.6.1.2.1.1.5.0" }, "name")).toEqual({
      kind: "scalar",
      oid: "1.3.6.1.2.1.1.5.0",
      optional: false,
    });
    expect(
      parseSnmpAddress({ table: "1.3.6.1.2.1.2.2.1", column: 7, asn: "integer32" }, "p.{index}.admin"),
    ).toEqual({
      kind: "column",
      columnOid: "1.3.6.1.2.1.2.2.1.7",
      asn: "Integer",
    });
    expect(
      parseSnmpAddress({ oid: "1.3.6.1.2.1.1.4.0", asn: "Unsigned32", optional: true }, "x"),
    ).toMatchObject({
      asn: "Gauge",
      optional: true,
    });
  });

  it.each([
    [{}, /needs either/],
    [{ oid: "1.3.6.1", table: "1.3.6.1", column: 1 }, /needs either/],
    [{ oid: "sysName.0" }, /not a numeric OID/],
    [{ oid: "1.3.6.1", colour: 1 }, /unknown key "colour"/],
    [{ oid: "1.3.6.1", asn: "Float" }, /not an SNMP type/],
    [{ table: "1.3.6.1.2.1.2.2.1", column: -1 }, /column must be a non-negative integer/],
    [{ table: "1.3.6.1.2.1.2.2.1", column: 2, optional: true }, /optional applies to \{ oid \}/],
    [{ oid: "1.3.6.1", encoding: "latin1" }, /encoding must be "utf8" or "hex"/],
  ])("rejects %j with a clear message", (address, message) => {
    expect(() => parseSnmpAddress(address, "p.{index}.x")).toThrow(message);
  });

  it("a table column needs {index} in its path; checkSnmpPoints names where", () => {
    expect(() => parseSnmpAddress({ table: "1.3.6.1.2.1.2.2.1", column: 2 }, "ports.name")).toThrow(
      /\{index\}/,
    );
    expect(() => checkSnmpPoints([{ path: "a", address: { oid: "x" } }], "device sw-1")).toThrow(
      /^device sw-1: SNMP point "a"/,
    );
  });

  it("recovers the row index from an expanded path, dotted indexes included", () => {
    expect(rowIndexFromPath("ports.{index}.admin", "ports.3.admin")).toBe("3");
    expect(rowIndexFromPath("routes.{index}", "routes.1.4.10.0.0.1")).toBe("1.4.10.0.0.1");
    expect(() => rowIndexFromPath("ports.{index}.admin", "ports.3.oper")).toThrow(DriverError);
    expect(() => rowIndexFromPath("ports.{index}.admin", "ports..admin")).toThrow(/not one of its rows/);
  });
});

describe("SNMP values", () => {
  it("Counter64: number while exact, bigint beyond 2^53, every 64-bit value round-trips", () => {
    expect(decodeUnsigned64(Buffer.from("1fffffffffffff", "hex"))).toBe(Number.MAX_SAFE_INTEGER);
    expect(decodeUnsigned64(Buffer.from("20000000000000", "hex"))).toBe(2n ** 53n);
    expect(decodeUnsigned64(Buffer.from("00ffffffffffffffff", "hex"))).toBe(2n ** 64n - 1n);
    expect(encodeUnsigned64(128)).toEqual(Buffer.from("0080", "hex"));
    expect(encodeUnsigned64(0)).toEqual(Buffer.from("00", "hex"));
    expect(() => encodeUnsigned64(2n ** 64n)).toThrow(RangeError);
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (n) => {
        expect(BigInt(decodeUnsigned64(encodeUnsigned64(n)))).toBe(n);
      }),
    );
  });

  it("OCTET STRING: printable text as text (C-style NUL dropped), binary as colon hex, or as asked", () => {
    const point = {};
    expect(decodeVarbind(ASN_TAG.OctetString, Buffer.from("Gi1/0/1"), point)).toBe("Gi1/0/1");
    expect(decodeVarbind(ASN_TAG.OctetString, Buffer.from("RackPDU\0"), point)).toBe("RackPDU");
    expect(decodeVarbind(ASN_TAG.OctetString, Buffer.from("001a2b3c4d5e", "hex"), point)).toBe(
      "00:1a:2b:3c:4d:5e",
    );
    expect(decodeVarbind(ASN_TAG.OctetString, Buffer.from("AB"), point, "hex")).toBe("41:42");
    expect(encodeVarbindValue("OctetString", "00:1a:2b", "hex")).toEqual(Buffer.from("001a2b", "hex"));
    expect(encodeVarbindValue("OctetString", "café")).toEqual(Buffer.from("café", "utf8"));
  });

  it("TruthValue for bool points, strings for string points", () => {
    expect(decodeVarbind(ASN_TAG.Integer, 1, { type: "bool" })).toBe(true);
    expect(decodeVarbind(ASN_TAG.Integer, 2, { type: "bool" })).toBe(false);
    expect(() => decodeVarbind(ASN_TAG.Integer, 3, { type: "bool" })).toThrow(/TruthValue/);
    expect(decodeVarbind(ASN_TAG.Gauge, 1000, { type: "string" })).toBe("1000");
    expect(encodeVarbindValue("Integer", true)).toBe(1);
    expect(encodeVarbindValue("Integer", false)).toBe(2);
  });

  it("SET values are checked against the type's range before anything is sent", () => {
    expect(encodeVarbindValue("Integer", -5)).toBe(-5);
    expect(encodeVarbindValue("Gauge", "42")).toBe(42);
    expect(() => encodeVarbindValue("Integer", 2 ** 31)).toThrow(/does not fit Integer/);
    expect(() => encodeVarbindValue("Gauge", -1)).toThrow(/does not fit Gauge/);
    expect(() => encodeVarbindValue("TimeTicks", 1.5)).toThrow(TypeError);
    expect(() => encodeVarbindValue("IpAddress", "10.0.0.256")).toThrow(/not an IPv4 address/);
    expect(encodeVarbindValue("IpAddress", "10.0.0.1")).toBe("10.0.0.1");
    expect(encodeVarbindValue("Counter64", "18446744073709551615")).toEqual(
      Buffer.from("00ffffffffffffffff", "hex"),
    );
  });
});

describe("SNMP multi-column table walk", () => {
  /** A fake agent over a sorted MIB: GETBULK semantics (next OIDs after each cursor, endOfMibView at the end). */
  function agent(mib: [string, number][]) {
    const cmp = (a: string, b: string) => {
      const x = a.split(".").map(Number);
      const y = b.split(".").map(Number);
      for (let i = 0; i < Math.min(x.length, y.length); i++)
        if (x[i] !== y[i]) return (x[i] ?? 0) - (y[i] ?? 0);
      return x.length - y.length;
    };
    const sorted = [...mib].sort((a, b) => cmp(a[0], b[0]));
    const calls: string[][] = [];
    const bulk = async (oids: string[], reps: number): Promise<WalkVarbind[][]> => {
      calls.push(oids);
      return oids.map((oid) => {
        const out: WalkVarbind[] = [];
        let cursor = oid;
        for (let r = 0; r < reps; r++) {
          const next = sorted.find(([o]) => cmp(o, cursor) > 0);
          if (!next) {
            out.push({ oid: cursor, type: 130, value: null });
            break;
          }
          out.push({ oid: next[0], type: 2, value: next[1] });
          cursor = next[0];
        }
        return out;
      });
    };
    return { bulk, calls };
  }
  const limits = { maxRepetitions: 3, maxRows: 100, target: "fake" };

  it("walks columns of different lengths together, in few requests, each row once", async () => {
    const mib: [string, number][] = [["1.3.6.1.2.1.1.5.0", 0]];
    for (let i = 1; i <= 7; i++)
      mib.push([`1.3.6.1.2.1.2.2.1.7.${i}`, i], [`1.3.6.1.2.1.2.2.1.8.${i}`, 10 + i]);
    for (let i = 1; i <= 2; i++) mib.push([`1.3.6.1.2.1.31.1.1.1.1.${i}`, 20 + i]);
    mib.push(["1.3.6.1.2.1.31.1.1.1.6.1", 99]);
    const { bulk, calls } = agent(mib);
    const cols = [
      "1.3.6.1.2.1.2.2.1.7",
      "1.3.6.1.2.1.2.2.1.8",
      "1.3.6.1.2.1.31.1.1.1.1",
      "1.3.6.1.2.1.31.1.1.1.3",
    ];
    const rows = await walkColumns(bulk, cols, limits);
    expect(rows.get("1.3.6.1.2.1.2.2.1.7")?.map((v) => v.value)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(rows.get("1.3.6.1.2.1.2.2.1.8")?.map((v) => v.oid.split(".").at(-1))).toEqual([
      "1",
      "2",
      "3",
      "4",
      "5",
      "6",
      "7",
    ]);
    expect(rows.get("1.3.6.1.2.1.31.1.1.1.1")?.map((v) => v.value)).toEqual([21, 22]);
    expect(rows.get("1.3.6.1.2.1.31.1.1.1.3")).toEqual([]);
    // 7 rows at 3 per request: 3 rounds; the short columns drop out after the first.
    expect(calls.map((c) => c.length)).toEqual([4, 2, 2]);
  });

  it("a column at the end of the MIB ends on endOfMibView; too many rows are refused", async () => {
    const { bulk } = agent([
      ["1.3.6.1.4.1.1.1", 1],
      ["1.3.6.1.4.1.1.2", 2],
    ]);
    expect((await walkColumns(bulk, ["1.3.6.1.4.1.1"], limits)).get("1.3.6.1.4.1.1")).toHaveLength(2);
    await expect(walkColumns(bulk, ["1.3.6.1.4.1.1"], { ...limits, maxRows: 1 })).rejects.toMatchObject({
      kind: "refused",
      message: expect.stringMatching(/more than 1 rows/),
    });
    await expect(walkColumns(async (oids) => oids.map(() => []), ["1.3"], limits)).rejects.toThrow(
      /no varbinds/,
    );
  });
});

describe("SNMP device options", () => {
  const base = { thing: "pdu-1", address: "10.0.0.5", options: {}, timeoutMs: 2000 };

  it("defaults to v2c 'public' on port 161; splits the timeout over the tries", () => {
    expect(parseSnmpSettings(base)).toMatchObject({
      host: "10.0.0.5",
      port: 161,
      transport: "udp4",
      version: "2c",
      community: "public",
      retries: 1,
      timeoutMs: 1000,
    });
    expect(parseSnmpSettings({ ...base, address: "[::1]:1161", options: { retries: 0 } })).toMatchObject({
      host: "::1",
      port: 1161,
      transport: "udp6",
      timeoutMs: 2000,
    });
  });

  it("v3: the security level follows the keys given; protocols default to SHA and AES", () => {
    const s = parseSnmpSettings({
      ...base,
      options: { version: "v3", user: "u", authKey: "12345678", privKey: "abcdefgh" },
    });
    expect(s.user).toEqual({
      name: "u",
      level: "authPriv",
      authProtocol: "sha",
      authKey: "12345678",
      privProtocol: "aes",
      privKey: "abcdefgh",
    });
    expect(parseSnmpSettings({ ...base, options: { version: 3, user: "u" } }).user).toEqual({
      name: "u",
      level: "noAuthNoPriv",
    });
    expect(
      parseSnmpSettings({
        ...base,
        options: { version: "3", username: "u", authKey: "12345678", authProtocol: "MD5" },
      }).user,
    ).toMatchObject({ level: "authNoPriv", authProtocol: "md5" });
  });

  it.each([
    [{ version: "1" }, /version "1" must be 2c or 3/],
    [{ version: "3" }, /needs options.user/],
    [{ version: "3", user: "u", authKey: "short" }, /at least 8 characters/],
    [{ version: "3", user: "u", level: "authPriv", authKey: "12345678" }, /authPriv needs options.privKey/],
    [
      { version: "3", user: "u", authKey: "12345678", privKey: "12345678", privProtocol: "3des" },
      /not one of des, aes/,
    ],
    [{ comunity: "x" }, /unknown option "comunity"/],
    [{ maxRepetitions: 0 }, /maxRepetitions must be an integer from 1/],
  ])("rejects %j", (options, message) => {
    expect(() => parseSnmpSettings({ ...base, options })).toThrow(message);
  });

  it("never echoes a key in its messages", () => {
    const secretKey = "tiny";
    expect(() =>
      parseSnmpSettings({ ...base, options: { version: "3", user: "u", authKey: secretKey } }),
    ).toThrow(expect.objectContaining({ message: expect.not.stringContaining(secretKey) }));
  });

  it("rejects a bad address", () => {
    expect(() => parseSnmpSettings({ ...base, address: "10.0.0.5:99999" })).toThrow(/host\[:port\]/);
  });
});

describe("SNMP error kinds", () => {
  it("timeouts and socket errors are unreachable; agent answers are refused; causes carry no USM user", () => {
    expect(toDriverError(new snmp.RequestTimedOutError("Request timed out"), "h:161", "GET x").kind).toBe(
      "unreachable",
    );
    const econn = Object.assign(new Error("connect"), { code: "EHOSTUNREACH" });
    expect(toDriverError(econn, "h:161", "GET x").kind).toBe("unreachable");
    const failed = Object.assign(new snmp.RequestFailedError("NotWritable: 1.3.6.1.2.1.1.6.0"), {
      status: 17,
    });
    expect(toDriverError(failed, "h:161", "SET x")).toMatchObject({
      kind: "refused",
      message: expect.stringMatching(/NotWritable/),
    });
    const auth = Object.assign(new snmp.ResponseInvalidError("Wrong Digest"), {
      code: snmp.ResponseInvalidCode.EAuthFailure,
      info: { user: { authKey: "secret-auth-key" } },
    });
    const mapped = toDriverError(auth, "h:161", "GET x");
    expect(mapped.kind).toBe("refused");
    expect(JSON.stringify(mapped.cause, Object.getOwnPropertyNames(mapped.cause))).not.toContain(
      "secret-auth-key",
    );
    const community = Object.assign(
      new snmp.ResponseInvalidError("Community 'rw-secret' in request does not match community 'x'"),
      { code: snmp.ResponseInvalidCode.ECommunityNoMatch },
    );
    const leaked = toDriverError(community, "h:161", "GET x");
    expect(leaked.kind).toBe("refused");
    expect(`${leaked.message} ${String(leaked.cause ?? "")}`).not.toContain("rw-secret");
  });
});

describe("DES-CBC without the OpenSSL legacy provider", () => {
  it("matches the FIPS 81 CBC example and decrypts back", () => {
    const key = Buffer.from("0123456789abcdef", "hex");
    const iv = Buffer.from("1234567890abcdef", "hex");
    const plain = Buffer.from("Now is the time for all ", "ascii");
    const cipher = desCbc("encrypt", key, iv, plain);
    expect(cipher.toString("hex")).toBe("e5c7cdde872bf27c43e934008c389c0f683788499a7c05f6");
    expect(desCbc("decrypt", key, iv, cipher)).toEqual(plain);
  });
});
