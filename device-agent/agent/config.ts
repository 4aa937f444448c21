import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import {
  ConfigCheckError as AgentConfigError,
  absolutePath,
  ConfigProblems,
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
  const problems = new ConfigProblems();
  const obj = problems.check(() => objectAt(raw, ""));
  const config = obj === undefined ? defaultAgentConfig() : fromObject(obj, problems);
  problems.throwIfAny(source);
  return config;
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

/** Reads every section, collecting each problem in `p` (one run names all of a file's mistakes). */
function fromObject(obj: JsonObject, p: ConfigProblems): AgentConfig {
  onlyKeys(obj, "", TOP, p);
  const config = defaultAgentConfig();
  p.check(() => {
    config.url = optString(obj, "url", "");
  });
  p.check(() => {
    config.thing = optString(obj, "thing", "");
  });
  p.check(() => {
    config.username = optString(obj, "username", "");
  });
  p.check(() => {
    const pf = optString(obj, "passwordFile", "");
    if (pf !== undefined) config.passwordFile = absolutePath(pf, "passwordFile");
  });
  p.check(() => {
    config.shadowName = optString(obj, "shadowName", "");
  });
  p.check(() => {
    const qp = optString(obj, "queuePath", "");
    if (qp !== undefined) config.queuePath = absolutePath(qp, "queuePath");
  });
  if (obj.tls !== undefined) {
    const tls = p.check(() => objectAt(obj.tls, "tls"));
    if (tls !== undefined) {
      onlyKeys(tls, "tls", ["ca", "cert", "key", "rejectUnauthorized"], p);
      const out: NonNullable<AgentConfig["tls"]> = {};
      config.tls = out;
      for (const key of ["ca", "cert", "key"] as const) {
        p.check(() => {
          const v = optString(tls, key, "tls");
          if (v !== undefined) out[key] = absolutePath(v, join("tls", key));
        });
      }
      p.check(() => {
        const ru = optBool(tls, "rejectUnauthorized", "tls");
        if (ru !== undefined) out.rejectUnauthorized = ru;
      });
    }
  }
  if (obj.telemetry !== undefined) {
    const t = p.check(() => objectAt(obj.telemetry, "telemetry"));
    if (t !== undefined) {
      onlyKeys(t, "telemetry", ["enabled", "interval"], p);
      p.check(() => {
        config.telemetry.enabled = optBool(t, "enabled", "telemetry") ?? true;
      });
      p.check(() => {
        config.telemetry.intervalMs =
          optDuration(t, "interval", "telemetry", INTERVAL) ?? DEFAULT_TELEMETRY_MS;
      });
    }
  }
  if (obj.facts !== undefined) {
    const f = p.check(() => objectAt(obj.facts, "facts"));
    if (f !== undefined) {
      onlyKeys(f, "facts", ["interval"], p);
      p.check(() => {
        config.facts.intervalMs = optDuration(f, "interval", "facts", INTERVAL) ?? DEFAULT_FACTS_MS;
      });
    }
  }
  p.check(() => {
    const sd = optString(obj, "scriptsDir", "");
    if (sd !== undefined) config.scriptsDir = absolutePath(sd, "scriptsDir");
  });
  if (obj.handlers !== undefined && obj.handlers !== null) {
    const handlers = p.check(() => objectAt(obj.handlers, "handlers"));
    if (handlers !== undefined) {
      for (const [name, spec] of Object.entries(handlers)) {
        const h = p.check(() => parseHandler(name, spec, config.scriptsDir, p));
        if (h !== undefined) config.handlers.push(h);
      }
      p.check(() => checkOverlaps(config.handlers, overlaps));
    }
  }
  if (obj.attributes !== undefined && obj.attributes !== null) {
    p.check(() => {
      try {
        config.attributes = validateAttributes(objectAt(obj.attributes, "attributes"), false);
      } catch (err) {
        if (err instanceof AttributeError) p.add("attributes", err.message);
        else throw err;
      }
    });
  }
  return config;
}
