import { Readable } from "node:stream";
import type { Aedes, AuthenticateError, Client, ConnectPacket } from "aedes";
import { isNodeOwnedTopic, ROOTS } from "../../shared/topics.ts";
import { type HookLayer, persistenceOf } from "./aedes-seam.ts";

/**
 * MQTT 3.1.1 rules that aedes does not enforce by itself, plus the node's own topic rules.
 * A layer of the broker's hooks (broker/mqtt/aedes-seam.ts), outside the access layer.
 */

const emptyIdPersistent = new WeakSet<Client>();

/** Remembers clients that sent an empty client id with clean session 0 (checked at authenticate). */
function markConnect(client: Client, packet: ConnectPacket): void {
  // MQTT 5 has no such rule: the server assigns an id (Assigned Client Identifier) whatever Clean Start says.
  if (packet.protocolVersion === 5) return;
  if ((packet.clientId ?? "") === "" && packet.clean === false) emptyIdPersistent.add(client);
}

/** [MQTT-3.1.3-8]: an empty client id with clean session 0 gets CONNACK 2 (identifier rejected). */
function connectRefusal(client: Client): AuthenticateError | null {
  if (!emptyIdPersistent.has(client)) return null;
  const err = new Error("client id must not be empty when clean session is 0") as AuthenticateError;
  (err as { returnCode: number }).returnCode = 2;
  return err;
}

/**
 * Subscriptions refused with SUBACK 0x80 (the client stays connected): filters under a shadow root
 * that no shadow topic can match, e.g. `$umbra/things/a b/...` or `$umbra/nonsense`.
 */
export function isRefusedFilter(filter: string): boolean {
  const [root, second] = filter.split("/");
  if (!ROOTS.includes(root as (typeof ROOTS)[number])) return false;
  // `$umbra/relay/…` is the site relay's topic space (the ACL decides who may subscribe there).
  if (root === "$umbra" && second === "relay") return false;
  return !(second === undefined || second === "things" || second === "+" || second === "#");
}

/**
 * Node-owned topics (shadow replies, presence) published by a client are acknowledged as MQTT
 * requires [MQTT-3.3.5-2] but not forwarded, so no client can forge a reply or presence.
 */
export function forwardable(packetClientId: string | undefined, topic: string): boolean {
  return !(packetClientId && isNodeOwnedTopic(topic));
}

/** [MQTT-4.7.2-1]: a filter that starts with a wildcard never matches a topic that starts with `$`. */
function mayMatchDollarTopics(filter: string): boolean {
  return !(filter.startsWith("#") || filter.startsWith("+"));
}

type RetainedStreams = {
  retainedSnapshot?(): { topic: string }[];
  createRetainedStreamCombi(patterns: string[]): Readable;
  storeRetained(packet: { topic: string; payload: Buffer | string }): Promise<void>;
};

const isExact = (filter: string) => !filter.includes("+") && !filter.includes("#");

/**
 * Retained messages on subscribe, fixed and made linear:
 * - aedes 1.2 applies [MQTT-4.7.2-1] to live messages but not to retained ones: a `#` subscriber got
 *   every retained `$umbra/things/+/presence`. Wildcard-led filters get their retained messages minus
 *   `$` topics.
 * - aedes-persistence tests every retained message against each subscribed filter, and every thing has a
 *   retained presence: 10,000 devices subscribing to 3 exact topics each meant 3·10^8 topic tests. Exact
 *   filters (no wildcard) are answered from an index by topic instead.
 */
function serveRetained(persistence: RetainedStreams): void {
  const byTopic = new Map<string, unknown>();
  // Retained messages a persistent store brought back from before a restart.
  for (const packet of persistence.retainedSnapshot?.() ?? []) byTopic.set(packet.topic, packet);
  const store = persistence.storeRetained.bind(persistence);
  persistence.storeRetained = async (packet) => {
    await store(packet);
    if (packet.payload.length === 0) byTopic.delete(packet.topic);
    else byTopic.set(packet.topic, { ...packet });
  };
  const original = persistence.createRetainedStreamCombi.bind(persistence);
  persistence.createRetainedStreamCombi = (patterns) => {
    const exact = patterns.filter(isExact);
    const explicit = patterns.filter((p) => !isExact(p) && mayMatchDollarTopics(p));
    const wild = patterns.filter((p) => !mayMatchDollarTopics(p));
    return Readable.from(
      (async function* () {
        for (const topic of exact) {
          const packet = byTopic.get(topic);
          if (packet) yield packet;
        }
        if (explicit.length > 0) yield* original(explicit);
        if (wild.length === 0) return;
        for await (const packet of original(wild)) {
          if (!(packet as { topic: string }).topic.startsWith("$")) yield packet;
        }
      })(),
    );
  };
}

/** Retained messages served by Umbra's rules (above); once per broker. */
export function fixRetained(broker: Aedes): void {
  serveRetained(persistenceOf<RetainedStreams>(broker));
}

export function conformanceLayer(): HookLayer {
  return {
    name: "conformance",
    preConnect(client, packet, _done, next) {
      markConnect(client, packet);
      next();
    },
    authenticate(client, _username, _password, done, next) {
      const refusal = connectRefusal(client);
      if (refusal) return done(refusal, false);
      next();
    },
    authorizeForward(_client, packet, next) {
      const origin = (packet as { clientId?: string }).clientId;
      return forwardable(origin, packet.topic) ? next() : null;
    },
    // Not forwarding is not enough: aedes stores retained messages before forwarding, so a client's retained
    // publish (or will) on a node-owned topic would replace, or with an empty payload clear, the node's own.
    authorizePublish(client, packet, _done, next) {
      if (client && isNodeOwnedTopic(packet.topic)) packet.retain = false;
      next();
    },
  };
}
