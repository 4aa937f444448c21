import type { PublishPacket } from "aedes";
import { mayReadFleet, mayRelay, type Principal } from "../../shared/acl.ts";
import { ConfigError } from "../../shared/config.ts";
import { compileThingPattern, matchesThing, type ThingPattern } from "../../shared/glob.ts";
import type { MessagesFrame } from "../../shared/relay/protocol.ts";
import { patternSpec } from "../../shared/relay/share-filter.ts";
import { isValidFilter, topicMatches } from "../../shared/relay/topic-filter.ts";
import type { TelemetryIngest } from "../../shared/telemetry.ts";
import { parseTelemetryPayload, parseTelemetryTopic } from "../../shared/telemetry-payload.ts";
import { shadowKey } from "../../shared/topics.ts";
import type { ExtensionDefinition, NodeContext, NodeExtension } from "../extension.ts";
import { publishFromNode } from "../mqtt/publish.ts";
import type { ShadowChange } from "../shadow/shadow-service.ts";
import { AgreedCuts } from "./agreed-cuts.ts";
import { serveChildLinks } from "./child-links.ts";
import { dialParent, type ParentDialer } from "./child-side.ts";
import { relayCutPolicy } from "./cut-policy.ts";
import { DedupFilter, isHistorical } from "./dedup.ts";
import { FrameIntake, intakePolicy } from "./frame-intake.ts";
import { addrOfKey, type LinkStats, RelayLink } from "./link.ts";
import { RelayOutbox } from "./outbox.ts";
import { sendDown } from "./parent-side.ts";
import { PeerStateStore } from "./peer-state.ts";
import { linkOptions, outboxOptions, parentsOf } from "./relay-config.ts";
import { registerIntakeMetrics, registerRelayMetrics } from "./relay-metrics.ts";

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
    // Shared shadows keep their history until agreed cuts exist (docs/shadow-engine.md).
    // Shared shadows are cut only by the site no parent shares them with, once every connected peer
    // that shares them holds its heads; the others adopt (docs/shadow-engine.md, "Agreed cuts").
    const agreed = config.epochShared
      ? {
          lagging: (thing: string, key: string, heads: readonly string[]) =>
            [...links.values()].some(
              (l) => l.connected && l.shares(thing) && l.syncState(key, heads) !== "synced",
            ),
          // A child with several parents sharing the thing lets only its first cut it.
          heldBack: (thing: string) => [...links.values()].some((l) => l.holdsBackCut(thing)),
        }
      : undefined;
    const parentPatterns = parents.map((p) => compileThingPattern(p.things));
    ctx.store.setCutPolicy(
      relayCutPolicy(parentPatterns, () => ctx.identities.list((r) => r.role === "site"), Date.now, agreed),
    );
    const cuts = new AgreedCuts({
      ready: (key) => ctx.store.cutReady(ctx.store.open(addrOfKey(key))),
      due: (key) => {
        const addr = addrOfKey(key);
        return (
          !parentPatterns.some((p) => matchesThing(p, addr.thing)) &&
          ctx.store.cutWanted(ctx.store.open(addr))
        );
      },
      cut: (key) => ctx.service.cutShared(addrOfKey(key)),
      // The new epoch goes to every peer: from its old heads it sends the whole (new) document.
      onCut: (key) => {
        for (const link of links.values()) link.markDirty(key, addrOfKey(key).thing);
      },
      onError: (key, err) => relayLog.error({ err, shadow: key }, "relay: agreed cut failed"),
      after: (ms, f) => {
        const t = setTimeout(f, ms);
        t.unref();
        return () => clearTimeout(t);
      },
    });
    const acked = (key: string) => {
      if (agreed) cuts.acked(key);
    };

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
      acked,
      peersSharing: (thing: string) => [...links.values()].filter((l) => l.shares(thing)).map((l) => l.peer),
    });

    let first = true;
    const parentIntakes: FrameIntake[] = [];
    for (const [i, p] of parents.entries()) {
      const pattern = compileThingPattern(p.things);
      let dialer: ParentDialer | undefined;
      // What the parents before this one share: they cut it, so this one must not (one top per thing).
      const earlier = parents.slice(0, i).map((e) => e.things);
      const link = new RelayLink(
        `parent:${p.name}`,
        {
          ...linkDeps(
            "child",
            (thing) => matchesThing(pattern, thing),
            () => p.things,
            (f) => dialer?.send(f) ?? false,
          ),
          ...(earlier.length > 0 ? { noCutSpec: () => earlier.join(",") } : {}),
        },
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
      // A parent's frames pass an intake too: inflated off the event loop with a cap; a parent that
      // sends bombs has its frames ignored for a while (its link stays dialled).
      const intake = new FrameIntake(link.peer, intakePolicy(options.maxFrameBytes), {
        log: relayLog,
        deliver: (bytes, plain) => {
          link.receive(bytes, plain);
          return link.idle();
        },
        cutOff: () => undefined,
      });
      parentIntakes.push(intake);
      dialer = dialParent(p, relayLog, {
        open: () => link.open(),
        frame: (payload) => intake.push(payload),
        close: () => link.close(),
      });
      dialers.push(dialer);
    }

    /** The site identity's current principal (re-read at every check: re-scoped or revoked take effect at once). */
    const siteOf = (name: string): Principal | undefined => {
      const p = ctx.identities.lookup(name)?.principal;
      return p?.role === "site" ? p : undefined;
    };
    const children = serveChildLinks({
      broker: ctx.broker,
      access: ctx.access,
      log: relayLog,
      policy: intakePolicy(options.maxFrameBytes),
      links,
      newLink(name, badFrame) {
        // Revoked, or no longer a site, it shares nothing: the link stops collecting changes for a peer
        // that may never return.
        const current = (): ThingPattern => siteOf(name)?.things ?? [];
        const peer = `child:${name}`;
        return new RelayLink(
          peer,
          {
            ...linkDeps(
              "parent",
              (thing) => matchesThing(current(), thing),
              () => patternSpec(current()),
              (f) => sendDown(ctx.broker, name, f),
            ),
            badFrame,
            onMessages: (frame) => deliver(frame, peer, () => siteOf(name)),
          },
          options,
        );
      },
    });
    const refusedMessages = registerIntakeMetrics(ctx.metrics, () => [
      ...parentIntakes,
      ...children.intakes.values(),
    ]);

    /**
     * A child's plain-topic messages: filtered exactly-once (recorded before anything is published),
     * published here, and queued further up when this node has a parent outbox (transitive).
     */
    const deliver = async (frame: MessagesFrame, peer: string, site: () => Principal | undefined) => {
      for (const m of frame.messages) if (m.seq <= frame.floor) dedup.advance(m.origin, frame.floor);
      // The same authorization as a publish by a bridge of the site's grant (shared/acl.ts mayRelay):
      // thing topics and Sparkplug edge messages of granted things only; `$` topics never cross.
      const principal = site();
      const shared = principal ? frame.messages.filter((m) => mayRelay(principal, m.topic)) : [];
      if (shared.length < frame.messages.length) {
        const refused = frame.messages.filter((m) => !shared.includes(m));
        refusedMessages.inc({ peer }, refused.length);
        relayLog.warn(
          {
            peer,
            refused: refused.length,
            topics: [...new Set(refused.slice(0, 5).map((m) => m.topic.slice(0, 200)))],
          },
          "relay: messages on topics this site may not publish (outside its grant, commands, $ topics) dropped",
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
        await publishFromNode(ctx.broker, {
          topic: m.topic,
          payload: Buffer.from(m.payload),
          qos: m.qos,
        }).catch(
          () => undefined, // as before: one message aedes failed to store does not stop the frame
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
          if (!mayReadFleet(principalOf(req))) {
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
        cuts.close();
        children.stop();
        await Promise.all(dialers.map((d) => d.close()));
        await Promise.all([...links.values()].map((l) => l.shutdown()));
      },
    };
  },
};
