import { HISTORY_LOG_ROWS } from "./history.ts";
import { DEFAULT_LIMITS } from "./limits.ts";

/**
 * The one schema of a node's settings (docs/security.md, docs/umbra.example.yaml): for each setting its
 * kind (how a value is checked), its `UMBRA_*` variable, its default, and its command-line flag with
 * the help text. shared/config.ts validates and layers with it; `umbra broker` builds its flags from
 * it (broker/cli/broker-flags.ts). Pure data: the config file is read and the host name looked up by
 * the caller (broker/config-load.ts).
 *
 * A setting without a flag says so (`flag: FILE_ENV_ONLY`): structured values (the relay's parents,
 * the telemetry summary) and tuning knobs an operator sets once in the file.
 */

/**
 * list: an array of strings (a comma-separated string from the environment; a repeated flag);
 * object / objects: a JSON object (array of objects) from the file, checked by the capability.
 */
export type SettingKind =
  | "string"
  | "optionalPort"
  | "count"
  | "amount"
  | "level"
  | "bool"
  | "list"
  | "object"
  | "objects";

/** pino's levels; anything else makes pino throw at startup, so it is refused with the source named. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

export interface FlagSpec {
  /** The flag's argument (`<port>`); absent for a switch (a bool). */
  arg?: string;
  help: string;
  /** The flag's name when it is not the key in kebab case (`--relay-topic`, repeatable). */
  name?: string;
  /** A flag given several times collects its values (kind `list`). */
  repeatable?: boolean;
}

/** Declares a setting that has no flag on purpose. */
export const FILE_ENV_ONLY = "file/env only" as const;

export interface Setting {
  kind: SettingKind;
  env: string;
  /** Nested under `limits` or `security` in the node's config (flat in files, env and flags too). */
  group?: "limits" | "security";
  /** The default; absent: unset (the capability that reads it decides, as the help text says). */
  default?: unknown;
  /** What the help says when there is no plain default value to show. */
  defaultText?: string;
  flag: FlagSpec | typeof FILE_ENV_ONLY;
}

/** Relay timings when unset (read by broker/relay/relay-config.ts). */
export const RELAY_DEFAULTS = Object.freeze({ syncDeltaMs: 1000, syncMax: 1000, relayAckTimeoutMs: 10_000 });

const only = FILE_ENV_ONLY;
const port = (dflt: number | null, help: string): Setting => ({
  kind: "optionalPort",
  env: "",
  default: dflt,
  flag: { arg: "<port>", help },
});
const count = (dflt: number | undefined, flag: FlagSpec | typeof only = only): Setting => ({
  kind: "count",
  env: "",
  default: dflt,
  flag,
});
/** Like `count`, but 0 is allowed (it turns the feature off). */
const amount = (dflt: number): Setting => ({ kind: "amount", env: "", default: dflt, flag: only });
const limit = (help?: string): Setting => ({
  kind: "count",
  env: "",
  group: "limits",
  flag: help ? { arg: "<n>", help } : only,
});
const sec = (dflt: number | boolean, help?: string): Setting => ({
  kind: typeof dflt === "boolean" ? "bool" : "count",
  env: "",
  group: "security",
  default: dflt,
  flag: help ? { arg: "<n>", help } : only,
});
const str = (flag: FlagSpec | typeof only, extra: Partial<Setting> = {}): Setting => ({
  kind: "string",
  env: "",
  flag,
  ...extra,
});

