import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { parse as parseYaml } from "yaml";
import { DEFAULT_LIMITS, type ShadowLimits } from "./limits.ts";

/** Abuse limits of a node's listeners. */
export interface SecurityLimits {
  /** Open MQTT connections (all listeners together); more are refused at accept. */
  maxConnections: number;
  /** A connection must send CONNECT within this many milliseconds. */
  connectTimeoutMs: number;
  /** Largest MQTT packet accepted; a bigger declared length closes the connection. */
  maxPacketBytes: number;
  /** Shadow requests per second per client (token bucket), over which requests get 429. */
  requestRate: number;
  /** Burst size of that bucket. */
  requestBurst: number;
  /** Shadow requests of one client waiting for their reply; more get 429. */
  maxInflight: number;
  /** The same three limits per thing, across every connection and identity (AWS limits per thing). */
  thingRequestRate: number;
  thingRequestBurst: number;
  thingMaxInflight: number;
  /** The same three limits per identity, across all its connections (anonymous: per connection only). */
  identityRequestRate: number;
  identityRequestBurst: number;
  identityMaxInflight: number;
  /** Failed logins from one address within `loginWindowMs` before it is blocked. */
  loginMaxFailures: number;
  loginWindowMs: number;
  /** First block; doubles on each repeat up to 15 minutes. */
  loginBlockMs: number;
  /** Throttle loopback addresses too (default: they are never blocked; their failures are still logged). */
  loginThrottleLoopback: boolean;
}

/** Every setting of a node. Each can come from the config file, an `UMBRA_*` variable or a flag. */
export interface NodeConfig {
  /** Directory of the SQLite store. */
  dataDir: string;
  /** Address the listeners bind to: 0.0.0.0 with authentication on, 127.0.0.1 with --allow-anonymous. */
  host: string;
  /** MQTT (TCP) port; 0 picks a free port; null: no plain MQTT listener. */
  mqttPort: number | null;
  /** HTTP API port; 0 picks a free port; null: no plain HTTP listener. */
  httpPort: number | null;
  /** This node's site id (used in presence and, later, the relay). */
  site: string;
  /** How many shadow documents stay in memory. */
  cacheSize: number;
  /** Rewrite a shadow's snapshot after this many incremental chunks. */
  compactAfterChunks: number;
  /** Start a new epoch of an unshared shadow after this many changes (docs/shadow-engine.md). */
  epochAfterChanges: number;
  /** Agreed epoch cuts of shared shadows: the top site cuts, the others adopt (docs/shadow-engine.md). */
  epochShared: boolean;
  /** pino level: fatal, error, warn, info, debug, trace, silent. */
  logLevel: string;
  /** Accept clients without credentials (development only; the node warns). */
  allowAnonymous: boolean;
  /** MQTT over TLS port (null: off). Needs tlsCert and tlsKey. */
  tlsPort: number | null;
  /** PEM files of the node's certificate chain, private key and the CA that signs client certificates. */
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  /** Refuse TLS clients without a valid certificate from tlsCa (otherwise a certificate is optional). */
  tlsRequireClientCert: boolean;
  /** MQTT over WebSocket (ws) and over secure WebSocket (wss) ports (null: off). */
  wsPort: number | null;
  wssPort: number | null;
  /** HTTP API over TLS port (null: off). */
  httpsPort: number | null;
  limits: ShadowLimits;
  security: SecurityLimits;
  // Telemetry (broker/telemetry, docs/telemetry.md): how long each tier is kept, and the optional
  // rate-bounded copy of chosen metrics into `reported` ({ "<metric>": { path, minIntervalSeconds } }).
  telemetryRawHours: number;
  telemetryMinuteDays: number;
  telemetryHourDays: number;
  telemetrySummary: Record<string, unknown>;
  // Sparkplug B host application (broker/sparkplug, docs/sparkplug.md): on by default; its
  // spBv1.0/STATE/{host_id} id (default umbra-{site}); which numeric DATA metrics (globs on the
  // Sparkplug metric name) also update `reported`, at most once per interval per thing.
  sparkplugEnabled: boolean;
  sparkplugHostId?: string;
  sparkplugReportedMetrics: string[];
  sparkplugReportedIntervalMs: number;
  // Site relay (broker/relay, docs/relay.md): the parent(s) this node dials (one via flags, several in
  // the config file as [{url, user, password | passwordFile, things?, ca?, name?}], checked by the
  // relay), when to flush (HORAO's SYNC_DELTA / SYNC_MAX), the byte budget per link, the plain topics
  // forwarded upstream, and how long a frame may go unacknowledged before it is resent.
  parent?: string;
  parentUser?: string;
  parentPassword?: string;
  parentCa?: string;
  parentThings?: string;
  parents?: Record<string, unknown>[];
  syncDeltaMs?: number;
  syncMax?: number;
  linkRate?: number;
  relayTopics?: string[];
  relayAckTimeoutMs?: number;
  // The plain-topic outbox: byte bound of the backlog and what happens when it is full
  // ("refuse-new" or "drop-oldest", broker/relay/outbox.ts); checked by the relay.
  relayOutboxBytes?: number;
  relayOutboxPolicy?: string;
  // Shadow change record (broker/history, docs/history.md): on by default; retention of the
  // contiguous (reconstructable) part and of the desired tail below it, checkpoint spacing, pruning pace.
  historyEnabled: boolean;
  historyReportedDays: number;
  historyReportedMax: number;
  historyDesiredDays: number;
  historyDesiredMax: number;
  historyCheckpointEvery: number;
  historyPruneIntervalMs: number;
  historyPruneBatch: number;
  // Alarms (broker/alarms, docs/alarms.md): the rules directory (polled), and where alarms are sent.
  alarmRules?: string;
  alarmRulesPollMs?: number;
  alarmWebhook?: string;
  alarmAlertmanager?: string;
}

