import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { DEFAULT_LIMITS, type ShadowLimits } from "./limits.ts";

/** Every setting of a node. Each can come from the config file, an `UMBRA_*` variable or a flag. */
export interface NodeConfig {
  /** Directory of the SQLite store. */
  dataDir: string;
  /** Address the MQTT and HTTP listeners bind to. Loopback until authentication exists. */
  host: string;
  /** MQTT (TCP) port; 0 picks a free port. */
  mqttPort: number;
  /** HTTP API port; 0 picks a free port. */
  httpPort: number;
  /** This node's site id (used in presence and, later, the relay). */
  site: string;
  /** How many shadow documents stay in memory. */
  cacheSize: number;
  /** Rewrite a shadow's snapshot after this many incremental chunks. */
  compactAfterChunks: number;
  /** pino level: fatal, error, warn, info, debug, trace, silent. */
  logLevel: string;
  limits: ShadowLimits;
}

export const DEFAULT_CONFIG: Readonly<NodeConfig> = Object.freeze({
  dataDir: "./data",
  host: "127.0.0.1",
  mqttPort: 1883,
  httpPort: 8080,
  site: defaultSite(),
  cacheSize: 10_000,
  compactAfterChunks: 64,
  logLevel: "info",
  limits: { ...DEFAULT_LIMITS },
});

function defaultSite(): string {
  const name = hostname().split(".")[0] ?? "site";
  return name.replace(/[^a-zA-Z0-9:_-]/g, "-") || "site";
}

type Kind = "string" | "port" | "count" | "level";
/** pino's levels; anything else makes pino throw at startup, so reject it here with the source named. */
const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];
const FIELDS: Record<string, { kind: Kind; env: string; limit?: boolean }> = {
  dataDir: { kind: "string", env: "UMBRA_DATA_DIR" },
  host: { kind: "string", env: "UMBRA_HOST" },
  mqttPort: { kind: "port", env: "UMBRA_MQTT_PORT" },
  httpPort: { kind: "port", env: "UMBRA_HTTP_PORT" },
  site: { kind: "string", env: "UMBRA_SITE" },
  cacheSize: { kind: "count", env: "UMBRA_CACHE_SIZE" },
  compactAfterChunks: { kind: "count", env: "UMBRA_COMPACT_AFTER_CHUNKS" },
  logLevel: { kind: "level", env: "UMBRA_LOG_LEVEL" },
  maxStateBytes: { kind: "count", env: "UMBRA_MAX_STATE_BYTES", limit: true },
  maxRequestBytes: { kind: "count", env: "UMBRA_MAX_REQUEST_BYTES", limit: true },
  maxDepth: { kind: "count", env: "UMBRA_MAX_DEPTH", limit: true },
  maxClientTokenBytes: { kind: "count", env: "UMBRA_MAX_CLIENT_TOKEN_BYTES", limit: true },
};

export class ConfigError extends Error {
  override name = "ConfigError";
}

function coerce(key: string, kind: Kind, value: unknown, source: string): string | number {
  if (kind === "string") {
    if (typeof value !== "string" || value === "")
      throw new ConfigError(`${source}: ${key} must be a non-empty string`);
    return value;
  }
  if (kind === "level") {
    if (typeof value !== "string" || !LOG_LEVELS.includes(value)) {
      throw new ConfigError(
        `${source}: ${key} must be one of ${LOG_LEVELS.join(", ")}, got ${JSON.stringify(value)}`,
      );
    }
    return value;
  }
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (
    typeof n !== "number" ||
    !Number.isInteger(n) ||
    n < 0 ||
    (kind === "port" && n > 65535) ||
    (kind === "count" && n < 1)
  ) {
    throw new ConfigError(
      `${source}: ${key} must be ${kind === "port" ? "a port number (0-65535)" : "a positive integer"}, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

function applyLayer(config: NodeConfig, layer: Record<string, unknown>, source: string): void {
  for (const [key, value] of Object.entries(layer)) {
    if (value === undefined) continue;
    if (key === "limits" && typeof value === "object" && value !== null) {
      applyLayer(config, value as Record<string, unknown>, source);
      continue;
    }
    const field = FIELDS[key];
    if (!field) throw new ConfigError(`${source}: unknown setting '${key}'`);
    const v = coerce(key, field.kind, value, source);
    if (field.limit) (config.limits as unknown as Record<string, unknown>)[key] = v;
    else (config as unknown as Record<string, unknown>)[key] = v;
  }
}

export interface ConfigSources {
  /** Path of a JSON config file. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Settings given as command-line flags (highest precedence). */
  flags?: Record<string, unknown>;
}

/** Defaults < config file < `UMBRA_*` environment < flags. Throws ConfigError with a clear message. */
export function loadConfig(sources: ConfigSources = {}): NodeConfig {
  const config: NodeConfig = { ...DEFAULT_CONFIG, limits: { ...DEFAULT_CONFIG.limits } };
  const env = sources.env ?? {};
  const file = sources.file ?? env.UMBRA_CONFIG;
  if (file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, "utf8"));
    } catch (err) {
      throw new ConfigError(`config file ${file}: ${(err as Error).message}`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError(`config file ${file}: must contain a JSON object`);
    }
    applyLayer(config, parsed as Record<string, unknown>, `config file ${file}`);
  }
  const fromEnv: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(FIELDS)) {
    if (env[field.env] !== undefined) fromEnv[key] = env[field.env];
  }
  applyLayer(config, fromEnv, "environment");
  applyLayer(config, sources.flags ?? {}, "command line");
  return config;
}
