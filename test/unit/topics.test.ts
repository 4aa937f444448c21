import { describe, expect, it } from "vitest";
import {
  isNodeOwnedTopic,
  isValidShadowName,
  isValidThingName,
  parsePresenceTopic,
  parseShadowTopic,
  shadowTopic,
} from "../../shared/topics.ts";

describe("shadow topic grammar", () => {
  it("parses classic and named request topics on both roots", () => {
    expect(parseShadowTopic("$aws/things/pdu-1/shadow/update")).toEqual({
      root: "$aws",
      thing: "pdu-1",
      shadow: "",
      op: "update",
    });
    expect(parseShadowTopic("$umbra/things/pdu-1/shadow/name/power/get/accepted")).toEqual({
      root: "$umbra",
      thing: "pdu-1",
      shadow: "power",
      op: "get",
      reply: "accepted",
    });
  });

  it("rejects topics outside the grammar", () => {
    for (const t of [
      "$aws/things/pdu-1/shadow",
      "$aws/things/pdu-1/shadow/name",
      "$aws/things/pdu-1/shadow/get/delta",
      "$aws/things/pdu-1/shadow/update/accepted/x",
      "$other/things/pdu-1/shadow/get",
      "things/pdu-1/shadow/get",
      "$aws/thing/pdu-1/shadow/get",
      "$aws/things/pdu-1/shadow/patch",
    ]) {
      expect(parseShadowTopic(t), t).toBeNull();
    }
  });

  it("formats what it parses", () => {
    for (const t of [
      "$aws/things/a/shadow/update/delta",
      "$umbra/things/a/shadow/name/s1/delete/rejected",
      "$umbra/things/a:b_c-d/shadow/get",
    ]) {
      const p = parseShadowTopic(t);
      expect(p).not.toBeNull();
      if (p) expect(shadowTopic(p.root, p, p.op, p.reply)).toBe(t);
    }
  });

  it("applies AWS name rules", () => {
    expect(isValidThingName("a".repeat(128))).toBe(true);
    expect(isValidThingName("a".repeat(129))).toBe(false);
    expect(isValidThingName("")).toBe(false);
    expect(isValidThingName("bad name")).toBe(false);
    expect(isValidThingName("pdu/1")).toBe(false);
    expect(isValidShadowName("$config")).toBe(true);
    expect(isValidShadowName("a".repeat(65))).toBe(false);
    expect(isValidShadowName("x.y")).toBe(false);
  });

  it("knows which topics only the node may publish", () => {
    expect(isNodeOwnedTopic("$aws/things/a/shadow/update/accepted")).toBe(true);
    expect(isNodeOwnedTopic("$umbra/things/a/presence")).toBe(true);
    expect(isNodeOwnedTopic("$aws/things/a/shadow/update")).toBe(false);
    expect(isNodeOwnedTopic("things/a/telemetry")).toBe(false);
    // Every reply level, on both roots, named shadows and attributes; the same last levels elsewhere are not.
    for (const reply of ["accepted", "rejected", "delta", "documents"])
      expect(isNodeOwnedTopic(`$umbra/things/a/shadow/name/n/update/${reply}`)).toBe(true);
    expect(isNodeOwnedTopic("$aws/things/a/shadow/get/rejected")).toBe(true);
    expect(isNodeOwnedTopic("$umbra/things/a/attributes/update/accepted")).toBe(true);
    expect(isNodeOwnedTopic("$umbra/things/a/attributes/get/rejected")).toBe(true);
    expect(isNodeOwnedTopic("$umbra/things/a/attributes/update")).toBe(false);
    expect(isNodeOwnedTopic("plant/line/accepted")).toBe(false);
    expect(isNodeOwnedTopic("presence")).toBe(false);
    expect(parsePresenceTopic("$umbra/things/a/presence")).toBe("a");
    expect(parsePresenceTopic("$aws/things/a/presence")).toBeNull();
  });
});
