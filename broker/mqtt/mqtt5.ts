import type { Aedes, AedesOptions, Client, PublishPacket } from "aedes";
import { generate } from "mqtt-packet";
import type { SecurityLimits } from "../../shared/config.ts";
import { cleanStartOf, type HookLayer, keepSessionQueue, maximumPacketSizeOf } from "./aedes-seam.ts";
import { publishFromNode } from "./publish.ts";

/**
 * MQTT 5 beside 3.1.1 on every listener, served by aedes 2 (docs/mqtt5.md says why). The protocol
 * itself (reason codes, session and message expiry, topic aliases, shared subscriptions, will delay,
 * user properties, request/response properties) is aedes'; this file holds the node's bounds for it
 * and the fixes the node applies on top.
 */

/** Topic aliases a client may use towards the node (CONNACK Topic Alias Maximum). */
export const TOPIC_ALIAS_MAXIMUM = 64;
/** Longest Session Expiry Interval granted (s): a week, like a 3.1.1 session kept over a long outage. */
export const SESSION_EXPIRY_LIMIT_S = 7 * 24 * 3600;
/** Sessions (and, separately, delayed wills) waiting for their expiry at once; beyond, they end at once. */
export const PENDING_SESSIONS_LIMIT = 100_000;

/** The broker options for MQTT 5 clients, from the node's security limits. */
export function mqtt5BrokerOptions(limits: SecurityLimits): Partial<AedesOptions> {
  return {
    topicAliasMaximum: TOPIC_ALIAS_MAXIMUM,
    // Advertised so that a v5 client does not send what the packet guard would cut off.
    maximumPacketSize: limits.maxPacketBytes,
    sessionExpiryIntervalLimit: SESSION_EXPIRY_LIMIT_S,
    pendingSessionsLimit: PENDING_SESSIONS_LIMIT,
  };
}

/**
 * aedes 2.0.0-beta.1 publishes a will with the properties of the CONNECT's will, Will Delay Interval
 * included; that property is not allowed in PUBLISH [MQTT-3.3.2] and strict clients (Paho) drop the
 * connection on it. aedes reads the delay before it publishes the will, so it is removed here.
 */
export function withoutWillProperties(packet: PublishPacket): void {
  const props = packet.properties as
    | (PublishPacket["properties"] & { willDelayInterval?: number })
    | undefined;
  if (props?.willDelayInterval === undefined) return;
  const { willDelayInterval: _delay, ...rest } = props;
  packet.properties = rest;
}

/**
 * aedes 2.0.0-beta.1 sets `client.clean` from the Session Expiry Interval alone, and drops the queued
 * messages of a session resumed with Clean Start 0 when the new interval is 0 (the default): offline
 * messages are lost exactly when a client comes back for them [MQTT-3.1.2-5]. Such a connection is
 * marked non-clean so its queue is delivered; its session still ends with the connection, because
 * aedes ends v5 sessions by their expiry interval, not by this flag.
 */
export function resumeSessionQueue(client: Client): void {
  if (client.version === 5 && cleanStartOf(client) === false && client.clean) keepSessionQueue(client);
}

/**
 * Whether a PUBLISH fits the Maximum Packet Size the client asked for (CONNECT property). aedes 2.0.0-beta.1
 * records it but sends bigger packets anyway; the server must not [MQTT-3.1.2-24] and discards them instead
 * [MQTT-3.1.2-25]. Encoded only when the payload alone does not already decide it.
 */
export function fitsClient(client: Client, packet: PublishPacket): boolean {
  const max = maximumPacketSizeOf(client);
  if (client.version !== 5 || !max) return true;
  if (packet.payload.length >= max) return false;
  // A packet identifier is added on delivery for QoS 1/2: encode with one so the size is the one sent.
  const sized = { ...packet, messageId: packet.qos > 0 ? 1 : undefined } as PublishPacket;
  return generate(sized, { protocolVersion: 5 }).length <= max;
}

/** MQTT 5 rules aedes 2.0.0-beta.1 leaves out, as a layer of the broker's hooks (aedes-seam.ts). */
export function mqtt5Layer(): HookLayer {
  return {
    name: "mqtt5",
    authorizeForward: (client, packet, next) => (fitsClient(client, packet) ? next() : null),
    authenticate(client, _username, _password, _done, next) {
      resumeSessionQueue(client);
      next();
    },
    authorizePublish(_client, packet, _done, next) {
      withoutWillProperties(packet);
      next();
    },
  };
}

/** Where a MQTT 5 request asked to be answered (Response Topic, Correlation Data). */
export interface ResponseRoute {
  topic: string;
  correlationData?: Buffer;
}

/** The response route of a publish, if it has one. */
export function responseRouteOf(packet: PublishPacket): ResponseRoute | undefined {
  const topic = packet.properties?.responseTopic;
  if (topic === undefined || topic === "") return undefined;
  return { topic, correlationData: packet.properties?.correlationData };
}

/**
 * Publishes a JSON response on a request's Response Topic with its Correlation Data; the user property
 * `shadow-topic` names the AWS reply topic the same body goes to (`…/accepted` or `…/rejected`).
 */
export function publishResponse(
  broker: Aedes,
  route: ResponseRoute,
  replyTopic: string,
  body: unknown,
): Promise<void> {
  return publishFromNode(broker, {
    topic: route.topic,
    payload: Buffer.from(JSON.stringify(body)),
    properties: {
      ...(route.correlationData ? { correlationData: route.correlationData } : {}),
      contentType: "application/json",
      userProperties: { "shadow-topic": replyTopic },
    },
  });
}
