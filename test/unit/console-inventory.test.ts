import { describe, expect, it } from "vitest";
import { formValues, inventoryRows, patchOf } from "../../console/src/parts/inventory-model.ts";

/** The console's inventory form: rows with origins, and the PATCH a form makes (only what changed). */
describe("console inventory model", () => {
  const attributes = {
    type: "pdu",
    vendor: "APC",
    owner: "facilities",
    location: { site: "core", rack: "a4", unit: 12 },
    labels: { os: "linux", zone: "b" },
  };
  const origins = { type: "device", vendor: "device", location: { site: "device", rack: "operator" } };

  it("lists every leaf in the form's order with its origin (unrecorded counts as an operator's)", () => {
    const rows = inventoryRows({ attributes, origins });
    expect(rows.map((r) => [r.key, r.value, r.origin])).toEqual([
      ["type", "pdu", "device"],
      ["vendor", "APC", "device"],
      ["owner", "facilities", "operator"],
      ["location.site", "core", "device"],
      ["location.rack", "a4", "operator"],
      ["location.unit", 12, "operator"],
      ["labels.os", "linux", "operator"],
      ["labels.zone", "b", "operator"],
    ]);
  });

  it("sends nothing for an untouched form, so device keys stay the device's", () => {
    expect(patchOf(attributes, formValues(attributes))).toEqual({});
  });

  it("sets changed keys, deletes emptied ones and removed labels, and sends a whole rack unit as a number", () => {
    const form = formValues(attributes);
    form.fields.owner = " ops ";
    form.fields.vendor = "";
    form.fields["location.unit"] = "14";
    form.fields["location.row"] = "r3";
    form.labels = [
      { name: "os", value: "linux" },
      { name: "role", value: "spare" },
      { name: "", value: "" },
    ];
    expect(patchOf(attributes, form)).toEqual({
      owner: "ops",
      vendor: null,
      location: { unit: 14, row: "r3" },
      labels: { role: "spare", zone: null },
    });
  });

  it("passes what the node must judge as typed (a bad rack unit, a nameless label)", () => {
    const form = formValues({});
    form.fields["location.unit"] = "top";
    form.labels = [{ name: "", value: "x" }];
    expect(patchOf({}, form)).toEqual({ location: { unit: "top" }, labels: { "": "x" } });
  });
});
