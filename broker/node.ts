import { join } from "node:path";
import { Aedes, type AedesOptions, type Client } from "aedes";
import { Registry } from "prom-client";
import type { NodeConfig } from "../shared/config.ts";
import { createLogger, type Logger } from "../shared/logger.ts";
import { isValidThingName, presenceTopic } from "../shared/topics.ts";
import { Authenticator } from "./auth/authenticator.ts";
import { bootstrapAdmin } from "./auth/bootstrap.ts";
import { IdentityStore } from "./auth/identity-store.ts";
import { watchIdentities } from "./auth/identity-watch.ts";
import { registerLimitMetrics } from "./auth/limit-metrics.ts";
import { isLoopbackAddress, LoginThrottle } from "./auth/login-throttle.ts";
import { ShadowQuota } from "./auth/shadow-quota.ts";
import type { NodeContext, NodeExtension } from "./extension.ts";
import { EXTENSIONS } from "./extensions.ts";
import type { FleetExtension } from "./fleet/extension.ts";
import { matchFollower } from "./fleet/fleet-stream.ts";
import type { FollowSources } from "./http/console-follows.ts";
import { mqttPortsOf } from "./http/console-routes.ts";
import { buildHttpServer } from "./http/server.ts";
import { ConsoleSessions } from "./http/sessions.ts";
import type { JobsExtension } from "./jobs/extension.ts";
import { jobFollower } from "./jobs/job-stream.ts";
import { ConnectionGate, type Listener, readTlsMaterial, startMqttListeners } from "./listeners.ts";
import { MqttAccess } from "./mqtt/access.ts";
import { composeHooks, ForwardWatchers, isGeneratedClientId } from "./mqtt/aedes-seam.ts";
import { conformanceLayer, fixRetained } from "./mqtt/conformance.ts";
import { flowControlLayer, limitInflight } from "./mqtt/flow-control.ts";
import { mqtt5BrokerOptions, mqtt5Layer } from "./mqtt/mqtt5.ts";
import { guardPacketSize } from "./mqtt/packet-guard.ts";
import { MAX_QUEUED_PER_CLIENT, overflowReporter } from "./mqtt/persistence/overflow.ts";
import { SqlitePersistence } from "./mqtt/persistence/sqlite-persistence.ts";
import { publishJson } from "./mqtt/publish.ts";
import { ShadowMqttAdapter } from "./mqtt/shadow-adapter.ts";
import { rewriteSharePackets, SharedSubscriptions } from "./mqtt/shared-subscriptions.ts";
import { PresenceTracker } from "./presence.ts";
import { CommitThread } from "./shadow/commit-thread.ts";
import { GroupCommit } from "./shadow/group-commit.ts";
import { limitHeapGrowth } from "./shadow/heap-growth.ts";
import { newActorId } from "./shadow/shadow-doc.ts";
import { ShadowService } from "./shadow/shadow-service.ts";
import { ShadowStore } from "./shadow/shadow-store.ts";
import { WalSync } from "./shadow/wal-sync.ts";
import { WasmHeadroom } from "./shadow/wasm-headroom.ts";
import { lockDataDir, openDatabase, privateDataFile } from "./store/database.ts";

export interface RunningNode {
  readonly config: NodeConfig;
  /** The first MQTT listener's URL and the first HTTP API URL (plain before TLS). */
  readonly mqttUrl: string;
  readonly httpUrl: string;
  /** Every listener: mqtt, mqtts, ws, wss, http, https. */
  readonly urls: Record<string, string>;
  /** Set when this start created the first admin credential (DATA_DIR/admin.json). */
  readonly adminFile?: string;
  readonly service: ShadowService;
  readonly store: ShadowStore;
  readonly commits: GroupCommit;
  readonly identities: IdentityStore;
  readonly access: MqttAccess;
  readonly broker: Aedes;
  readonly log: Logger;
  readonly presence: PresenceTracker;
  readonly metrics: Registry;
  /** The capabilities started beside the shadow core (telemetry, sparkplug, relay, metrics), by name. */
  readonly extensions: ReadonlyMap<string, NodeExtension>;
  /** Stops accepting, finishes in-flight commits, closes SQLite. Idempotent. */
  close(): Promise<void>;
}

