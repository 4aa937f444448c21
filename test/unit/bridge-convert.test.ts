import { describe, expect, it } from "vitest";
import {
  ConvertError,
  getPath,
  matchPointPath,
  pointFor,
  rawEquals,
  setPath,
  toRaw,
  toShadow,
} from "../../firmware-bridge/convert.ts";
import {
  decodeRegisters,
  encodeRegisters,
  modbusAddress,
  planReads,
} from "../../firmware-bridge/drivers/modbus-codec.ts";
import type { PointSpec } from "../../firmware-bridge/types.ts";

const point = (p: Partial<PointSpec>): PointSpec => ({ path: "x", address: {}, ...p });

describe("raw ↔ shadow", () => {
  it("scales and offsets numbers both ways without float noise", () => {
    const v = point({ type: "uint16", scale: 0.1, unit: "V" });
    expect(toShadow(v, 2304)).toBe(230.4);
    expect(toRaw(v, 230.4)).toBe(2304);
    const t = point({ type: "int16", scale: 0.5, offset: -40 });
    expect(toShadow(t, 130)).toBe(25);
    expect(toRaw(t, 25)).toBe(130);
    expect(toShadow(point({ scale: 1 / 512 }), 512 * 87 + 256)).toBe(87.5);
  });

  it("maps enums both ways and refuses unknown names", () => {
    const o = point({ path: "outlets.1", type: "bool", enum: { on: true, off: false } });
    expect(toShadow(o, true)).toBe("on");
    expect(toShadow(o, false)).toBe("off");
    expect(toRaw(o, "off")).toBe(false);
    expect(() => toRaw(o, "maybe")).toThrow(/outlets.1: expected one of "on", "off", got "maybe"/);
    const cmd = point({ type: "uint16", enum: { on: 1, off: 2, reboot: 3 } });
    expect(toShadow(cmd, 3)).toBe("reboot");
    expect(toShadow(cmd, 9)).toBe(9); // not in the enum: the raw number, so nothing is hidden
  });

  it("refuses values a register cannot hold, with the range in shadow units", () => {
    const v = point({ path: "limit", type: "uint16", scale: 0.1 });
    expect(() => toRaw(v, 7000)).toThrow(/limit: 7000 is out of range \(0 to 6553.5\)/);
    expect(() => toRaw(v, 1.23)).toThrow(ConvertError);
    expect(() => toRaw(point({ type: "int16" }), "12")).toThrow(/expected a number/);
    expect(() => toRaw(point({ type: "bool" }), "yes")).toThrow(/expected true or false/);
    expect(toRaw(point({ type: "uint64" }), 5)).toBe(5n);
  });

  it("keeps 64-bit counters exact", () => {
    expect(toShadow(point({ type: "uint64" }), 2n ** 60n)).toBe("1152921504606846976");
    expect(toShadow(point({ type: "uint64" }), 42n)).toBe(42);
  });

  it("keeps every digit of large scaled values both ways (no 12-digit rounding)", () => {
    const wh = point({ type: "uint64", scale: 1 });
    expect(toShadow(wh, 1234567890123n)).toBe(1234567890123);
    expect(toShadow(point({ type: "uint64", scale: 0.001 }), 123456789012345n)).toBe(123456789012.345);
    expect(toRaw(point({ type: "int64", scale: 0.1 }), 1234567890123.4)).toBe(12345678901234n);
    expect(toRaw(point({ type: "uint32", scale: 0.001 }), 4294967.295)).toBe(4294967295);
    expect(() => toRaw(point({ type: "uint64" }), -1)).toThrow(/out of range/);
  });

  it("float32 readings show at float32 precision, negatives and scaling round-trip", () => {
    const f = point({ type: "float32", unit: "V" });
    expect(toShadow(f, Math.fround(229.7))).toBe(229.7);
    expect(toShadow(f, Math.fround(-0.1))).toBe(-0.1);
    expect(toShadow(f, 1178.5)).toBe(1178.5);
    expect(toShadow(f, 0.1)).toBe(0.1); // a double from JSON (Redfish) is kept as it is
    const fs = point({ type: "float32", scale: 0.1 });
    expect(toShadow(fs, Math.fround(2297.3))).toBe(229.73);
    const t = point({ type: "int16", scale: 0.1 });
    expect(toShadow(t, -123)).toBe(-12.3);
    expect(toRaw(t, -12.3)).toBe(-123);
    expect(() => toRaw(t, -3276.9)).toThrow(/out of range \(-3276.8 to 3276.7\)/);
  });

  it("compares read-backs at the point's precision", () => {
    expect(rawEquals(point({ type: "float32" }), 0.1, Math.fround(0.1))).toBe(true);
    expect(rawEquals(point({ type: "bool" }), true, 1)).toBe(true);
    expect(rawEquals(point({ type: "uint16" }), 1, 2)).toBe(false);
  });

  it("sets and gets dotted paths and matches {index} points", () => {
    const o = {};
    setPath(o, "outlets.3.on", true);
    setPath(o, "outlets.4.on", false);
    expect(o).toEqual({ outlets: { 3: { on: true }, 4: { on: false } } });
    expect(getPath(o, "outlets.3.on")).toBe(true);
    expect(getPath(o, "outlets.9.on")).toBeUndefined();
    expect(matchPointPath("ports.{index}.admin", "ports.12.admin")).toBe("12");
    expect(matchPointPath("ports.{index}.admin", "ports.12.oper")).toBeUndefined();
    const points = [point({ path: "a.b" }), point({ path: "ports.{index}.admin" })];
    expect(pointFor(points, "ports.7.admin")?.path).toBe("ports.{index}.admin");
    expect(pointFor(points, "a.c")).toBeUndefined();
  });
});