export const DEFAULT_SECURITY: Readonly<SecurityLimits> = Object.freeze({
  maxConnections: 20_000,
  connectTimeoutMs: 10_000,
  maxPacketBytes: 256 * 1024,
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
});

export const DEFAULT_CONFIG: Readonly<Omit<NodeConfig, "host">> = Object.freeze({
  dataDir: "./data",
  mqttPort: 1883,
  httpPort: 8080,
  site: defaultSite(),
  cacheSize: 20_000,
  compactAfterChunks: 64,
  epochAfterChanges: 128,
  epochShared: true,
  logLevel: "warn",
  allowAnonymous: false,
  tlsPort: null,
  tlsRequireClientCert: false,
  wsPort: null,
  wssPort: null,
  httpsPort: null,
  limits: { ...DEFAULT_LIMITS },
  security: { ...DEFAULT_SECURITY },
  // Telemetry retention per tier, and no summary into `reported` unless configured.
  telemetryRawHours: 48,
  telemetryMinuteDays: 30,
  telemetryHourDays: 400,
  telemetrySummary: {},
  // Sparkplug: every metric mirrored into `reported`, at most every 5 s per thing.
  sparkplugEnabled: true,
  sparkplugReportedMetrics: ["*"],
  sparkplugReportedIntervalMs: 5000,
  // History: sized for a PDU reporting every 5 s for a year on a small disk (docs/history.md, "Sizing").
  historyEnabled: true,
  historyReportedDays: 2,
  historyReportedMax: 35_000,
  historyDesiredDays: 400,
  historyDesiredMax: 10_000,
  historyCheckpointEvery: 256,
  historyPruneIntervalMs: 250,
  historyPruneBatch: 1000,
});

function defaultSite(): string {
  const name = hostname().split(".")[0] ?? "site";
  return name.replace(/[^a-zA-Z0-9:_-]/g, "-") || "site";
}

/**
 * list: an array of strings (a comma-separated string from the environment; a repeated flag);
 * object: a JSON object from the config file, checked by the capability that reads it.
 */
