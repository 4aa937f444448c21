import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { createServer, type Server } from "node:net";
import { Aedes } from "aedes";
import type { FastifyInstance } from "fastify";
import type { NodeConfig } from "../shared/config.ts";
import { createLogger, type Logger } from "../shared/logger.ts";
import { isValidThingName, presenceTopic } from "../shared/topics.ts";
import { buildHttpServer } from "./http/server.ts";
import { connectRefusal, installConformance, isRefusedFilter, markConnect } from "./mqtt/conformance.ts";
import { publishJson } from "./mqtt/publish.ts";
import { ShadowMqttAdapter } from "./mqtt/shadow-adapter.ts";
import { PresenceTracker } from "./presence.ts";
import { GroupCommit } from "./shadow/group-commit.ts";
import { newActorId } from "./shadow/shadow-doc.ts";
import { ShadowService } from "./shadow/shadow-service.ts";
import { ShadowStore } from "./shadow/shadow-store.ts";
import { type Db, lockDataDir, nodeMetaValue, openDatabase } from "./store/database.ts";

export interface RunningNode {
  readonly config: NodeConfig;
  readonly mqttUrl: string;
  readonly httpUrl: string;
  readonly service: ShadowService;
  readonly store: ShadowStore;
  readonly commits: GroupCommit;
  readonly broker: Aedes;
  readonly log: Logger;
  /** Stops accepting, finishes in-flight commits, closes SQLite. Idempotent. */
  close(): Promise<void>;
}

/** Starts a fabric node: SQLite store, shadow service, embedded aedes broker, HTTP API. */
export async function startNode(
  config: NodeConfig,
  log: Logger = createLogger(config.logLevel),
): Promise<RunningNode> {
  const lock = lockDataDir(config.dataDir);
  let db: Db;
  try {
    db = openDatabase(config.dataDir);
  } catch (err) {
    lock.release();
    throw err;
  }
  const actor = nodeMetaValue(db, "actor", newActorId);
  const store = new ShadowStore(db, actor, {
    cacheSize: config.cacheSize,
    compactAfterChunks: config.compactAfterChunks,
  });
  const commits = new GroupCommit(store);

  const broker = await Aedes.createBroker({ id: `umbra-${config.site}` });
  const presence = new PresenceTracker(db, config.site, (thing, p) => {
    publishJson(broker, presenceTopic(thing), p, true).catch((err) =>
      log.error({ err }, "presence publish failed"),
    );
  });
  const service = new ShadowService(store, commits, config.limits, (thing) => presence.get(thing));
  const onError = (err: unknown) => log.error({ err }, "shadow request failed");
  const shadows = new ShadowMqttAdapter(broker, service, onError);

  broker.preConnect = (client, packet, done) => {
    markConnect(client, packet);
    done(null, true);
  };
  broker.authenticate = (client, _username, _password, done) => {
    const refusal = connectRefusal(client);
    done(refusal, refusal === null);
  };
  broker.authorizeSubscribe = (_client, sub, done) => done(null, isRefusedFilter(sub.topic) ? null : sub);
  broker.authorizePublish = (_client, packet, done) => {
    if (packet.topic.startsWith("$SYS")) return done(new Error("$SYS topics are reserved"));
    shadows.dispatch(packet.topic, packet.payload);
    done(null);
  };
  installConformance(broker);
  broker.on("subscribe", (subs, client) => shadows.onSubscribe(subs, client));
  broker.on("clientReady", (client) => {
    if (isThingClient(client.id)) presence.set(client.id, true);
  });
  broker.on("clientDisconnect", (client) => {
    const current = (broker as unknown as { clients: Record<string, unknown> }).clients[client.id];
    if (isThingClient(client.id) && (current === undefined || current === client))
      presence.set(client.id, false);
  });
  broker.on("clientError", (client, err) =>
    log.debug({ client: client.id, err: err.message }, "client error"),
  );
  broker.on("connectionError", (_client, err) => log.debug({ err: err.message }, "connection error"));
  presence.markAllDisconnected();

  // noDelay: aedes writes a packet in several small chunks; with Nagle each reply waits ~40 ms for an ACK.
  const mqttServer: Server = createServer({ noDelay: true }, broker.handle);
  mqttServer.listen(config.mqttPort, config.host);
  await Promise.race([
    once(mqttServer, "listening"),
    once(mqttServer, "error").then(([e]) => Promise.reject(e)),
  ]);
  const mqttPort = (mqttServer.address() as AddressInfo).port;

  const http: FastifyInstance = buildHttpServer({
    service,
    store,
    site: config.site,
    maxRequestBytes: config.limits.maxRequestBytes,
  });
  await http.listen({ port: config.httpPort, host: config.host });
  const httpPort = (http.server.address() as AddressInfo).port;

  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      mqttServer.close();
      await http.close();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      commits.close();
      presence.flush();
      store.close();
      db.close();
      lock.release();
    })();
    return closing;
  };

  return {
    config,
    mqttUrl: `mqtt://${host}:${mqttPort}`,
    httpUrl: `http://${host}:${httpPort}`,
    service,
    store,
    commits,
    broker,
    log,
    close,
  };
}

/** A client whose id is a valid thing name is that thing (aedes names anonymous ids `aedes_<uuid>`). */
function isThingClient(id: string): boolean {
  return isValidThingName(id) && !id.startsWith("aedes_");
}