describe("Modbus register codec", () => {
  const reg = (p: Partial<PointSpec>, address: Record<string, unknown> = {}) => {
    const spec = point({ ...p, address: { table: "holding", address: 0, ...address } });
    return { spec, addr: modbusAddress(spec, "test") };
  };

  it("decodes and encodes 32-bit values in both word orders", () => {
    const big = reg({ type: "uint32" });
    const little = reg({ type: "uint32", wordOrder: "little" });
    expect(decodeRegisters(big.spec, big.addr, [0x0001, 0xe240])).toBe(123456);
    expect(decodeRegisters(little.spec, little.addr, [0xe240, 0x0001])).toBe(123456);
    expect(encodeRegisters(little.spec, little.addr, 123456)).toEqual([0xe240, 0x0001]);
    const f = reg({ type: "float32" });
    expect(decodeRegisters(f.spec, f.addr, encodeRegisters(f.spec, f.addr, 1178.5))).toBe(1178.5);
    const i = reg({ type: "int32" });
    expect(decodeRegisters(i.spec, i.addr, encodeRegisters(i.spec, i.addr, -2))).toBe(-2);
    const i64 = reg({ type: "int64", wordOrder: "little" });
    expect(decodeRegisters(i64.spec, i64.addr, encodeRegisters(i64.spec, i64.addr, -5n))).toBe(-5n);
  });

  it("strings: 2 characters per register, trailing padding stripped, too long refused", () => {
    const s = reg({ type: "string" }, { length: 4 });
    expect(encodeRegisters(s.spec, s.addr, "PDU-1")).toEqual([0x5044, 0x552d, 0x3120, 0x2020]);
    expect(decodeRegisters(s.spec, s.addr, [0x5044, 0x552d, 0x3100, 0])).toBe("PDU-1");
    // A C string: what follows its NUL is stale buffer content, not text.
    expect(decodeRegisters(s.spec, s.addr, [0x5044, 0x5500, 0x4142, 0x4344])).toBe("PDU");
    expect(() => encodeRegisters(s.spec, s.addr, "123456789")).toThrow(/longer than 8/);
  });

  it("reads single bits of a 32-bit status register", () => {
    const online = reg({ type: "uint32" }, { bit: 1 });
    const overload = reg({ type: "uint32" }, { bit: 21 });
    const words = [0x0020, 0x0002]; // bits 21 and 1
    expect(decodeRegisters(online.spec, online.addr, words)).toBe(true);
    expect(decodeRegisters(overload.spec, overload.addr, words)).toBe(true);
    expect(decodeRegisters(online.spec, online.addr, [0, 0])).toBe(false);
  });

  it("refuses bad addresses at start-up with the point's path", () => {
    const bad =
      (address: Record<string, unknown>, p: Partial<PointSpec> = {}) =>
      () =>
        modbusAddress(point({ path: "p", ...p, address }), "device d");
    expect(bad({ table: "holdings", address: 0 })).toThrow(/device d \(p\): address\.table must be one of/);
    expect(bad({ table: "holding", address: 70000 })).toThrow(/0..65535/);
    expect(bad({ table: "coil", address: 1 }, { type: "uint16" })).toThrow(/type must be bool/);
    expect(bad({ table: "holding", address: 1 }, { type: "string" })).toThrow(/length/);
    expect(bad({ table: "input", address: 1 }, { writable: true })).toThrow(/read-only/);
    expect(bad({ table: "holding", address: 1, bit: 3 }, { type: "uint16", writable: true })).toThrow(
      /read-only/,
    );
    expect(bad({ table: "holding", address: 1, colour: 3 })).toThrow(/unknown key 'colour'/);
  });

  it("merges adjacent points into one request per unit and table, never across gaps", () => {
    const pts = [
      reg({ path: "a", type: "uint16" }, { address: 0 }),
      reg({ path: "b", type: "float32" }, { address: 1 }),
      reg({ path: "c", type: "uint16" }, { address: 10 }),
      reg({ path: "d", type: "uint16" }, { address: 0, unit: 2 }),
    ].map(({ spec, addr }) => ({ point: spec, addr }));
    const blocks = planReads(pts, 1).map((b) => [b.unit, b.start, b.count, b.points.length]);
    expect(blocks).toEqual([
      [1, 0, 3, 2],
      [1, 10, 1, 1],
      [2, 0, 1, 1],
    ]);
  });
});
