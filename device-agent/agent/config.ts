import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import {
  ConfigCheckError as AgentConfigError,
  absolutePath,
  join,
  objectAt,
  onlyKeys,
  optBool,
  optDuration,
  optString,
} from "../../shared/config-check.ts";
import { AttributeError, validateAttributes } from "../../shared/fleet-attributes.ts";
import type { JsonObject, JsonValue } from "../../shared/json.ts";
import { checkOverlaps, type HandlerSpec, parseHandler } from "./handler-config.ts";
import { overlaps } from "./paths.ts";

/** The agent config's errors are the shared checkers' (shared/config-check.ts). */
export { ConfigCheckError as AgentConfigError } from "../../shared/config-check.ts";
export type { HandlerSpec } from "./handler-config.ts";

/** The agent's YAML config file (docs/agent.md). Connection settings may also come from flags. */
export interface AgentConfig {
  url?: string;
  thing?: string;
  username?: string;
  /** File holding the password (first line), so it is neither in the config nor on the command line. */
  passwordFile?: string;
  shadowName?: string;
  tls?: { ca?: string; cert?: string; key?: string; rejectUnauthorized?: boolean };
  /** SQLite file of the SDK's offline report queue. */
  queuePath?: string;
  telemetry: { enabled: boolean; intervalMs: number };
  /** How often facts are re-read; they are reported only when they changed. */
  facts: { intervalMs: number };
  scriptsDir?: string;
  handlers: HandlerSpec[];
  /** Inventory attributes stated beside the host's own (location, owner, labels…; docs/agent.md). */
  attributes: JsonObject;
}

export const DEFAULT_TELEMETRY_MS = 10_000;
export const DEFAULT_FACTS_MS = 300_000;
const INTERVAL = { min: 100, max: 24 * 3_600_000 };

export function defaultAgentConfig(): AgentConfig {
  return {
    telemetry: { enabled: true, intervalMs: DEFAULT_TELEMETRY_MS },
    facts: { intervalMs: DEFAULT_FACTS_MS },
    handlers: [],
    attributes: {},
  };
}

const TOP = [
  "url",
  "thing",
  "username",
  "passwordFile",
  "shadowName",
  "tls",
  "queuePath",
  "telemetry",
  "facts",
  "scriptsDir",
  "handlers",
  "attributes",
];

/** Parses and validates the text of a config file; `source` names it in errors. */
export function parseAgentConfig(text: string, source = "agent config"): AgentConfig {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    throw new AgentConfigError(
      `${source}: invalid YAML: ${first.message.split("\n")[0]}${first.linePos ? ` (line ${first.linePos[0].line})` : ""}`,
    );
  }
  const raw = (doc.toJS() ?? {}) as JsonValue;
  try {
    return fromObject(objectAt(raw, ""));
  } catch (err) {
    if (err instanceof AgentConfigError) throw new AgentConfigError(`${source}: ${err.message}`);
    throw err;
  }
}

export function loadAgentConfig(file: string): AgentConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new AgentConfigError(
      `cannot read config file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  return parseAgentConfig(text, file);
}

function fromObject(obj: JsonObject): AgentConfig {
  onlyKeys(obj, "", TOP);
  const config = defaultAgentConfig();
  config.url = optString(obj, "url", "");
  config.thing = optString(obj, "thing", "");
  config.username = optString(obj, "username", "");
  const pf = optString(obj, "passwordFile", "");
  if (pf !== undefined) config.passwordFile = absolutePath(pf, "passwordFile");
  config.shadowName = optString(obj, "shadowName", "");
  const qp = optString(obj, "queuePath", "");
  if (qp !== undefined) config.queuePath = absolutePath(qp, "queuePath");
  if (obj.tls !== undefined) {
    const tls = objectAt(obj.tls, "tls");
    onlyKeys(tls, "tls", ["ca", "cert", "key", "rejectUnauthorized"]);
    config.tls = {};
    for (const key of ["ca", "cert", "key"] as const) {
      const v = optString(tls, key, "tls");
      if (v !== undefined) config.tls[key] = absolutePath(v, join("tls", key));
    }
    const ru = optBool(tls, "rejectUnauthorized", "tls");
    if (ru !== undefined) config.tls.rejectUnauthorized = ru;
  }
  if (obj.telemetry !== undefined) {
    const t = objectAt(obj.telemetry, "telemetry");
    onlyKeys(t, "telemetry", ["enabled", "interval"]);
    config.telemetry.enabled = optBool(t, "enabled", "telemetry") ?? true;
    config.telemetry.intervalMs = optDuration(t, "interval", "telemetry", INTERVAL) ?? DEFAULT_TELEMETRY_MS;
  }
  if (obj.facts !== undefined) {
    const f = objectAt(obj.facts, "facts");
    onlyKeys(f, "facts", ["interval"]);
    config.facts.intervalMs = optDuration(f, "interval", "facts", INTERVAL) ?? DEFAULT_FACTS_MS;
  }
  const sd = optString(obj, "scriptsDir", "");
  if (sd !== undefined) config.scriptsDir = absolutePath(sd, "scriptsDir");
  if (obj.handlers !== undefined && obj.handlers !== null) {
    const handlers = objectAt(obj.handlers, "handlers");
    config.handlers = Object.entries(handlers).map(([name, spec]) =>
      parseHandler(name, spec, config.scriptsDir),
    );
    checkOverlaps(config.handlers, overlaps);
  }
  if (obj.attributes !== undefined && obj.attributes !== null) {
    try {
      config.attributes = validateAttributes(objectAt(obj.attributes, "attributes"), false);
    } catch (err) {
      if (err instanceof AttributeError) throw new AgentConfigError(`attributes: ${err.message}`);
      throw err;
    }
  }
  return config;
}
