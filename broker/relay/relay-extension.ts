import type { PublishPacket } from "aedes";
import { ConfigError } from "../../shared/config.ts";
import { compileThingPattern, matchesThing, type ThingPattern } from "../../shared/glob.ts";
import type { MessagesFrame } from "../../shared/relay/protocol.ts";
import { patternSpec } from "../../shared/relay/share-filter.ts";
import { isRelayableTopic, isValidFilter, topicMatches } from "../../shared/relay/topic-filter.ts";
import type { TelemetryIngest } from "../../shared/telemetry.ts";
import { parseTelemetryPayload, parseTelemetryTopic } from "../../shared/telemetry-payload.ts";
import { shadowKey } from "../../shared/topics.ts";
import type { ExtensionDefinition, NodeContext, NodeExtension } from "../extension.ts";
import type { ShadowChange } from "../shadow/shadow-service.ts";
import { dialParent, type ParentDialer } from "./child-side.ts";
import { DedupFilter, isHistorical } from "./dedup.ts";
import { type LinkStats, RelayLink } from "./link.ts";
import { RelayOutbox } from "./outbox.ts";
import { sendDown, serveChildren } from "./parent-side.ts";
import { PeerStateStore } from "./peer-state.ts";
import { linkOptions, outboxOptions, parentsOf } from "./relay-config.ts";
import { registerRelayMetrics } from "./relay-metrics.ts";

/** A relayed message older than this when its site sent it is historical (store-and-forward backlog). */
export const HISTORICAL_AFTER_MS = 60_000;

export interface RelayExtension extends NodeExtension {
  /** Every link (parents dialled, children served) by peer name. */
  readonly links: ReadonlyMap<string, RelayLink>;
  /** The per-peer sync state in this node's SQLite store. */
  readonly state: PeerStateStore;
  peers(): LinkStats[];
  /**
   * A message the node itself publishes (its own publishes bypass the client hook) into the
   * plain-topic outbox, when its topic is one of `relayTopics` and there is a parent. The alarms
   * capability relays its feed this way. Returns whether it was queued.
   */
  relayOwn(topic: string, payload: Uint8Array, qos: 0 | 1): boolean;
}

/**
 * The site relay (docs/relay.md): dials each configured parent, serves children that connect with a
 * site identity, and keeps every shared shadow converged across them. A local change (or one merged
 * from a peer) marks the shadow dirty for every other peer whose share policy allows its thing.
 */