const SCHEMA = {
  dataDir: str({ arg: "<dir>", help: "SQLite store directory" }, { default: "./data" }),
  host: str(
    { arg: "<addr>", help: "listen address" },
    { defaultText: "0.0.0.0; 127.0.0.1 with --allow-anonymous" },
  ),
  mqttPort: port(1883, "MQTT port, 0 = any free port, off = none"),
  httpPort: port(8080, "HTTP API port, 0 = any free port, off = none"),
  site: str({ arg: "<id>", help: "site id" }, { defaultText: "host name" }),
  cacheSize: count(20_000, { arg: "<n>", help: "shadow documents kept in memory" }),
  compactAfterChunks: count(8),
  // 0 = never cut (docs/shadow-engine.md).
  epochAfterChanges: amount(32),
  // Local updates of unshared shadows written to Automerge as one change per this many; 0 = one per update (docs/shadow-engine.md).
  deferUpdates: amount(32),
  // How far the JS heap may grow past its live size before a full GC, in % (≥ 300: V8's own factor).
  heapGrowthPercent: count(100),
  // Agreed epoch cuts of shared shadows (docs/shadow-engine.md); off where a child has two parents.
  epochShared: { kind: "bool", env: "", default: true, flag: only },
  // The group commit's transaction and fsync on a worker thread (docs/shadow-engine.md, "Threads").
  commitWorker: { kind: "bool", env: "", default: true, flag: only },
  // WAL checkpoints on their own thread instead of the commit worker's, after its answers (docs/shadow-engine.md).
  walCheckpointer: { kind: "bool", env: "", default: false, flag: only },
  // A second commit batch in flight when it shares no shadow with the first (docs/shadow-engine.md); off: no gain measured yet.
  commitPipeline: { kind: "bool", env: "", default: false, flag: only },
  // Shadow requests over MQTT the node works on at once; beyond, a request's publish waits unacknowledged (docs/shadow-engine.md "Request flow"); 0 = no bound.
  requestsInWork: amount(500),
  logLevel: {
    kind: "level",
    env: "",
    default: "warn",
    flag: { arg: "<level>", help: LOG_LEVELS.join("|") },
  },
  allowAnonymous: {
    kind: "bool",
    env: "",
    default: false,
    flag: { help: "accept clients without credentials: development only" },
  },
  tlsPort: port(null, "MQTT over TLS port (needs --tls-cert and --tls-key)"),
  tlsCert: str({ arg: "<file>", help: "PEM certificate chain of the node" }),
  tlsKey: str({ arg: "<file>", help: "PEM private key of the node" }),
  tlsCa: str({
    arg: "<file>",
    help: "PEM CA for client certificates: enables mutual TLS (certificate CN = identity)",
  }),
  tlsRequireClientCert: {
    kind: "bool",
    env: "",
    default: false,
    flag: { help: "refuse TLS clients without a valid client certificate" },
  },
  wsPort: port(null, "MQTT over WebSocket port (path /mqtt)"),
  wssPort: port(null, "MQTT over secure WebSocket port (path /mqtt)"),
  httpsPort: port(null, "HTTP API over TLS port"),
  maxStateBytes: limit("max bytes of desired+reported"),
  maxRequestBytes: limit(),
  maxDepth: limit(),
  maxClientTokenBytes: limit(),
  maxNamedShadows: limit("named shadows per thing; more are refused 413"),
  maxShadowsPerIdentity: limit("shadows a device or bridge identity may create; more are refused 413"),
  maxConnections: sec(20_000, "open MQTT connections"),
  connectTimeoutMs: sec(10_000),
  maxPacketBytes: sec(256 * 1024, "largest MQTT packet"),
  requestRate: sec(50, "shadow requests per second per client before 429"),
  requestBurst: sec(100),
  maxInflight: sec(64),
  thingRequestRate: sec(100, "shadow requests per second per thing, all clients"),
  thingRequestBurst: sec(200),
  thingMaxInflight: sec(64),
  identityRequestRate: sec(500, "shadow requests per second per identity, all its connections"),
  identityRequestBurst: sec(1000),
  identityMaxInflight: sec(256),
  loginMaxFailures: sec(10),
  loginWindowMs: sec(60_000),
  loginBlockMs: sec(30_000),
  loginThrottleLoopback: sec(false),
  // Telemetry (broker/telemetry): retention per tier; telemetrySummary is checked by the capability.
  telemetryRawHours: count(48),
  telemetryMinuteDays: count(30),
  telemetryHourDays: count(400),
  telemetrySummary: { kind: "object", env: "", default: {}, flag: only },
  // Sparkplug B host application (broker/sparkplug); the host id is checked by the capability.
  sparkplugEnabled: { kind: "bool", env: "", default: true, flag: only },
  sparkplugHostId: str(
    { arg: "<id>", help: "Sparkplug host id, publishes spBv1.0/STATE/<id>" },
    { defaultText: "umbra-<site>" },
  ),
  sparkplugReportedMetrics: { kind: "list", env: "", default: ["*"], flag: only },
  sparkplugReportedIntervalMs: count(5000),
  // Site relay (broker/relay, docs/relay.md): parents is checked by broker/relay/relay-config.ts.
  parent: str({ arg: "<url>", help: "dial this parent site: mqtt(s)://host:port" }),
  parentUser: str({ arg: "<name>", help: "this site's identity on the parent" }, { defaultText: "--site" }),
  parentPassword: str({ arg: "<password>", help: "its password (prefer the env: flags are visible in ps)" }),
  parentCa: str({ arg: "<file>", help: "PEM CA of the parent's certificate (mqtts)" }),
  parentThings: str({ arg: "<glob>", help: "things shared with the parent" }, { defaultText: "all" }),
  parents: { kind: "objects", env: "", flag: only },
  syncDeltaMs: count(undefined, {
    arg: "<ms>",
    help: "relay flush interval in ms (raise it on metered links: HORAO used 180000)",
  }),
  syncMax: count(undefined, { arg: "<n>", help: "relay flushes at once past this many pending shadows" }),
  linkRate: {
    ...count(undefined, {
      arg: "<bytes/s>",
      help: "byte budget per relay link, bytes/s (e.g. 7600 on a 64 kbit/s link, docs/relay.md)",
    }),
    defaultText: "unlimited",
  },
  relayTopics: {
    kind: "list",
    env: "",
    flag: {
      arg: "<filter>",
      name: "relay-topic",
      repeatable: true,
      help: "plain topic filter forwarded upstream (repeatable)",
    },
  },
  relayAckTimeoutMs: count(undefined),
  relayOutboxBytes: count(undefined),
  relayOutboxPolicy: str(only),
  // Shadow change record (broker/history, docs/history.md).
  historyEnabled: { kind: "bool", env: "", default: true, flag: only },
  historyReportedDays: count(2, { arg: "<n>", help: "keep every change of a shadow this many days" }),
  historyReportedMax: count(35_000, { arg: "<n>", help: "and at most this many changes per shadow" }),
  historyDesiredDays: count(400, {
    arg: "<n>",
    help: "keep changes of desired (and deletes) this many days",
  }),
  historyDesiredMax: count(10_000, { arg: "<n>", help: "and at most this many of them per shadow" }),
  historyCheckpointEvery: count(256),
  historyLogRows: amount(HISTORY_LOG_ROWS),
  historyPruneIntervalMs: count(250),
  historyPruneBatch: count(1000),
  // Alarms (broker/alarms): URLs are checked by the capability.
  alarmRules: str(only),
  alarmRulesPollMs: count(undefined),
  alarmWebhook: str(only),
  alarmAlertmanager: str(only),
} satisfies Record<string, Setting>;

