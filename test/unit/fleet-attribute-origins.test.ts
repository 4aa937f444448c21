import { describe, expect, it } from "vitest";
import { type AttributeState, applyAttributeWrite, writeOrigin } from "../../shared/attribute-origins.ts";
import { AttributeError } from "../../shared/fleet-attributes.ts";

const empty: AttributeState = { attributes: {}, origins: {} };

describe("attribute origins", () => {
  it("lets a device fill absent keys and keep its own up to date", () => {
    const a = applyAttributeWrite(empty, {
      input: { type: "pdu", vendor: "APC", labels: { "os.name": "x" } },
      mode: "put",
      origin: "device",
    });
    expect(a.origins).toEqual({ type: "device", vendor: "device", labels: { "os.name": "device" } });
    expect(a.changed).toBe(true);
    const b = applyAttributeWrite(a, {
      input: { type: "pdu", vendor: "Schneider" },
      mode: "put",
      origin: "device",
    });
    // put from a device: its whole set, so the label it no longer sends goes.
    expect(b.attributes).toEqual({ type: "pdu", vendor: "Schneider" });
    expect(b.kept).toEqual([]);
    const same = applyAttributeWrite(b, {
      input: { type: "pdu", vendor: "Schneider" },
      mode: "put",
      origin: "device",
    });
    expect(same.changed).toBe(false);
  });

  it("never lets a device overwrite or delete what an operator set", () => {
    const op = applyAttributeWrite(empty, {
      input: { type: "ups", location: { rack: "7" } },
      mode: "patch",
      origin: "operator",
    });
    expect(op.origins).toEqual({ type: "operator", location: { rack: "operator" } });
    const dev = applyAttributeWrite(op, {
      input: { type: "pdu", serial: "S1", location: { rack: "9", room: "r2" } },
      mode: "put",
      origin: "device",
    });
    expect(dev.attributes).toEqual({ type: "ups", serial: "S1", location: { rack: "7", room: "r2" } });
    expect(dev.kept.sort()).toEqual(["location.rack", "type"]);
    const del = applyAttributeWrite(dev, {
      input: { location: null, type: null },
      mode: "patch",
      origin: "device",
    });
    expect(del.attributes).toEqual({ type: "ups", serial: "S1", location: { rack: "7" } });
    expect(del.kept.sort()).toEqual(["location.rack", "type"]);
  });

  it("marks what an operator writes as theirs, except a device's value sent back unchanged by a PUT", () => {
    const dev = applyAttributeWrite(empty, {
      input: { model: "M1", serial: "S1" },
      mode: "put",
      origin: "device",
    });
    const put = applyAttributeWrite(dev, {
      input: { model: "M1", serial: "S1", owner: "ops" },
      mode: "put",
      origin: "operator",
    });
    expect(put.origins).toEqual({ model: "device", serial: "device", owner: "operator" });
    const patch = applyAttributeWrite(put, { input: { model: "M2" }, mode: "patch", origin: "operator" });
    expect(patch.origins).toEqual({ model: "operator", serial: "device", owner: "operator" });
    // The operator deletes the serial: absent again, so the device may fill it.
    const gone = applyAttributeWrite(patch, { input: { serial: null }, mode: "patch", origin: "operator" });
    expect(gone.attributes).toEqual({ model: "M2", owner: "ops" });
    const refill = applyAttributeWrite(gone, {
      input: { model: "M1", serial: "S1" },
      mode: "put",
      origin: "device",
    });
    expect(refill.attributes).toEqual({ model: "M2", owner: "ops", serial: "S1" });
  });

  it("counts keys stored without an origin (before origins existed) as an operator's", () => {
    const legacy = { attributes: { type: "bmc" }, origins: {} };
    const r = applyAttributeWrite(legacy, { input: { type: "host" }, mode: "patch", origin: "device" });
    expect(r.attributes).toEqual({ type: "bmc" });
    expect(r.kept).toEqual(["type"]);
  });

  it("derives the origin from the role; others choose, with a clear error for nonsense", () => {
    expect(writeOrigin("bridge", "operator")).toBe("device");
    expect(writeOrigin("device", undefined)).toBe("device");
    expect(writeOrigin("operator", undefined)).toBe("operator");
    expect(writeOrigin("anonymous", "device")).toBe("device");
    expect(() => writeOrigin("operator", "robot")).toThrow(AttributeError);
  });
});
