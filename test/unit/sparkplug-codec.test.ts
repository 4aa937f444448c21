import { deflateSync } from "node:zlib";
import fc from "fast-check";
import sparkplug from "sparkplug-payload";
import sparkplugProto from "sparkplug-payload/lib/sparkplugPayloadProto.js";
import { describe, expect, it } from "vitest";
import {
  coerceForDatatype,
  decodeSparkplugPayload,
  encodeCommandPayload,
} from "../../broker/sparkplug/codec.ts";
import { longToJson, toJsonValue } from "../../broker/sparkplug/values.ts";

const codec = sparkplug.get("spBv1.0");
if (!codec) throw new Error("no spBv1.0 codec");
const encode = (p: unknown) => codec.encodePayload(p as never);

describe("Sparkplug payload decoding", () => {
  it("turns 64-bit values into numbers when exact and decimal strings otherwise", () => {
    const msg = decodeSparkplugPayload(
      encode({
        timestamp: 1_700_000_000_123,
        seq: 7,
        metrics: [
          { name: "small", type: "Int64", value: -5 },
          { name: "max-safe", type: "UInt64", value: Number.MAX_SAFE_INTEGER },
          { name: "beyond", type: "Int64", value: "-9007199254740993" },
          { name: "u64max", type: "UInt64", value: "18446744073709551615" },
          { name: "when", type: "DateTime", value: 1_700_000_000_000 },
          { name: "u32", type: "UInt32", value: 4_000_000_000 },
        ],
      }),
    );
    expect(msg.timestamp).toBe(1_700_000_000_123);
    expect(msg.seq).toBe(7);
    const values = Object.fromEntries(msg.metrics.map((m) => [m.name, m.value]));
    expect(values).toEqual({
      small: -5,
      "max-safe": Number.MAX_SAFE_INTEGER,
      beyond: "-9007199254740993",
      u64max: "18446744073709551615",
      when: 1_700_000_000_000,
      u32: 4_000_000_000,
    });
  });

  it("gives Float values as the shortest decimal that is the same float32 (so an echoed 1.1 closes a delta on 1.1)", () => {
    const values = [1.1, 0.1, -273.15, 3.4e38, 1e-7, 16_777_217, 0.5];
    const msg = decodeSparkplugPayload(
      encode({ metrics: values.map((value, i) => ({ name: `f${i}`, type: "Float", value })) }),
    );
    expect(msg.metrics.map((m) => m.value)).toEqual([1.1, 0.1, -273.15, 3.4e38, 1e-7, 16_777_216, 0.5]);
    fc.assert(
      fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), (f) => {
        const [m] = decodeSparkplugPayload(
          encode({ metrics: [{ name: "f", type: "Float", value: f }] }),
        ).metrics;
        expect(Math.fround(m?.value as number)).toBe(Math.fround(f) === 0 ? 0 : Math.fround(f));
      }),
    );
  });

  it("reads UInt32 from int_value (the Sparkplug spec) as well as from long_value (Tahu, Ignition)", () => {
    const Payload = sparkplugProto.org.eclipse.tahu.protobuf.Payload;
    const bytes = Payload.encode(
      Payload.fromObject({
        seq: 1,
        metrics: [
          { name: "spec", datatype: 7, intValue: 4_000_000_000 },
          { name: "tahu", datatype: 7, longValue: 4_000_000_000 },
          { name: "zero", datatype: 7, intValue: 0 },
        ],
      }),
    ).finish();
    const values = decodeSparkplugPayload(bytes).metrics.map((m) => [m.name, m.value]);
    expect(values).toEqual([
      ["spec", 4_000_000_000],
      ["tahu", 4_000_000_000],
      ["zero", 0],
    ]);
  });

  it("keeps aliases, datatypes, properties, null and historical flags", () => {
    const msg = decodeSparkplugPayload(
      encode({
        metrics: [
          {
            name: "t",
            alias: 3,
            type: "Float",
            value: 1.5,
            properties: { engUnit: { type: "String", value: "C" } },
          },
          { alias: 4, type: "Double", value: 2.25, isHistorical: true, timestamp: 1000 },
          { name: "s", type: "String", value: null, isNull: true },
          { name: "b", type: "Bytes", value: new Uint8Array([1, 2, 255]) },
        ],
      }),
    );
    expect(msg.metrics[0]).toMatchObject({
      name: "t",
      alias: 3,
      datatype: "Float",
      value: 1.5,
      properties: { engUnit: "C" },
    });
    expect(msg.metrics[1]).toMatchObject({ alias: 4, historical: true, timestamp: 1000, value: 2.25 });
    expect(msg.metrics[1]?.name).toBeUndefined();
    expect(msg.metrics[2]).toMatchObject({ name: "s", value: null });
    expect(msg.metrics[3]?.value).toBe(Buffer.from([1, 2, 255]).toString("base64"));
  });

  it("decodes Tahu's DEFLATE-compressed payloads", () => {
    const inner = encode({ seq: 1, metrics: [{ name: "x", type: "Int32", value: 9 }] });
    const outer = encode({
      uuid: "SPBV1.0_COMPRESSED",
      body: deflateSync(inner),
      metrics: [{ name: "algorithm", type: "String", value: "DEFLATE" }],
    });
    expect(decodeSparkplugPayload(outer).metrics[0]).toMatchObject({ name: "x", value: 9 });
  });

  it("throws on bytes that are not a payload", () => {
    expect(() => decodeSparkplugPayload(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]))).toThrow();
  });

  it("round-trips any Int64/UInt64 exactly (property)", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        (s, u) => {
          const msg = decodeSparkplugPayload(
            encodeCommandPayload([
              { name: "s", datatype: "Int64", value: s.toString() },
              { name: "u", datatype: "UInt64", value: u.toString() },
            ]),
          );
          const [ms, mu] = msg.metrics;
          expect(BigInt(ms?.value as number | string)).toBe(s);
          expect(BigInt(mu?.value as number | string)).toBe(u);
          // A number only when exact.
          if (typeof ms?.value === "number") expect(Number.isSafeInteger(ms.value)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("converts nested values (data sets, property sets) with the same rule", () => {
    const long = {
      low: 1,
      high: 0x200000,
      unsigned: false,
      toNumber: () => 2 ** 53 + 1,
      toString: () => "9007199254740993",
    };
    expect(toJsonValue({ rows: [[long, 1, true]] })).toEqual({ rows: [["9007199254740993", 1, true]] });
    expect(longToJson(long)).toBe("9007199254740993");
  });
});

describe("command values against birth datatypes", () => {
  it("accepts values in range and refuses the rest with a reason", () => {
    expect(coerceForDatatype("Int8", 127)).toEqual({ ok: true, value: 127 });
    expect(coerceForDatatype("Int8", 128)).toMatchObject({ ok: false });
    expect(coerceForDatatype("UInt16", -1)).toMatchObject({ ok: false });
    expect(coerceForDatatype("Int32", 1.5)).toMatchObject({ ok: false });
    expect(coerceForDatatype("Int32", "5")).toMatchObject({ ok: false });
    expect(coerceForDatatype("UInt64", "18446744073709551615")).toEqual({
      ok: true,
      value: "18446744073709551615",
    });
    expect(coerceForDatatype("UInt64", "18446744073709551616")).toMatchObject({ ok: false });
    expect(coerceForDatatype("Boolean", 1)).toMatchObject({
      ok: false,
      reason: "Boolean needs true or false",
    });
    expect(coerceForDatatype("Boolean", true)).toEqual({ ok: true, value: true });
    expect(coerceForDatatype("Double", 2.5)).toEqual({ ok: true, value: 2.5 });
    expect(coerceForDatatype("String", "on")).toEqual({ ok: true, value: "on" });
    expect(coerceForDatatype("DataSet", {})).toMatchObject({ ok: false });
  });

  it("encodes commands the codec decodes back with name, alias and datatype", () => {
    const msg = decodeSparkplugPayload(
      encodeCommandPayload([{ name: "setpoint", alias: 12, datatype: "Int32", value: -42 }], 5),
    );
    expect(msg.timestamp).toBe(5);
    expect(msg.metrics[0]).toMatchObject({ name: "setpoint", alias: 12, datatype: "Int32", value: -42 });
  });

  it("encodes every commandable datatype so that Tahu's decoder reads back the same value", () => {
    const cases: [string, number | string | boolean][] = [
      ["Int8", -128],
      ["Int16", -32768],
      ["Int32", -2147483648],
      ["UInt8", 255],
      ["UInt16", 65535],
      ["UInt32", 4294967295],
      ["Int64", "-9223372036854775808"],
      ["Int64", -5],
      ["UInt64", "18446744073709551615"],
      ["DateTime", 1_767_315_600_000],
      ["Float", 1.1],
      ["Double", 0.1],
      ["Boolean", false],
      ["String", "on"],
    ];
    for (const [datatype, value] of cases) {
      const coerced = coerceForDatatype(datatype, value);
      expect(coerced.ok, datatype).toBe(true);
      if (!coerced.ok) continue;
      const bytes = encodeCommandPayload([{ name: "m", datatype, value: coerced.value }]);
      const tahu = codec.decodePayload(bytes).metrics?.[0];
      expect(tahu?.type, datatype).toBe(datatype);
      expect(String(tahu?.value), datatype).toBe(
        datatype === "Float" ? String(Math.fround(1.1)) : String(value),
      );
      expect(decodeSparkplugPayload(bytes).metrics[0]?.value, datatype).toEqual(value);
    }
  });
});