export const relayExtension: ExtensionDefinition = {
  name: "relay",
  start(ctx: NodeContext): RelayExtension {
    const { config, log } = ctx;
    const parents = parentsOf(config);
    const options = linkOptions(config);
    const state = new PeerStateStore(ctx.db);
    const links = new Map<string, RelayLink>();
    const dialers: ParentDialer[] = [];
    const relayLog = log.child({ component: "relay" });
    const topics = config.relayTopics ?? [];
    for (const t of topics) {
      if (!isValidFilter(t)) throw new ConfigError(`relayTopics: '${t}' is not a valid MQTT topic filter`);
      if (t.startsWith("$"))
        throw new ConfigError(
          `relayTopics: '${t}' is a $ topic; parents never republish those (they are the node's own protocols)`,
        );
    }
    // Plain topics go up to the first parent, store-and-forward; children's messages arrive exactly once.
    const outbox =
      topics.length > 0 && parents.length > 0
        ? new RelayOutbox(ctx.db, {
            site: config.site,
            log: relayLog,
            metrics: ctx.metrics,
            ...outboxOptions(config),
          })
        : undefined;
    const dedup = new DedupFilter(ctx.db, { log: relayLog });

    const linkDeps = (
      side: "child" | "parent",
      allows: (thing: string) => boolean,
      shareSpec: () => string,
      send: (f: Uint8Array) => boolean,
    ) => ({
      site: config.site,
      side,
      service: ctx.service,
      store: ctx.store,
      state,
      log: relayLog,
      allows,
      shareSpec,
      send,
    });

    let first = true;
    for (const p of parents) {
      const pattern = compileThingPattern(p.things);
      let dialer: ParentDialer | undefined;
      const link = new RelayLink(
        `parent:${p.name}`,
        linkDeps(
          "child",
          (thing) => matchesThing(pattern, thing),
          () => p.things,
          (f) => dialer?.send(f) ?? false,
        ),
        options,
      );
      links.set(link.peer, link);
      if (first && outbox) {
        link.setOutbox({
          take: (maxBytes, after) => outbox.peek(maxBytes, after),
          acked: (messages) => outbox.ack(messages.map((m) => m.seq)),
        });
      }
      first = false;
      dialer = dialParent(p, relayLog, {
        open: () => link.open(),
        frame: (payload) => link.receive(payload),
        close: () => link.close(),
      });
      dialers.push(dialer);
    }

    // The connection each child last spoke on: a late close of an older one must not take the link down.
    const childClients = new Map<string, unknown>();
    const stopServing = serveChildren(ctx.broker, ctx.access, {
      frame(name, _principal, payload, client) {
        childClients.set(name, client);
        const peer = `child:${name}`;
        let link = links.get(peer);
        if (!link) {
          // The share policy is the site identity's grant, read at every check (re-scoped or revoked
          // identities take effect at once; the node disconnects revoked ones). Revoked, or no longer a
          // site, it shares nothing: the link stops collecting changes for a peer that may never return.
          const current = (): ThingPattern => {
            const p = ctx.identities.lookup(name)?.principal;
            return p?.role === "site" ? p.things : [];
          };
          link = new RelayLink(
            peer,
            {
              ...linkDeps(
                "parent",
                (thing) => matchesThing(current(), thing),
                () => patternSpec(current()),
                (f) => sendDown(ctx.broker, name, f),
              ),
              onMessages: (frame) => deliver(frame, peer, (thing) => matchesThing(current(), thing)),
            },
            options,
          );
          links.set(peer, link);
        }
        link.receive(payload);
      },
      gone(name, client) {
        if (childClients.get(name) !== client) return;
        childClients.delete(name);
        links.get(`child:${name}`)?.close();
      },
    });

    /**
     * A child's plain-topic messages: filtered exactly-once (recorded before anything is published),
     * published here, and queued further up when this node has a parent outbox (transitive).
     */
    const deliver = async (frame: MessagesFrame, peer: string, allows: (thing: string) => boolean) => {
      for (const m of frame.messages) if (m.seq <= frame.floor) dedup.advance(m.origin, frame.floor);
      // The share policy applies to thing topics too (`things/{thing}/…`); `$` topics never cross.
      const shared = frame.messages.filter((m) => {
        const [root, thing] = m.topic.split("/");
        return isRelayableTopic(m.topic) && (root !== "things" || thing === undefined || allows(thing));
      });
      if (shared.length < frame.messages.length) {
        const refused = frame.messages.filter((m) => !shared.includes(m));
        relayLog.warn(
          { peer, refused: refused.length, topics: [...new Set(refused.map((m) => m.topic))].slice(0, 5) },
          "relay: messages on topics this site may not relay ($ topics, or things outside its grant) dropped",
        );
      }
      const fresh = dedup.admit(shared);
      const telemetry = ctx.extension<NodeExtension & TelemetryIngest>("telemetry");
      for (const m of fresh) {
        // Telemetry goes into the store with its origin time; a late one (older than HISTORICAL_AFTER_MS
        // when its site sent it) is marked historical, so it does not move the latest value back.
        const t = telemetry ? parseTelemetryTopic(m.topic) : null;
        if (t && telemetry) {
          const parsed = parseTelemetryPayload(t, Buffer.from(m.payload), m.ts);
          if (parsed.ok) {
            const historical = isHistorical(m, HISTORICAL_AFTER_MS, { sentAt: frame.sentAt });
            telemetry.record(t.thing, parsed.samples, { historical });
          }
        }
        await new Promise<void>((resolve) =>
          ctx.broker.publish(
            {
              cmd: "publish",
              topic: m.topic,
              payload: Buffer.from(m.payload),
              qos: m.qos,
              retain: false,
              dup: false,
            },
            () => resolve(),
          ),
        );
      }
      if (outbox && fresh.length > 0) {
        outbox.enqueueMany(fresh.map((m) => ({ topic: m.topic, payload: m.payload, qos: m.qos, ts: m.ts })));
        for (const l of links.values()) l.poke();
      }
    };

    // Local publishes on a relayed topic enter the outbox (the node's own publishes do not: client null).
    const onPublish = (packet: PublishPacket, client: unknown) => {
      if (!outbox || !client || !topics.some((f) => topicMatches(f, packet.topic))) return;
      const r = outbox.enqueue({
        topic: packet.topic,
        payload: packet.payload as Buffer,
        qos: packet.qos,
      });
      if (r.accepted) for (const l of links.values()) l.poke();
    };
    if (outbox) ctx.broker.on("publish", onPublish);

    const onChange = (change: ShadowChange) => {
      const key = shadowKey(change.addr);
      for (const link of links.values())
        if (link.peer !== change.origin) link.markDirty(key, change.addr.thing);
    };
    ctx.service.on("change", onChange);
    ctx.service.syncStatus = (addr) => {
      const key = shadowKey(addr);
      const heads = ctx.store.open(addr).doc.heads();
      const out: Record<string, string> = {};
      for (const link of links.values())
        if (link.shares(addr.thing)) out[link.peer] = link.syncState(key, heads);
      return out;
    };

    const peers = () => [...links.values()].map((l) => l.stats());
    registerRelayMetrics(ctx.metrics, peers);
    if (parents.length > 0)
      relayLog.info(
        { parents: parents.map((p) => ({ name: p.name, url: p.url })) },
        "relay: dialling parents",
      );

    return {
      links,
      state,
      peers,
      relayOwn(topic, payload, qos) {
        if (!outbox || !topics.some((f) => topicMatches(f, topic))) return false;
        const r = outbox.enqueue({ topic, payload, qos });
        if (r.accepted) for (const l of links.values()) l.poke();
        return r.accepted;
      },
      routes(app, principalOf) {
        app.get("/peers", async (req, reply) => {
          const role = principalOf(req).role;
          if (role !== "operator" && role !== "viewer" && role !== "anonymous") {
            return reply
              .code(403)
              .send({ code: 403, message: "only operators and viewers may list relay peers" });
          }
          return { site: config.site, peers: peers() };
        });
      },
      async close() {
        ctx.service.off("change", onChange);
        ctx.service.syncStatus = undefined;
        ctx.broker.off("publish", onPublish);
        stopServing();
        await Promise.all(dialers.map((d) => d.close()));
        await Promise.all([...links.values()].map((l) => l.shutdown()));
      },
    };
  },
};
