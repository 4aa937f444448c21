import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseAgentConfig } from "../../device-agent/agent/config.ts";
import type { HostFacts } from "../../device-agent/agent/facts.ts";
import { hostAttributes, readDmi } from "../../device-agent/agent/host-attributes.ts";

const facts = {
  hostname: "db-1",
  os: { platform: "linux", type: "Linux", name: "Debian GNU/Linux 12 (bookworm)", id: "debian" },
  kernel: "6.1.0-18-amd64",
  arch: "x64",
} as unknown as HostFacts;

describe("host attributes", () => {
  const dir = mkdtempSync(join(tmpdir(), "umbra-dmi-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads vendor, model and serial from the DMI table, skipping firmware placeholders", () => {
    writeFileSync(join(dir, "sys_vendor"), "Dell Inc.\n");
    writeFileSync(join(dir, "product_name"), "PowerEdge R650\n");
    writeFileSync(join(dir, "product_serial"), "To Be Filled By O.E.M.\n");
    writeFileSync(join(dir, "chassis_serial"), "7XK2L33\n");
    expect(readDmi(dir)).toEqual({ vendor: "Dell Inc.", model: "PowerEdge R650", serial: "7XK2L33" });
    expect(readDmi(join(dir, "missing"))).toEqual({});
  });

  it("combines type host, DMI, fact labels and the config's attributes (the config wins)", () => {
    const configured = parseAgentConfig(
      "attributes:\n  model: R650-custom\n  location: { rack: r7 }\n  labels: { tier: gold }\n",
    ).attributes;
    expect(hostAttributes(facts, { vendor: "Dell Inc.", model: "PowerEdge R650" }, configured)).toEqual({
      type: "host",
      vendor: "Dell Inc.",
      model: "R650-custom",
      location: { rack: "r7" },
      labels: {
        os: "Debian GNU/Linux 12 (bookworm)",
        kernel: "6.1.0-18-amd64",
        arch: "x64",
        hostname: "db-1",
        tier: "gold",
      },
    });
  });

  it("refuses a config attribute the node would refuse, naming it", () => {
    expect(() => parseAgentConfig("attributes:\n  colour: red\n")).toThrow(
      /attributes: unknown attribute 'colour'/,
    );
  });
});