/** How often a running node looks for identity changes made by admin commands. */
const IDENTITY_POLL_MS = 1000;

/** Starts a fabric node: SQLite store, shadow service, embedded aedes broker, listeners, HTTP API. */
export async function startNode(
  config: NodeConfig,
  log: Logger = createLogger(config.logLevel),
): Promise<RunningNode> {
  const tls = readTlsMaterial(config);
  const lock = lockDataDir(config.dataDir);
  const cleanup: (() => Promise<void> | void)[] = [() => lock.release()];
  const unwind = async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  };
  try {
    const db = openDatabase(config.dataDir);
    cleanup.push(() => {
      db.close();
    });
    // A fresh Automerge actor on every start: a change written but not committed before a crash (or a
    // data dir restored from a backup) may already have reached another site; a stable actor would
    // reuse its sequence number for a different change, which no merge can repair.
    const actor = newActorId();
    db.prepare(
      "INSERT INTO node_meta (key, value) VALUES ('actor', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    ).run(actor);
    const store = new ShadowStore(db, actor, {
      cacheSize: config.cacheSize,
      site: config.site,
      compactAfterChunks: config.compactAfterChunks,
      epochAfterChanges: config.epochAfterChanges,
      deferUpdates: config.deferUpdates,
    });
    cleanup.push(() => store.close());
    // The batch's fsync runs off the main thread (broker/shadow/wal-sync.ts); accepted still waits for it.
    // (A file system where SQLite cannot use WAL leaves the fsync inside COMMIT, as before.)
    // With `commitWorker` (default) the transaction and its fsync run on a worker thread instead
    // (broker/shadow/commit-thread.ts, docs/shadow-engine.md "Threads").
    const walSync = WalSync.forDatabase(db);
    cleanup.push(() => walSync?.close());
    const writer =
      config.commitWorker && walSync ? new CommitThread(db, undefined, config.walCheckpointer) : undefined;
    const commits = new GroupCommit(store, undefined, writer ?? walSync, config.commitPipeline);
    cleanup.push(() => commits.close());
    // Automerge's wasm heap grows in large steps, not 64 KiB ones (each grow costs V8 a full GC).
    const headroom = new WasmHeadroom();
    headroom.topUp();
    commits.batchObservers.push((changes) => headroom.afterChanges(changes));
    store.loadObservers.push(() => headroom.afterLoads(1));
    const identities = new IdentityStore(db);
    const adminFile = config.allowAnonymous ? undefined : bootstrapAdmin(identities, config.dataDir);
    const s = config.security;
    const throttle = new LoginThrottle({
      maxFailures: s.loginMaxFailures,
      windowMs: s.loginWindowMs,
      blockMs: s.loginBlockMs,
      maxBlockMs: 15 * 60_000,
      ...(s.loginThrottleLoopback ? {} : { exempt: isLoopbackAddress }),
    });
    const authenticator = new Authenticator(identities, throttle, config.allowAnonymous);

    // concurrency 0: mqemitter queues emits beyond `concurrency` (aedes' default 100) and drains the
    // queue recursively (released → _do → released …); under a burst from thousands of devices that
    // recursion can overflow the stack. Unlimited concurrency never queues (messages are in memory anyway).
    // Retained messages, persistent sessions and their queues survive a restart (docs/mqtt5.md).
    const mqttStore = new SqlitePersistence(privateDataFile(join(config.dataDir, "mqtt.db")), {
      maxQueuedPerClient: MAX_QUEUED_PER_CLIENT,
      onOverflow: overflowReporter(log),
    });
    cleanup.push(() => mqttStore.destroy());
    const broker = await Aedes.createBroker({
      persistence: mqttStore as unknown as AedesOptions["persistence"],
      id: `umbra-${config.site}`,
      connectTimeout: s.connectTimeoutMs,
      concurrency: 0,
      ...mqtt5BrokerOptions(s),
    });
    const presence = new PresenceTracker(db, config.site, (thing, p) => {
      publishJson(broker, presenceTopic(thing), p, true).catch((err) =>
        log.error({ err }, "presence publish failed"),
      );
    });
    // Unwound in reverse: the broker closes (clients disconnect) before presence is flushed.
    cleanup.push(() => presence.flush());
    cleanup.push(() => new Promise<void>((resolve) => broker.close(() => resolve())));
    const service = new ShadowService(store, commits, config.limits, (thing) => presence.shown(thing));
    const quota = new ShadowQuota(db, config.limits);
    service.admitNew = (addr, principal) => quota.admitNew(addr, principal);
    const shadows = new ShadowMqttAdapter(
      broker,
      service,
      (err) => log.error({ err }, "shadow request failed"),
      config.requestsInWork,
    );
    const access = new MqttAccess(broker, authenticator, shadows, s, log, mqttStore.sessionOwners());
    const sharedSubscriptions = new SharedSubscriptions(broker);
    sharedSubscriptions.install();
    fixRetained(broker);
    const forwarded = new ForwardWatchers();
    // The broker's hooks, outermost first: a call meets them in this order (broker/mqtt/aedes-seam.ts).
    composeHooks(broker, [
      forwarded.layer(), // counts only what every layer below let through (metrics)
      flowControlLayer(), // likewise, against each client's Receive Maximum
      sharedSubscriptions.layer(), // `$share` markers judged as the filter they stand for
      mqtt5Layer(), // Maximum Packet Size, session resume, will properties
      conformanceLayer(), // MQTT 3.1.1 rules and node-owned topics
      access.layer(), // authentication and the ACL (innermost, over aedes' defaults)
    ]);
    trackPresence(broker, access, presence);
    broker.on("subscribe", (subs, client) => shadows.onSubscribe(subs, client));
    broker.on("clientError", (client, err) =>
      log.debug({ client: client.id, err: err.message }, "client error"),
    );
    broker.on("connectionError", (_client, err) => log.debug({ err: err.message }, "connection error"));
    presence.markAllDisconnected();

    const metrics = new Registry();
    registerLimitMetrics(metrics, access.requestLimits, quota, shadows.flow);
    const extensions = new Map<string, NodeExtension>();
    const ctx: NodeContext = {
      config,
      db,
      log,
      store,
      service,
      commits,
      broker,
      forwarded,
      identities,
      access,
      presence,
      metrics,
      extension: <T extends NodeExtension>(name: string) => extensions.get(name) as T | undefined,
    };
    for (const def of EXTENSIONS) {
      const ext = await def.start(ctx);
      extensions.set(def.name, ext);
      if (ext.close) cleanup.push(() => ext.close?.());
    }

    const stopWatch = watchIdentities(
      {
        identities,
        resetCache: () => authenticator.reset(),
        recheck: (valid) => access.recheck(valid),
        log,
      },
      IDENTITY_POLL_MS,
    );
    cleanup.push(stopWatch);

    const gate = new ConnectionGate(s.maxConnections);
    const listeners: Listener[] = await startMqttListeners(config, tls, gate, (stream, info) => {
      guardPacketSize(stream, s.maxPacketBytes, (reason) =>
        log.info({ address: info.address, reason }, "connection closed"),
      );
      const client = broker.handle(stream);
      rewriteSharePackets(client);
      limitInflight(client);
      access.connections.set(client, info);
    });
    cleanup.push(() => Promise.all(listeners.map((l) => l.close())).then(() => undefined));

    const urls: Record<string, string> = {};
    for (const l of listeners) urls[l.kind] ??= l.url;
    const httpDeps = {
      service,
      store,
      site: config.site,
      maxRequestBytes: config.limits.maxRequestBytes,
      authenticate: config.allowAnonymous ? undefined : (token: string) => identities.verifyToken(token),
      extensions: [...extensions.values()],
      console: {
        service,
        store,
        presence,
        broker,
        identities,
        authenticator,
        sessions: new ConsoleSessions(),
        lookup: (name: string, credential?: string) => identities.principalFor(name, credential),
        mqttPorts: mqttPortsOf(urls),
        ...consoleFollows(extensions),
      },
    };
    const host = config.host.includes(":") ? `[${config.host}]` : config.host;
    for (const [scheme, port] of [
      ["http", config.httpPort],
      ["https", config.httpsPort],
    ] as const) {
      if (port === null || (scheme === "https" && !tls)) continue;
      const app = buildHttpServer(httpDeps, scheme === "https" ? tls : undefined);
      cleanup.push(() => app.close());
      await app.listen({ port, host: config.host });
      const bound = app.server.address();
      urls[scheme] = `${scheme}://${host}:${typeof bound === "object" && bound ? bound.port : port}`;
    }

    const closing = { promise: undefined as Promise<void> | undefined };
    // The JS heap, no longer collected at every wasm grow (WasmHeadroom), is kept near its live size
    // from now on: set after start-up, which builds its live heap (the fleet index) from nothing, and
    // with a small growing factor would pay a full collection at every 1.5x of it.
    limitHeapGrowth(config.heapGrowthPercent);
    return {
      config,
      mqttUrl: urls.mqtt ?? urls.mqtts ?? urls.ws ?? urls.wss ?? "",
      httpUrl: urls.http ?? urls.https ?? "",
      urls,
      adminFile,
      service,
      store,
      commits,
      identities,
      access,
      broker,
      log,
      presence,
      metrics,
      extensions,
      close: () => {
        closing.promise ??= unwind();
        return closing.promise;
      },
    };
  } catch (err) {
    await unwind();
    throw err;
  }
}

