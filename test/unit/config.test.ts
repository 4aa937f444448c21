import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultSite, loadConfig } from "../../broker/config-load.ts";
import { ConfigError } from "../../shared/config.ts";
import { DEFAULT_LIMITS } from "../../shared/limits.ts";
import { spawnNode, tempDir } from "../helpers/node.ts";

const dir = tempDir("umbra-config-");
let fileCount = 0;
/** Writes a config file (an object is JSON-encoded; a string is written as is) and returns its path. */
function configFile(content: unknown): string {
  const path = join(dir, `config-${++fileCount}.json`);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

/** Runs loadConfig expecting a ConfigError and returns its message. */
function configError(sources: Parameters<typeof loadConfig>[0]): string {
  let caught: unknown;
  try {
    loadConfig(sources);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  return (caught as ConfigError).message;
}

describe("loadConfig defaults", () => {
  it("returns the documented defaults when given nothing", () => {
    const config = loadConfig();
    expect(config).toEqual({
      dataDir: "./data",
      // Authentication is on by default, so the node listens on every interface.
      host: "0.0.0.0",
      mqttPort: 1883,
      httpPort: 8080,
      site: defaultSite(),
      cacheSize: 20_000,
      compactAfterChunks: 8,
      epochAfterChanges: 32,
      deferUpdates: 32,
      commitPipeline: false,
      requestsInWork: 500,
      heapGrowthPercent: 100,
      epochShared: true,
      commitWorker: true,
      walCheckpointer: false,
      logLevel: "warn",
      allowAnonymous: false,
      tlsPort: null,
      tlsRequireClientCert: false,
      wsPort: null,
      wssPort: null,
      httpsPort: null,
      telemetryRawHours: 48,
      telemetryMinuteDays: 30,
      telemetryHourDays: 400,
      telemetrySummary: {},
      sparkplugEnabled: true,
      sparkplugReportedMetrics: ["*"],
      sparkplugReportedIntervalMs: 5000,
      historyEnabled: true,
      historyReportedDays: 2,
      historyReportedMax: 35_000,
      historyDesiredDays: 400,
      historyDesiredMax: 10_000,
      historyCheckpointEvery: 256,
      historyLogRows: 32_768,
      historyPruneIntervalMs: 250,
      historyPruneBatch: 1000,
      limits: {
        maxStateBytes: 8192,
        maxRequestBytes: 16384,
        maxDepth: 8,
        maxClientTokenBytes: 64,
        maxNamedShadows: 100,
        maxShadowsPerIdentity: 10_000,
      },
      security: {
        maxConnections: 20_000,
        connectTimeoutMs: 10_000,
        maxPacketBytes: 262_144,
        requestRate: 50,
        requestBurst: 100,
        maxInflight: 64,
        thingRequestRate: 100,
        thingRequestBurst: 200,
        thingMaxInflight: 64,
        identityRequestRate: 500,
        identityRequestBurst: 1000,
        identityMaxInflight: 256,
        loginMaxFailures: 10,
        loginWindowMs: 60_000,
        loginBlockMs: 30_000,
        loginThrottleLoopback: false,
      },
    });
    expect(loadConfig({ flags: { allowAnonymous: true } }).host).toBe("127.0.0.1");
    // The default site comes from the host name and must itself be a usable site id.
    expect(config.site).toMatch(/^[a-zA-Z0-9:_-]+$/);
  });

  it("ignores the process environment unless it is passed in", () => {
    const saved = process.env.UMBRA_MQTT_PORT;
    process.env.UMBRA_MQTT_PORT = "4444";
    try {
      expect(loadConfig().mqttPort).toBe(1883);
      expect(loadConfig({ env: process.env }).mqttPort).toBe(4444);
    } finally {
      if (saved === undefined) delete process.env.UMBRA_MQTT_PORT;
      else process.env.UMBRA_MQTT_PORT = saved;
    }
  });

  it("never lets one result's changes leak into the defaults", () => {
    const first = loadConfig();
    first.limits.maxStateBytes = 1;
    first.mqttPort = 1;
    const second = loadConfig();
    expect(second.limits.maxStateBytes).toBe(DEFAULT_LIMITS.maxStateBytes);
    expect(second.mqttPort).toBe(1883);
  });
});

describe("loadConfig precedence: defaults < file < env < flags", () => {
  it("layers each source over the one before, setting by setting", () => {
    const file = configFile({
      mqttPort: 1000,
      httpPort: 1001,
      host: "0.0.0.0",
      site: "file-site",
      cacheSize: 5,
    });
    const env = { UMBRA_MQTT_PORT: "2000", UMBRA_SITE: "env-site", UMBRA_CACHE_SIZE: "6" };
    const config = loadConfig({ file, env, flags: { mqttPort: "3000", cacheSize: 7 } });
    expect(config.mqttPort).toBe(3000); // flag over env over file
    expect(config.site).toBe("env-site"); // env over file
    expect(config.httpPort).toBe(1001); // file over default
    expect(config.host).toBe("0.0.0.0");
    expect(config.cacheSize).toBe(7);
    expect(config.dataDir).toBe("./data"); // untouched default
  });

  it("reads the file named by UMBRA_CONFIG when no file is given, and prefers an explicit file", () => {
    const fromEnv = configFile({ site: "env-file" });
    const explicit = configFile({ site: "explicit-file" });
    expect(loadConfig({ env: { UMBRA_CONFIG: fromEnv } }).site).toBe("env-file");
    expect(loadConfig({ file: explicit, env: { UMBRA_CONFIG: fromEnv } }).site).toBe("explicit-file");
  });

  it("skips flags that are undefined (options the user did not give)", () => {
    const config = loadConfig({
      env: { UMBRA_HTTP_PORT: "9000" },
      flags: { httpPort: undefined, site: undefined },
    });
    expect(config.httpPort).toBe(9000);
    expect(config.site).toBe(defaultSite());
  });

  it("ignores environment variables that are not Umbra settings", () => {
    const config = loadConfig({ env: { PATH: "/bin", UMBRA_NOT_A_SETTING: "x", HOST: "example" } });
    expect(config).toEqual(loadConfig());
  });

  it("accepts port 0 (any free port) and the full port range", () => {
    expect(loadConfig({ flags: { mqttPort: 0, httpPort: 65535 } })).toMatchObject({
      mqttPort: 0,
      httpPort: 65535,
    });
  });
});

describe("loadConfig limits", () => {
  it("overrides limits from a nested limits object, flat keys, env and flags", () => {
    const file = configFile({ limits: { maxStateBytes: 1000, maxDepth: 4 }, maxClientTokenBytes: 32 });
    const config = loadConfig({
      file,
      env: { UMBRA_MAX_REQUEST_BYTES: "2000", UMBRA_MAX_DEPTH: "5" },
      flags: { maxStateBytes: "1500" },
    });
    expect(config.limits).toEqual({
      maxStateBytes: 1500,
      maxRequestBytes: 2000,
      maxDepth: 5,
      maxClientTokenBytes: 32,
      maxNamedShadows: 100,
      maxShadowsPerIdentity: 10_000,
    });
    // Limits live only under `limits`, never as stray top-level keys.
    expect(config).not.toHaveProperty("maxStateBytes");
  });

  it("has an env variable for every limit", () => {
    const env = {
      UMBRA_MAX_STATE_BYTES: "11",
      UMBRA_MAX_REQUEST_BYTES: "12",
      UMBRA_MAX_DEPTH: "13",
      UMBRA_MAX_CLIENT_TOKEN_BYTES: "14",
      UMBRA_MAX_NAMED_SHADOWS: "15",
      UMBRA_MAX_SHADOWS_PER_IDENTITY: "16",
    };
    expect(loadConfig({ env }).limits).toEqual({
      maxStateBytes: 11,
      maxRequestBytes: 12,
      maxDepth: 13,
      maxClientTokenBytes: 14,
      maxNamedShadows: 15,
      maxShadowsPerIdentity: 16,
    });
  });

  it("takes 0 for the tuning knobs where 0 turns the feature off, but no negative or fraction", () => {
    const config = loadConfig({ env: { UMBRA_DEFER_UPDATES: "0", UMBRA_EPOCH_AFTER_CHANGES: "0" } });
    expect(config).toMatchObject({ deferUpdates: 0, epochAfterChanges: 0 });
    expect(configError({ env: { UMBRA_DEFER_UPDATES: "-1" } })).toMatch(
      /^environment: deferUpdates must be a whole number \(0 or more\), got "-1"/,
    );
    expect(configError({ file: configFile({ epochAfterChanges: 1.5 }) })).toContain(
      "epochAfterChanges must be a whole number (0 or more)",
    );
  });

  it("rejects a limit of zero: limits are positive", () => {
    const message = configError({ env: { UMBRA_MAX_DEPTH: "0" } });
    expect(message).toMatch(/^environment: maxDepth must be a positive integer/);
  });
});

describe("loadConfig invalid values", () => {
  it("rejects an out-of-range port in the file, naming the setting, the value and the file", () => {
    const file = configFile({ mqttPort: 70000 });
    const message = configError({ file });
    expect(message).toContain(`config file ${file}`);
    expect(message).toContain("mqttPort");
    expect(message).toContain("70000");
    expect(message).toContain("0-65535");
  });

  it("rejects a non-numeric port from the environment, naming the environment as source", () => {
    const message = configError({ env: { UMBRA_HTTP_PORT: "eighty" } });
    expect(message).toMatch(/^environment: httpPort must be a port number/);
    expect(message).toContain('"eighty"');
  });

  it("rejects a bad flag, naming the command line as source", () => {
    const message = configError({ flags: { cacheSize: "lots" } });
    expect(message).toMatch(/^command line: cacheSize must be a positive integer/);
  });

  it.each([
    ["negative port", { mqttPort: -1 }, "mqttPort"],
    ["fractional port", { httpPort: 80.5 }, "httpPort"],
    ["boolean port", { httpPort: true }, "httpPort"],
    ["empty string port", { mqttPort: "" }, "mqttPort"],
    ["zero cache", { cacheSize: 0 }, "cacheSize"],
    ["numeric host", { host: 5 }, "host"],
    ["empty data dir", { dataDir: "" }, "dataDir"],
    ["string limit", { limits: { maxStateBytes: "big" } }, "maxStateBytes"],
  ])("rejects a %s in the file", (_label, content, setting) => {
    const file = configFile(content);
    const message = configError({ file });
    expect(message).toContain(`config file ${file}`);
    expect(message).toContain(setting);
  });

  it("rejects an unknown key in the file, at the top level and inside limits", () => {
    const top = configFile({ mqttport: 1884 });
    expect(configError({ file: top })).toBe(
      `config file ${top}: unknown setting 'mqttport' (did you mean 'mqttPort'?)`,
    );
    const nested = configFile({ limits: { maxStateKB: 8 } });
    expect(configError({ file: nested })).toBe(`config file ${nested}: unknown setting 'maxStateKB'`);
  });

  it("reports every mistake of a file at once, with the nearest setting for typos", () => {
    const file = configFile({ "mqtt-port": 1884, cachSize: 5, httpPort: "x", logLevel: "loud" });
    const message = configError({ file });
    expect(message).toMatch(/^4 problems:\n/);
    expect(message).toContain(`unknown setting 'mqtt-port' (did you mean 'mqttPort'?)`);
    expect(message).toContain(`unknown setting 'cachSize' (did you mean 'cacheSize'?)`);
    expect(message).toContain("httpPort must be a port number");
    expect(message).toContain("logLevel must be one of");
  });

  it("reads a YAML config file (.yaml), and the example in docs loads as it is", () => {
    const file = join(dir, "umbra.yaml");
    writeFileSync(file, "mqttPort: 1999\nlimits:\n  maxStateBytes: 4096\nrelayTopics: [a/#, b/#]\n");
    const config = loadConfig({ file });
    expect(config.mqttPort).toBe(1999);
    expect(config.limits.maxStateBytes).toBe(4096);
    expect(config.relayTopics).toEqual(["a/#", "b/#"]);
    const example = loadConfig({ file: join(import.meta.dirname, "../../docs/umbra.example.yaml") });
    expect(example.mqttPort).toBe(1883);
  });

  it("rejects an unknown flag", () => {
    expect(configError({ flags: { verbose: true } })).toBe("command line: unknown setting 'verbose'");
  });

  it("rejects a malformed JSON file with the parser's reason", () => {
    const file = configFile('{ "mqttPort": 1883, }');
    const message = configError({ file });
    expect(message).toMatch(new RegExp(`^config file ${file}: .*JSON`));
  });

  it("rejects a file whose JSON is not an object", () => {
    for (const content of ["[1,2]", "42", "null"]) {
      const file = configFile(content);
      expect(configError({ file })).toBe(
        `config file ${file}: must hold an object of settings (docs/umbra.example.yaml)`,
      );
    }
  });

  it("rejects a missing file, naming it", () => {
    const file = join(dir, "does-not-exist.json");
    const message = configError({ file });
    expect(message).toContain(`config file ${file}`);
    expect(message).toContain("ENOENT");
  });

  it("rejects an unknown log level instead of letting the logger crash later", () => {
    const message = configError({ env: { UMBRA_LOG_LEVEL: "loud" } });
    expect(message).toContain("environment");
    expect(message).toContain("logLevel");
    expect(message).toContain("loud");
    for (const level of ["fatal", "error", "warn", "info", "debug", "trace", "silent"]) {
      expect(loadConfig({ flags: { logLevel: level } }).logLevel).toBe(level);
    }
  });
});

describe("umbra broker wiring of --config and UMBRA_* (child process)", () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = tempDir("umbra-config-node-");
  });
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it("applies the file's limit, env over file, flags over env", async () => {
    const file = configFile({ maxStateBytes: 300, site: "file-site", dataDir });
    // UMBRA_HTTP_PORT=1 would fail to bind (or show up in the ready line) if env beat the --http-port 0 flag.
    const node = await spawnNode(["--config", file], {
      UMBRA_SITE: "env-site",
      UMBRA_HTTP_PORT: "1",
      UMBRA_MQTT_PORT: "1",
    });
    try {
      expect(node.httpPort).not.toBe(1);
      expect(node.mqttPort).not.toBe(1);
      const health = await fetch(`${node.httpUrl}/healthz`);
      expect(await health.json()).toEqual({ status: "ok", site: "env-site" });

      const post = (value: string) =>
        fetch(`${node.httpUrl}/things/cfg-1/shadow`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ state: { desired: { v: value } } }),
        });
      // The limit counts the compact JSON of {desired, reported}: fill it to exactly 300 bytes, then one more.
      const overhead = JSON.stringify({ desired: { v: "" }, reported: {} }).length;
      const fits = await post("x".repeat(300 - overhead));
      expect(fits.status).toBe(200);
      const tooBig = await post("x".repeat(300 - overhead + 1));
      expect(tooBig.status).toBe(413);
      expect(await tooBig.json()).toMatchObject({
        code: 413,
        message: expect.stringContaining("limit is 300"),
      });
    } finally {
      node.child.kill("SIGTERM");
      expect(await node.exited).toBe(0);
    }
  });

  it("exits 2 with the ConfigError on stderr for an invalid config file", async () => {
    const file = configFile({ httpPort: 70000 });
    await expect(spawnNode(["--config", file, "--data-dir", dataDir])).rejects.toThrow(
      new RegExp(
        `exited with 2 before ready; stderr: umbra: config file ${file}: httpPort must be a port number`,
      ),
    );
  });

  it("exits 2 for an invalid UMBRA_* variable", async () => {
    await expect(spawnNode(["--data-dir", dataDir], { UMBRA_CACHE_SIZE: "none" })).rejects.toThrow(
      /exited with 2 before ready; stderr: umbra: environment: cacheSize must be a positive integer/,
    );
  });
});
