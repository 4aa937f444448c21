import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { addSettingFlags, settingsFromFlags } from "../../broker/cli/broker-flags.ts";
import { resolveConfig } from "../../shared/config.ts";
import { FILE_ENV_ONLY, SETTINGS, type SettingKind } from "../../shared/settings.ts";

const keys = Object.keys(SETTINGS) as (keyof typeof SETTINGS)[];

/** A valid value, as an environment string, for each kind of setting. */
const SAMPLE: Record<SettingKind, string> = {
  string: "x",
  optionalPort: "1",
  count: "1",
  amount: "0",
  level: "info",
  bool: "true",
  list: "a,b",
  object: "{}",
  objects: "[]",
};

describe("the settings schema", () => {
  it("gives every setting a flag or declares it file/env only, and `umbra broker` has exactly those flags", () => {
    const command = addSettingFlags(new Command("broker"));
    const longs = command.options.map((o) => o.long);
    const flagged = keys.filter((k) => SETTINGS[k].flag !== FILE_ENV_ONLY);
    for (const key of keys) {
      const flag = SETTINGS[key].flag;
      if (flag === FILE_ENV_ONLY) continue;
      expect(typeof flag.help).toBe("string");
    }
    expect(longs).toHaveLength(flagged.length);
    expect(new Set(longs).size).toBe(longs.length);
    // The help names the variable, and the default when the setting has one.
    for (const option of command.options) {
      const key = keys.find((k) => option.attributeName() === settingAttribute(k));
      expect(key, option.long).toBeDefined();
      const s = SETTINGS[key as keyof typeof SETTINGS];
      expect(option.description).toContain(`env ${s.env}`);
      if (s.default !== undefined && s.defaultText === undefined)
        expect(option.description).toContain("default ");
    }
  });

  it("keeps the flag names and env names operators already use", () => {
    const command = addSettingFlags(new Command("broker"));
    const longs = command.options.map((o) => o.long);
    for (const flag of [
      "--data-dir",
      "--mqtt-port",
      "--allow-anonymous",
      "--relay-topic",
      "--sparkplug-host-id",
    ])
      expect(longs).toContain(flag);
    expect(SETTINGS.maxStateBytes.env).toBe("UMBRA_MAX_STATE_BYTES");
    expect(SETTINGS.tlsRequireClientCert.env).toBe("UMBRA_TLS_REQUIRE_CLIENT_CERT");
    expect(SETTINGS.relayTopics.env).toBe("UMBRA_RELAY_TOPICS");
  });

  it("turns parsed flags back into settings by key (a repeated flag into a list)", () => {
    const command = addSettingFlags(new Command("broker")).exitOverride();
    command.parse(["--mqtt-port", "5", "--allow-anonymous", "--relay-topic", "a/#", "--relay-topic", "b/#"], {
      from: "user",
    });
    expect(settingsFromFlags(command.opts())).toEqual({
      mqttPort: "5",
      allowAnonymous: true,
      relayTopics: ["a/#", "b/#"],
    });
  });

  it("has one key per setting of the node's config: every setting given resolves to exactly the schema's keys", () => {
    const env = Object.fromEntries(keys.map((k) => [SETTINGS[k].env, SAMPLE[SETTINGS[k].kind]]));
    const config = resolveConfig({ env, defaultSite: "s" });
    const { limits, security, ...top } = config;
    const flat = [...Object.keys(top), ...Object.keys(limits), ...Object.keys(security)].sort();
    expect(flat).toEqual([...keys].sort());
  });

  it("keeps shared/ free of I/O: the config modules read no file and no host name", () => {
    for (const file of ["config.ts", "node-config.ts", "settings.ts"]) {
      const text = readFileSync(join(import.meta.dirname, "../../shared", file), "utf8");
      expect(text, file).not.toMatch(/from "node:(fs|os)"/);
    }
  });
});

function settingAttribute(key: keyof typeof SETTINGS): string {
  const flag = SETTINGS[key].flag;
  const name = flag === FILE_ENV_ONLY ? key : (flag.name ?? key);
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
