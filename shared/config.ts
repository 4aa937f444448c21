import { DEFAULT_LIMITS } from "./limits.ts";
import { nearestName } from "./nearest-name.ts";
import type { NodeConfig, SecurityLimits } from "./node-config.ts";
import { groupDefaults, LOG_LEVELS, SETTINGS, type SettingKey, type SettingKind } from "./settings.ts";

export type { NodeConfig, SecurityLimits } from "./node-config.ts";

/**
 * A node's settings: how layers of settings are checked and combined (their types are in
 * node-config.ts, their schema in settings.ts).
 * Pure: the caller reads the config file and knows the host name (broker/config-load.ts).
 */

export const DEFAULT_SECURITY: Readonly<SecurityLimits> = Object.freeze(
  groupDefaults("security") as unknown as SecurityLimits,
);

/** The defaults from the schema; `host` follows `allowAnonymous` and `site` the host name (given by the caller). */
export const DEFAULT_CONFIG: Readonly<Omit<NodeConfig, "host" | "site">> = Object.freeze({
  ...(groupDefaults(undefined) as unknown as Omit<NodeConfig, "host" | "site" | "limits" | "security">),
  limits: { ...DEFAULT_LIMITS },
  security: { ...DEFAULT_SECURITY },
});

export class ConfigError extends Error {
  override name = "ConfigError";
}

function coerce(key: string, kind: SettingKind, value: unknown, source: string): unknown {
  if (kind === "list") {
    const items = typeof value === "string" ? value.split(",").map((v) => v.trim()) : value;
    if (!Array.isArray(items) || items.some((v) => typeof v !== "string" || v === "")) {
      throw new ConfigError(`${source}: ${key} must be a list of non-empty strings`);
    }
    return [...items];
  }
  // objects: a JSON array of objects (the relay's parents), checked by the capability that reads it.
  if (kind === "objects") {
    const parsed = typeof value === "string" ? parseJsonSetting(key, value, source) : value;
    if (
      !Array.isArray(parsed) ||
      parsed.some((o) => typeof o !== "object" || o === null || Array.isArray(o))
    ) {
      throw new ConfigError(`${source}: ${key} must be a JSON array of objects`);
    }
    return parsed;
  }
  if (kind === "object") {
    const parsed = typeof value === "string" ? parseJsonSetting(key, value, source) : value;
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError(`${source}: ${key} must be a JSON object`);
    }
    return parsed;
  }
  if (kind === "string") {
    if (typeof value !== "string" || value === "")
      throw new ConfigError(`${source}: ${key} must be a non-empty string`);
    return value;
  }
  if (kind === "level") {
    if (typeof value !== "string" || !(LOG_LEVELS as readonly string[]).includes(value)) {
      throw new ConfigError(
        `${source}: ${key} must be one of ${LOG_LEVELS.join(", ")}, got ${JSON.stringify(value)}`,
      );
    }
    return value;
  }
  if (kind === "bool") {
    if (typeof value === "boolean") return value;
    if (value === "true" || value === "1" || value === "yes") return true;
    if (value === "false" || value === "0" || value === "no") return false;
    throw new ConfigError(`${source}: ${key} must be true or false, got ${JSON.stringify(value)}`);
  }
  if (kind === "optionalPort" && (value === null || value === "off")) return null;
  const n = typeof value === "string" && /^\d+$/.test(value.trim()) ? Number(value) : value;
  const isPort = kind === "optionalPort";
  if (
    typeof n !== "number" ||
    !Number.isInteger(n) ||
    n < 0 ||
    (isPort && n > 65535) ||
    (kind === "count" && n < 1)
  ) {
    const want = isPort
      ? `a port number (0-65535)${kind === "optionalPort" ? ' or "off"' : ""}`
      : kind === "amount"
        ? "a whole number (0 or more)"
        : "a positive integer";
    throw new ConfigError(`${source}: ${key} must be ${want}, got ${JSON.stringify(value)}`);
  }
  return n;
}

function parseJsonSetting(key: string, value: string, source: string): unknown {
  try {
    return JSON.parse(value);
  } catch (err) {
    throw new ConfigError(`${source}: ${key} is not valid JSON: ${(err as Error).message}`);
  }
}