/**
 * Presence: a device identity is its thing; with anonymous access, a client whose id is a valid thing
 * name is that thing. Connections are counted per thing, so a session takeover does not flap.
 */
function trackPresence(broker: Aedes, access: MqttAccess, presence: PresenceTracker): void {
  const live = new Map<string, number>();
  const thingOf = (client: Client): string | undefined => {
    const p = access.sessions.get(client)?.principal;
    if (p?.role === "device") return p.name;
    if (p?.role === "anonymous" && isValidThingName(client.id) && !isGeneratedClientId(client.id))
      return client.id;
    return undefined;
  };
  const counted = new WeakSet<Client>();
  broker.on("clientReady", (client) => {
    const thing = thingOf(client);
    if (thing === undefined) return;
    counted.add(client);
    const n = (live.get(thing) ?? 0) + 1;
    live.set(thing, n);
    if (n === 1) presence.set(thing, true);
  });
  broker.on("clientDisconnect", (client) => {
    const thing = thingOf(client);
    if (thing === undefined || !counted.has(client)) return;
    counted.delete(client);
    const n = (live.get(thing) ?? 1) - 1;
    if (n > 0) live.set(thing, n);
    else {
      live.delete(thing);
      presence.set(thing, false);
    }
  });
}

/** What the console's one stream per tab can follow: fleet queries and jobs, from their extensions. */
function consoleFollows(extensions: ReadonlyMap<string, NodeExtension>): FollowSources {
  const fleet = extensions.get("fleet") as FleetExtension | undefined;
  const jobs = extensions.get("jobs") as JobsExtension | undefined;
  return {
    followQuery: fleet ? (q) => matchFollower(fleet.fleet.index, q) : undefined,
    followJob: jobs ? (id, who) => jobFollower(jobs.jobs, id, who) : undefined,
  };
}
