import { describe, expect, it } from "vitest";
import { formatStartupSummary, type StartupFacts } from "../../broker/cli/startup-summary.ts";

const facts: StartupFacts = {
  site: "lab-1",
  dataDir: "/var/lib/umbra",
  urls: { http: "http://0.0.0.0:8080", mqtts: "mqtts://0.0.0.0:8883", mqtt: "mqtt://0.0.0.0:1883" },
  anonymous: false,
  mutualTls: "optional",
  identities: 1,
  tokens: 3,
  capabilities: ["telemetry", "metrics"],
  logLevel: "warn",
};

describe("startup summary", () => {
  it("lists site, data dir, listeners in a fixed order, auth, capabilities and the log level", () => {
    expect(formatStartupSummary(facts)).toBe(
      [
        "umbra: node started",
        "  site         lab-1",
        "  data dir     /var/lib/umbra",
        "  mqtt         mqtt://0.0.0.0:1883",
        "  mqtts        mqtts://0.0.0.0:8883",
        "  http         http://0.0.0.0:8080",
        "  auth         credentials required; 1 identity, 3 HTTP tokens; client certificates optional",
        "  capabilities telemetry, metrics",
        "  logs         level warn (JSON on stderr; --log-level info or debug for more)",
        "",
      ].join("\n"),
    );
  });

  it("names the admin credential file while it exists, and the parent links", () => {
    const text = formatStartupSummary({
      ...facts,
      adminFile: "/var/lib/umbra/admin.json",
      parents: ["mqtts://core.example:8883"],
    });
    expect(text).toContain("  parents      mqtts://core.example:8883\n");
    expect(text).toContain(
      "  admin        /var/lib/umbra/admin.json (user admin: MQTT password and HTTP token)\n",
    );
  });

  it("says loudly when no credentials are checked", () => {
    const text = formatStartupSummary({ ...facts, anonymous: true, mutualTls: "off", capabilities: [] });
    expect(text).toContain("auth         ANONYMOUS (--allow-anonymous): no credentials checked\n");
    expect(text).toContain("capabilities none\n");
  });
});