type Building = Omit<NodeConfig, "host" | "site"> & { host?: string; site?: string };

/** Applies one layer of settings; every mistake in it is reported at once, not the first one only. */
function applyLayer(config: Building, layer: Record<string, unknown>, source: string): void {
  const problems: string[] = [];
  collectLayer(config, layer, source, problems);
  if (problems.length === 1) throw new ConfigError(problems[0]);
  if (problems.length > 1) throw new ConfigError(`${problems.length} problems:\n  ${problems.join("\n  ")}`);
}

function collectLayer(
  config: Building,
  layer: Record<string, unknown>,
  source: string,
  problems: string[],
): void {
  for (const [key, value] of Object.entries(layer)) {
    if (value === undefined) continue;
    if ((key === "limits" || key === "security") && typeof value === "object" && value !== null) {
      collectLayer(config, value as Record<string, unknown>, source, problems);
      continue;
    }
    const field = Object.hasOwn(SETTINGS, key) ? SETTINGS[key as SettingKey] : undefined;
    if (!field) {
      const near = nearestName(key, Object.keys(SETTINGS));
      problems.push(`${source}: unknown setting '${key}'${near ? ` (did you mean '${near}'?)` : ""}`);
      continue;
    }
    try {
      const v = coerce(key, field.kind, value, source);
      const target = field.group ? config[field.group] : config;
      (target as unknown as Record<string, unknown>)[key] = v;
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(err.message);
    }
  }
}

export interface ConfigLayers {
  /** The config file's settings, already read and parsed, with its name for messages. */
  file?: { source: string; settings: Record<string, unknown> };
  env?: Record<string, string | undefined>;
  /** Settings given as command-line flags (highest precedence). */
  flags?: Record<string, unknown>;
  /** The site id when none is set (the caller derives it from the host name). */
  defaultSite: string;
}

/** Defaults < config file < `UMBRA_*` environment < flags. Throws ConfigError with a clear message. */
export function resolveConfig(layers: ConfigLayers): NodeConfig {
  const config: Building = {
    ...DEFAULT_CONFIG,
    limits: { ...DEFAULT_CONFIG.limits },
    security: { ...DEFAULT_CONFIG.security },
    telemetrySummary: { ...DEFAULT_CONFIG.telemetrySummary },
    sparkplugReportedMetrics: [...DEFAULT_CONFIG.sparkplugReportedMetrics],
  };
  if (layers.file) applyLayer(config, layers.file.settings, `config file ${layers.file.source}`);
  const env = layers.env ?? {};
  const fromEnv: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(SETTINGS)) {
    if (env[field.env] !== undefined) fromEnv[key] = env[field.env];
  }
  applyLayer(config, fromEnv, "environment");
  applyLayer(config, layers.flags ?? {}, "command line");
  return checkConsistency({
    ...config,
    host: config.host ?? (config.allowAnonymous ? "127.0.0.1" : "0.0.0.0"),
    site: config.site ?? layers.defaultSite,
  });
}

function checkConsistency(config: NodeConfig): NodeConfig {
  const tlsListeners = (["tlsPort", "wssPort", "httpsPort"] as const).filter((k) => config[k] !== null);
  if (tlsListeners.length > 0 && (!config.tlsCert || !config.tlsKey)) {
    throw new ConfigError(`${tlsListeners.join(", ")} need tlsCert and tlsKey (--tls-cert, --tls-key)`);
  }
  if (config.tlsRequireClientCert && !config.tlsCa) {
    throw new ConfigError(
      "tlsRequireClientCert needs tlsCa (--tls-ca): the CA that signs client certificates",
    );
  }
  const sec = config.security;
  if (sec.requestBurst < sec.requestRate) sec.requestBurst = sec.requestRate;
  if (sec.thingRequestBurst < sec.thingRequestRate) sec.thingRequestBurst = sec.thingRequestRate;
  if (sec.identityRequestBurst < sec.identityRequestRate) sec.identityRequestBurst = sec.identityRequestRate;
  return config;
}