export type SettingKey = keyof typeof SCHEMA;

/** `maxStateBytes` → `UMBRA_MAX_STATE_BYTES`: every variable name follows from its key. */
export function envName(key: string): string {
  return `UMBRA_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/** `maxStateBytes` → `max-state-bytes` (commander turns it back into the key). */
export function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Every setting, keyed, with its env name filled in and the limits' defaults from shared/limits.ts. */
export const SETTINGS: Readonly<Record<SettingKey, Readonly<Setting>>> = Object.freeze(
  Object.fromEntries(
    Object.entries(SCHEMA).map(([key, s]: [string, Setting]) => {
      const dflt = s.group === "limits" ? DEFAULT_LIMITS[key as keyof typeof DEFAULT_LIMITS] : s.default;
      return [key, Object.freeze({ ...s, env: envName(key), default: dflt })];
    }),
  ) as Record<SettingKey, Setting>,
);

/** The defaults of one group (or of the top level), from the schema. */
export function groupDefaults(group: Setting["group"]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(SETTINGS)) {
    if (s.group === group && s.default !== undefined) out[key] = cloneDefault(s.default);
  }
  return out;
}

function cloneDefault(v: unknown): unknown {
  if (Array.isArray(v)) return [...v];
  if (typeof v === "object" && v !== null) return { ...v };
  return v;
}

/** The help line of a flag: its text, then the default and the variable. */
export function flagHelp(key: SettingKey): string {
  const s = SETTINGS[key];
  if (s.flag === FILE_ENV_ONLY) throw new Error(`setting ${key} has no flag`);
  const dflt = s.defaultText ?? defaultText(key, s.default);
  return `${s.flag.help} (${dflt === undefined ? "" : `default ${dflt}; `}env ${s.env})`;
}

function defaultText(key: string, v: unknown): string | undefined {
  if (v === undefined) {
    const relay = RELAY_DEFAULTS[key as keyof typeof RELAY_DEFAULTS];
    return relay === undefined ? undefined : String(relay);
  }
  if (v === null) return "off";
  return typeof v === "string" ? v : JSON.stringify(v);
}