type Kind = "string" | "port" | "optionalPort" | "count" | "level" | "bool" | "list" | "object" | "objects";
type Group = "limits" | "security";
/** pino's levels; anything else makes pino throw at startup, so reject it here with the source named. */
const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];
const FIELDS: Record<string, { kind: Kind; env: string; group?: Group }> = {
  dataDir: { kind: "string", env: "UMBRA_DATA_DIR" },
  host: { kind: "string", env: "UMBRA_HOST" },
  mqttPort: { kind: "optionalPort", env: "UMBRA_MQTT_PORT" },
  httpPort: { kind: "optionalPort", env: "UMBRA_HTTP_PORT" },
  site: { kind: "string", env: "UMBRA_SITE" },
  cacheSize: { kind: "count", env: "UMBRA_CACHE_SIZE" },
  compactAfterChunks: { kind: "count", env: "UMBRA_COMPACT_AFTER_CHUNKS" },
  epochAfterChanges: { kind: "count", env: "UMBRA_EPOCH_AFTER_CHANGES" },
  epochShared: { kind: "bool", env: "UMBRA_EPOCH_SHARED" },
  logLevel: { kind: "level", env: "UMBRA_LOG_LEVEL" },
  allowAnonymous: { kind: "bool", env: "UMBRA_ALLOW_ANONYMOUS" },
  tlsPort: { kind: "optionalPort", env: "UMBRA_TLS_PORT" },
  tlsCert: { kind: "string", env: "UMBRA_TLS_CERT" },
  tlsKey: { kind: "string", env: "UMBRA_TLS_KEY" },
  tlsCa: { kind: "string", env: "UMBRA_TLS_CA" },
  tlsRequireClientCert: { kind: "bool", env: "UMBRA_TLS_REQUIRE_CLIENT_CERT" },
  wsPort: { kind: "optionalPort", env: "UMBRA_WS_PORT" },
  wssPort: { kind: "optionalPort", env: "UMBRA_WSS_PORT" },
  httpsPort: { kind: "optionalPort", env: "UMBRA_HTTPS_PORT" },
  maxStateBytes: { kind: "count", env: "UMBRA_MAX_STATE_BYTES", group: "limits" },
  maxRequestBytes: { kind: "count", env: "UMBRA_MAX_REQUEST_BYTES", group: "limits" },
  maxDepth: { kind: "count", env: "UMBRA_MAX_DEPTH", group: "limits" },
  maxClientTokenBytes: { kind: "count", env: "UMBRA_MAX_CLIENT_TOKEN_BYTES", group: "limits" },
  maxNamedShadows: { kind: "count", env: "UMBRA_MAX_NAMED_SHADOWS", group: "limits" },
  maxShadowsPerIdentity: { kind: "count", env: "UMBRA_MAX_SHADOWS_PER_IDENTITY", group: "limits" },
  maxConnections: { kind: "count", env: "UMBRA_MAX_CONNECTIONS", group: "security" },
  connectTimeoutMs: { kind: "count", env: "UMBRA_CONNECT_TIMEOUT_MS", group: "security" },
  maxPacketBytes: { kind: "count", env: "UMBRA_MAX_PACKET_BYTES", group: "security" },
  requestRate: { kind: "count", env: "UMBRA_REQUEST_RATE", group: "security" },
  requestBurst: { kind: "count", env: "UMBRA_REQUEST_BURST", group: "security" },
  maxInflight: { kind: "count", env: "UMBRA_MAX_INFLIGHT", group: "security" },
  thingRequestRate: { kind: "count", env: "UMBRA_THING_REQUEST_RATE", group: "security" },
  thingRequestBurst: { kind: "count", env: "UMBRA_THING_REQUEST_BURST", group: "security" },
  thingMaxInflight: { kind: "count", env: "UMBRA_THING_MAX_INFLIGHT", group: "security" },
  identityRequestRate: { kind: "count", env: "UMBRA_IDENTITY_REQUEST_RATE", group: "security" },
  identityRequestBurst: { kind: "count", env: "UMBRA_IDENTITY_REQUEST_BURST", group: "security" },
  identityMaxInflight: { kind: "count", env: "UMBRA_IDENTITY_MAX_INFLIGHT", group: "security" },
  loginMaxFailures: { kind: "count", env: "UMBRA_LOGIN_MAX_FAILURES", group: "security" },
  loginWindowMs: { kind: "count", env: "UMBRA_LOGIN_WINDOW_MS", group: "security" },
  loginBlockMs: { kind: "count", env: "UMBRA_LOGIN_BLOCK_MS", group: "security" },
  loginThrottleLoopback: { kind: "bool", env: "UMBRA_LOGIN_THROTTLE_LOOPBACK", group: "security" },
  // Telemetry (broker/telemetry): retention per tier; telemetrySummary is checked by the capability.
  telemetryRawHours: { kind: "count", env: "UMBRA_TELEMETRY_RAW_HOURS" },
  telemetryMinuteDays: { kind: "count", env: "UMBRA_TELEMETRY_MINUTE_DAYS" },
  telemetryHourDays: { kind: "count", env: "UMBRA_TELEMETRY_HOUR_DAYS" },
  telemetrySummary: { kind: "object", env: "UMBRA_TELEMETRY_SUMMARY" },
  // Sparkplug B host application (broker/sparkplug); the host id is checked by the capability.
  sparkplugEnabled: { kind: "bool", env: "UMBRA_SPARKPLUG_ENABLED" },
  sparkplugHostId: { kind: "string", env: "UMBRA_SPARKPLUG_HOST_ID" },
  sparkplugReportedMetrics: { kind: "list", env: "UMBRA_SPARKPLUG_REPORTED_METRICS" },
  sparkplugReportedIntervalMs: { kind: "count", env: "UMBRA_SPARKPLUG_REPORTED_INTERVAL_MS" },
  // Site relay (broker/relay): defaults live in broker/relay/relay-config.ts; parents is checked there.
  parent: { kind: "string", env: "UMBRA_PARENT" },
  parentUser: { kind: "string", env: "UMBRA_PARENT_USER" },
  parentPassword: { kind: "string", env: "UMBRA_PARENT_PASSWORD" },
  parentCa: { kind: "string", env: "UMBRA_PARENT_CA" },
  parentThings: { kind: "string", env: "UMBRA_PARENT_THINGS" },
  parents: { kind: "objects", env: "UMBRA_PARENTS" },
  syncDeltaMs: { kind: "count", env: "UMBRA_SYNC_DELTA_MS" },
  syncMax: { kind: "count", env: "UMBRA_SYNC_MAX" },
  linkRate: { kind: "count", env: "UMBRA_LINK_RATE" },
  relayTopics: { kind: "list", env: "UMBRA_RELAY_TOPICS" },
  relayAckTimeoutMs: { kind: "count", env: "UMBRA_RELAY_ACK_TIMEOUT_MS" },
  relayOutboxBytes: { kind: "count", env: "UMBRA_RELAY_OUTBOX_BYTES" },
  relayOutboxPolicy: { kind: "string", env: "UMBRA_RELAY_OUTBOX_POLICY" },
  // Shadow change record (broker/history, docs/history.md).
  historyEnabled: { kind: "bool", env: "UMBRA_HISTORY_ENABLED" },
  historyReportedDays: { kind: "count", env: "UMBRA_HISTORY_REPORTED_DAYS" },
  historyReportedMax: { kind: "count", env: "UMBRA_HISTORY_REPORTED_MAX" },
  historyDesiredDays: { kind: "count", env: "UMBRA_HISTORY_DESIRED_DAYS" },
  historyDesiredMax: { kind: "count", env: "UMBRA_HISTORY_DESIRED_MAX" },
  historyCheckpointEvery: { kind: "count", env: "UMBRA_HISTORY_CHECKPOINT_EVERY" },
  historyPruneIntervalMs: { kind: "count", env: "UMBRA_HISTORY_PRUNE_INTERVAL_MS" },
  historyPruneBatch: { kind: "count", env: "UMBRA_HISTORY_PRUNE_BATCH" },
  // Alarms (broker/alarms): URLs are checked by the capability.
  alarmRules: { kind: "string", env: "UMBRA_ALARM_RULES" },
  alarmRulesPollMs: { kind: "count", env: "UMBRA_ALARM_RULES_POLL_MS" },
  alarmWebhook: { kind: "string", env: "UMBRA_ALARM_WEBHOOK" },
  alarmAlertmanager: { kind: "string", env: "UMBRA_ALARM_ALERTMANAGER" },
};

