import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AgentConfigError, parseAgentConfig } from "../../device-agent/agent/config.ts";
import { BridgeConfigError, parseBridgeConfig } from "../../firmware-bridge/config.ts";
import {
  ConfigCheckError,
  ConfigProblems,
  fail,
  formatProblems,
  pathFromPointer,
} from "../../shared/config-check.ts";
import { nearestName } from "../../shared/nearest-name.ts";

function caught(fn: () => unknown): ConfigCheckError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigCheckError);
    return err as ConfigCheckError;
  }
  throw new Error("expected a config error");
}

describe("the shared config validator", () => {
  it("suggests the nearest known name, forgiving case and flag spelling, and nothing when none is close", () => {
    expect(nearestName("cachSize", ["cacheSize", "port"])).toBe("cacheSize");
    expect(nearestName("poll-interval", ["pollInterval", "timeout"])).toBe("pollInterval");
    expect(nearestName("zzzzzz", ["pollInterval", "timeout"])).toBeUndefined();
  });

  it("collects thrown checker errors and added problems, and reports them all at once", () => {
    const p = new ConfigProblems();
    expect(p.check(() => 7)).toBe(7);
    expect(p.check(() => fail("a.b", "must be a string"))).toBeUndefined();
    p.add("c[1]", "is required");
    expect(() => p.check(() => JSON.parse("{"))).toThrow(SyntaxError); // not a config problem: not swallowed
    const err = caught(() => p.throwIfAny("x.yaml"));
    expect(err.problems).toEqual(["a.b: must be a string", "c[1]: is required"]);
    expect(err.message).toBe("x.yaml: 2 problems:\n  a.b: must be a string\n  c[1]: is required");
    expect(formatProblems("x.yaml", ["only: one"])).toBe("x.yaml: only: one");
    expect(() => new ConfigProblems().throwIfAny("x.yaml")).not.toThrow();
  });

  it("names paths the way the configs are written", () => {
    expect(pathFromPointer("/devices/2/options/password")).toBe("devices[2].options.password");
    expect(pathFromPointer("/a~1b/0/0")).toBe("a/b[0][0]");
    expect(pathFromPointer("")).toBe("");
  });
});

describe("three mistakes, one run", () => {
  it("agent: a typo, a wrong type and a bad path are all reported, the typo with its suggestion", () => {
    const yaml = [
      "url: [mqtt://h]",
      "telemetry:",
      "  intervall: 5s",
      "handlers:",
      "  motd:",
      "    desired: motd",
      "    file: { path: etc/motd }",
      "",
    ].join("\n");
    const err = caught(() => parseAgentConfig(yaml, "agent.yaml"));
    expect(err).toBeInstanceOf(AgentConfigError);
    expect(err.problems).toEqual([
      "url: must be a non-empty string, got a list",
      "telemetry.intervall: unknown key (did you mean 'interval'?)",
      "handlers.motd.file.path: must be an absolute path, got 'etc/motd'",
    ]);
    expect(err.message.startsWith("agent.yaml: 3 problems:\n  url: must be")).toBe(true);
  });

  it("agent: a mistyped handler kind is an unknown key with a hint, beside the missing kind", () => {
    const err = caught(() =>
      parseAgentConfig("handlers:\n  x:\n    desired: a\n    comand: [/bin/true]\n", "a.yaml"),
    );
    expect(err.problems).toEqual([
      "handlers.x.comand: unknown key (did you mean 'command'?)",
      "handlers.x: must have exactly one of command, file, script (found none)",
    ]);
  });

  it("bridge: a typo, a wrong type and a missing secret file are all reported, the typo with its suggestion", () => {
    const dir = mkdtempSync(join(tmpdir(), "umbra-validator-"));
    writeFileSync(join(dir, "community"), "private\n");
    const yaml =
      "node: { url: 'mqtt://h', username: b }\n" +
      "defaults: { timeout: 1s }\n" +
      "devices:\n" +
      "  - { thing: s1, driver: snmp, address: h, profile: p, options: { community: { file: community } } }\n" +
      "  - { thing: s2, driver: snmp, address: h, profile: p, pollIntervall: 5s }\n" +
      "  - { thing: s3, driver: snmp, address: h, profile: p, timeout: [1], options: { community: { file: gone } } }\n";
    const err = caught(() => parseBridgeConfig(yaml, join(dir, "bridge.yaml"), {}));
    expect(err).toBeInstanceOf(BridgeConfigError);
    expect(err.problems).toEqual([
      "devices[1].pollIntervall: unknown key (did you mean 'pollInterval'?)",
      "devices[2].timeout: must be a string or number, got a list",
      `devices[2].options.community: cannot read secret file ${join(dir, "gone")}: ENOENT`,
    ]);
    expect(err.message.startsWith(`${join(dir, "bridge.yaml")}: 3 problems:\n`)).toBe(true);
    // The same file without the mistakes is read, the good secret file with it.
    const fixed = yaml
      .replace(", pollIntervall: 5s", "")
      .replace("timeout: [1], ", "")
      .replace("gone", "community");
    const config = parseBridgeConfig(fixed, join(dir, "bridge.yaml"), {});
    expect(config.devices.map((d) => d.spec.options.community)).toEqual(["private", undefined, "private"]);
    expect(config.devices[0]?.spec.timeoutMs).toBe(1000);
  });
});
