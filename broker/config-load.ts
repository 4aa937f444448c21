import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { parse as parseYaml } from "yaml";
import { ConfigError, type NodeConfig, resolveConfig } from "../shared/config.ts";

/**
 * The node's settings from its sources: the I/O edge of shared/config.ts (which checks and layers
 * them). Reads the config file (YAML or JSON) and derives the default site from the host name.
 */

export interface ConfigSources {
  /** Path of a config file, YAML (`.yaml`, `.yml`) or JSON; else `UMBRA_CONFIG` from `env`. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Settings given as command-line flags (highest precedence). */
  flags?: Record<string, unknown>;
}

/** Defaults < config file < `UMBRA_*` environment < flags. Throws ConfigError with a clear message. */
export function loadConfig(sources: ConfigSources = {}): NodeConfig {
  const env = sources.env ?? {};
  const file = sources.file ?? env.UMBRA_CONFIG;
  return resolveConfig({
    file: file ? { source: file, settings: readConfigFile(file) } : undefined,
    env,
    flags: sources.flags,
    defaultSite: defaultSite(),
  });
}

/** The host name's first label, made a valid site id. */
export function defaultSite(): string {
  const name = hostname().split(".")[0] ?? "site";
  return name.replace(/[^a-zA-Z0-9:_-]/g, "-") || "site";
}

/** A config file holding one object of settings. */
function readConfigFile(file: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    const text = readFileSync(file, "utf8");
    parsed = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config file ${file}: ${(err as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${file}: must hold an object of settings (docs/umbra.example.yaml)`);
  }
  return parsed as Record<string, unknown>;
}