export class ConfigError extends Error {
  override name = "ConfigError";
}

function coerce(key: string, kind: Kind, value: unknown, source: string): unknown {
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
    if (typeof value !== "string" || !LOG_LEVELS.includes(value)) {
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
  const isPort = kind === "port" || kind === "optionalPort";
  if (
    typeof n !== "number" ||
    !Number.isInteger(n) ||
    n < 0 ||
    (isPort && n > 65535) ||
    (kind === "count" && n < 1)
  ) {
    const want = isPort
      ? `a port number (0-65535)${kind === "optionalPort" ? ' or "off"' : ""}`
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

type Building = Omit<NodeConfig, "host"> & { host?: string };

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
    const field = FIELDS[key];
    if (!field) {
      const near = nearestSetting(key);
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

/** The known setting closest to a mistyped one (flag spelling and case forgiven), if any is close. */
export function nearestSetting(key: string): string | undefined {
  const norm = (k: string) => k.replace(/[-_]/g, "").toLowerCase();
  const wanted = norm(key);
  let best: { name: string; d: number } | undefined;
  for (const name of Object.keys(FIELDS)) {
    const d = editDistance(wanted, norm(name));
    if (!best || d < best.d) best = { name, d };
  }
  return best && best.d <= Math.max(2, Math.floor(wanted.length / 4)) ? best.name : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        (prev[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/** A config file: YAML (`.yaml`, `.yml`) or JSON, holding one object of settings. */
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

export interface ConfigSources {
  /** Path of a JSON config file. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Settings given as command-line flags (highest precedence). */
  flags?: Record<string, unknown>;
}

/** Defaults < config file < `UMBRA_*` environment < flags. Throws ConfigError with a clear message. */
export function loadConfig(sources: ConfigSources = {}): NodeConfig {
  const config: Building = {
    ...DEFAULT_CONFIG,
    limits: { ...DEFAULT_CONFIG.limits },
    security: { ...DEFAULT_CONFIG.security },
  };
  const env = sources.env ?? {};
  const file = sources.file ?? env.UMBRA_CONFIG;
  if (file) applyLayer(config, readConfigFile(file), `config file ${file}`);
  const fromEnv: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(FIELDS)) {
    if (env[field.env] !== undefined) fromEnv[key] = env[field.env];
  }
  applyLayer(config, fromEnv, "environment");
  applyLayer(config, sources.flags ?? {}, "command line");
  return checkConsistency({
    ...config,
    host: config.host ?? (config.allowAnonymous ? "127.0.0.1" : "0.0.0.0"),
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
