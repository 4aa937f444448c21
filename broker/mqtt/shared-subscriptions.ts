import type { Aedes, Client, PublishPacket, Subscription } from "aedes";
import { beforeClientPackets, type HookLayer, restoredSubscriptions } from "./aedes-seam.ts";

/**
 * MQTT 5 shared subscriptions (`$share/{group}/{filter}`, [MQTT-4.8.2]) on top of aedes 2.0.0-beta.1,
 * which refuses them (0x9E) because its group state would be per instance in a cluster; a node is one
 * instance. Also served to 3.1.1 clients, as mosquitto does.
 *
 * How: a SUBSCRIBE/UNSUBSCRIBE filter `$share/g/f` is rewritten, before aedes reads the packet, to the
 * marker `$umbra-share/g/f`, which aedes stores and persists like any subscription but which no message
 * ever matches (nobody may publish under the marker). The authorization hook checks the real filter `f`.
 * Each group subscribes once to `f` inside the broker and hands every message to one member in turn,
 * at the QoS that member was granted.
 */
export const SHARE_PREFIX = "$share/";
export const MARKER_PREFIX = "$umbra-share/";

export interface ShareFilter {
  group: string;
  filter: string;
}

/** Parses `$share/{group}/{filter}`; null when it is not a valid shared subscription. */
export function parseShare(topic: string, prefix = SHARE_PREFIX): ShareFilter | null {
  if (!topic.startsWith(prefix)) return null;
  const rest = topic.slice(prefix.length);
  const slash = rest.indexOf("/");
  if (slash <= 0) return null;
  const group = rest.slice(0, slash);
  const filter = rest.slice(slash + 1);
  // [MQTT-4.8.2-1] [MQTT-4.8.2-2]: a non-empty share name without wildcards, then a non-empty filter.
  if (filter === "" || group.includes("+") || group.includes("#")) return null;
  return { group, filter };
}

/** `$share/g/f` → `$umbra-share/g/f`; other filters unchanged. */
export function toMarker(topic: string): string {
  return parseShare(topic) ? MARKER_PREFIX + topic.slice(SHARE_PREFIX.length) : topic;
}

interface Member {
  client: Client;
  qos: 0 | 1 | 2;
}

interface Group {
  filter: string;
  members: Member[];
  next: number;
  deliver: (packet: PublishPacket, cb: () => void) => void;
}

/** Rewrites `$share/…` filters of one client's SUBSCRIBE/UNSUBSCRIBE packets to their markers, in place. */
export function rewriteSharePackets(client: Client): void {
  beforeClientPackets(client, (packet) => {
    if (packet.cmd === "subscribe") for (const s of packet.subscriptions ?? []) s.topic = toMarker(s.topic);
    else if (packet.cmd === "unsubscribe" && packet.unsubscriptions)
      packet.unsubscriptions = packet.unsubscriptions.map(toMarker);
  });
}

export class SharedSubscriptions {
  private readonly groups = new Map<string, Group>();
  /** Messages handed to a group with no connected member (dropped, as no member can take them). */
  orphaned = 0;

  constructor(private readonly broker: Aedes) {}

  /** Its layer of the broker's hooks (aedes-seam.ts): outside the ACL and conformance layers. */
  layer(): HookLayer {
    return {
      name: "shared-subscriptions",
      authorizeSubscribe(_client, sub, done, next) {
        const share = parseShare(sub.topic, MARKER_PREFIX);
        if (!share) return next(sub, done);
        // The ACL and conformance rules judge the filter the member will receive messages of.
        next({ ...sub, topic: share.filter }, (err, allowed) => done(err, allowed ? sub : null));
      },
      authorizePublish(client, packet, done, next) {
        if (client && packet.topic.startsWith(MARKER_PREFIX)) return done(new Error("reserved topic"));
        next();
      },
    };
  }

  /** Follows subscriptions (the broker's events). */
  install(): void {
    const broker = this.broker;
    broker.on("subscribe", (subs, client) => {
      for (const s of subs) if (s.qos < 128) this.join(client, s);
    });
    broker.on("unsubscribe", (topics, client) => {
      for (const t of topics) this.leave(client, t);
    });
    // A persistent session's subscriptions come back without a 'subscribe' event.
    broker.on("clientReady", (client) => {
      for (const [topic, s] of Object.entries(restoredSubscriptions(client)))
        this.join(client, { topic, qos: s.qos as 0 | 1 | 2 });
    });
    broker.on("clientDisconnect", (client) => {
      for (const key of [...this.groups.keys()]) this.leave(client, key);
    });
  }

  private join(client: Client, sub: Pick<Subscription, "topic" | "qos">): void {
    if (!parseShare(sub.topic, MARKER_PREFIX)) return;
    const group = this.groups.get(sub.topic) ?? this.open(sub.topic);
    const existing = group.members.find((m) => m.client === client);
    if (existing) existing.qos = sub.qos;
    else group.members.push({ client, qos: sub.qos });
  }

  private leave(client: Client, marker: string): void {
    const group = this.groups.get(marker);
    if (!group) return;
    group.members = group.members.filter((m) => m.client !== client);
    if (group.members.length > 0) return;
    this.groups.delete(marker);
    this.broker.unsubscribe(group.filter, group.deliver, () => undefined);
  }

  private open(marker: string): Group {
    const share = parseShare(marker, MARKER_PREFIX) as ShareFilter;
    const wildcardLed = share.filter.startsWith("+") || share.filter.startsWith("#");
    const group: Group = {
      filter: share.filter,
      members: [],
      next: 0,
      deliver: (packet, cb) => {
        // [MQTT-4.7.2-1]: a filter led by a wildcard does not match `$` topics.
        if (wildcardLed && packet.topic.startsWith("$")) return cb();
        const member = group.members[group.next++ % Math.max(group.members.length, 1)];
        if (!member) {
          this.orphaned++;
          return cb();
        }
        const qos = Math.min(packet.qos, member.qos) as 0 | 1 | 2;
        // Retained flag as for a new message to a non-retained subscription [MQTT-3.3.1-9].
        member.client.publish({ ...packet, qos, retain: false }, () => cb());
      },
    };
    this.groups.set(marker, group);
    this.broker.subscribe(share.filter, group.deliver, () => undefined);
    return group;
  }
}
