import type { ShadowLimits } from "./limits.ts";
import type { SettingKey } from "./settings.ts";

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
  /**
   * Local updates of a shadow no other site holds are written to its Automerge document as one change
   * per this many (in between they are kept beside it); 0 = one change per update (docs/shadow-engine.md).
   */
  deferUpdates: number;
  /** V8's heap growing factor as 1 + percent/100 (broker/shadow/heap-growth.ts); ≥ 300: V8's own. */
  heapGrowthPercent: number;
  /** Agreed epoch cuts of shared shadows: the top site cuts, the others adopt (docs/shadow-engine.md). */
  epochShared: boolean;
  /** Write shadow batches (transaction + fsync) on a worker thread; off: on the main thread (docs/shadow-engine.md). */
  commitWorker: boolean;
  /** With the commit worker: WAL checkpoints on a thread of their own, not after its answers (default). */
  walCheckpointer: boolean;
  /** With the commit worker: a second batch in flight when it shares no shadow with the first (docs/shadow-engine.md). */
  commitPipeline: boolean;
  /** Shadow requests over MQTT worked on at once; beyond, a request's publish waits (broker/mqtt/request-flow.ts); 0 = no bound. */
  requestsInWork: number;
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
  // Records a generation of the append-ordered log gathers before it settles (0: every commit settles).
  historyLogRows: number;
  historyPruneIntervalMs: number;
  historyPruneBatch: number;
  // Alarms (broker/alarms, docs/alarms.md): the rules directory (polled), and where alarms are sent.
  alarmRules?: string;
  alarmRulesPollMs?: number;
  alarmWebhook?: string;
  alarmAlertmanager?: string;
}

/** Every setting key, flat (as in files, env and flags): must be the schema's keys, no more, no less. */
type FlatConfigKey =
  | Exclude<keyof NodeConfig, "limits" | "security">
  | keyof ShadowLimits
  | keyof SecurityLimits;
type SameKeys<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Fails to compile when NodeConfig and the schema disagree on a key. */
export const SCHEMA_MATCHES_CONFIG: SameKeys<FlatConfigKey, SettingKey> = true;
