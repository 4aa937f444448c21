import type { Aedes, AuthenticateError, Client, ConnectPacket, PublishPacket, Subscription } from "aedes";

/**
 * The one place Umbra reaches past aedes' documented API (docs/architecture.md). Every private field or
 * undocumented property of an aedes broker or client is read here, against the version below; the
 * unit test test/unit/aedes-seam.test.ts pins that version and checks each reach on a real broker, so
 * an aedes upgrade fails there first. The hooks aedes documents (preConnect, authenticate,
 * authorizePublish, authorizeSubscribe, authorizeForward) are composed here too, from one named list
 * of layers (broker/node.ts), as aedes composes its own packet handlers.
 */
export const AEDES_VERSION = "2.0.0-beta.1";

/** A packet as the client's MQTT parser emits it, before aedes handles it. */
export interface ParsedPacket {
  cmd: string;
  reasonCode?: number;
  subscriptions?: { topic: string }[];
  unsubscriptions?: string[];
}

type Parser = { prependListener(e: "packet", f: (p: ParsedPacket) => void): void };
type ClientInternals = Client & {
  _parser?: Parser;
  _cleanStart?: boolean;
  clean: boolean;
  deliverQoS?: Deliver;
  receiveMaximum?: number;
  maximumPacketSize?: number;
  subscriptions?: Record<string, { qos: number; func?: Deliver }>;
};
const internals = (client: Client) => client as ClientInternals;

/** Runs `f` on every packet a client sends, before aedes sees it (it may rewrite the packet). */
export function beforeClientPackets(client: Client, f: (p: ParsedPacket) => void): boolean {
  const parser = internals(client)._parser;
  if (!parser || typeof parser.prependListener !== "function") return false;
  parser.prependListener("packet", f);
  return true;
}

/** MQTT 5: whether the CONNECT had Clean Start 0 (aedes keeps it privately). */
export function cleanStartOf(client: Client): boolean | undefined {
  return internals(client)._cleanStart;
}

/** Whether both reaches Receive Maximum needs (the packet parser, the QoS delivery) are there. */
export function canLimitInflight(client: Client): boolean {
  const c = internals(client);
  return typeof c._parser?.prependListener === "function" && typeof c.deliverQoS === "function";
}

/** Marks a connection's session non-clean (so aedes delivers its queued messages). */
export function keepSessionQueue(client: Client): void {
  internals(client).clean = false;
}

/** The client's CONNECT properties aedes records but does not enforce. */
export function receiveMaximumOf(client: Client): number | undefined {
  return internals(client).receiveMaximum;
}
export function maximumPacketSizeOf(client: Client): number | undefined {
  return internals(client).maximumPacketSize;
}

export type Deliver = (packet: PublishPacket, cb: (err?: Error) => void) => void;

/** Replaces the client's QoS 1/2 delivery (aedes binds it into each subscription made afterwards). */
export function wrapDelivery(client: Client, wrap: (deliver: Deliver) => Deliver): boolean {
  const c = internals(client);
  if (typeof c.deliverQoS !== "function") return false;
  c.deliverQoS = wrap(c.deliverQoS.bind(client));
  return true;
}

/** The subscriptions a resumed persistent session came back with (no 'subscribe' event for them). */
export function restoredSubscriptions(client: Client): Record<string, { qos: number }> {
  return internals(client).subscriptions ?? {};
}

/** Whether the client holds a subscription to exactly this filter (aedes keeps them by filter). */
export function subscribesTo(client: Client, filter: string): boolean {
  const subs = internals(client).subscriptions;
  return subs !== undefined && Object.hasOwn(subs, filter);
}

/**
 * The delivery aedes registered for the client's subscription to exactly this filter (what the live
 * matcher calls for a message on it: the subscription's options applied, then the client's QoS
 * delivery), or undefined.
 */
export function subscriptionDelivery(client: Client, filter: string): Deliver | undefined {
  const subs = internals(client).subscriptions;
  if (subs === undefined || !Object.hasOwn(subs, filter)) return undefined;
  const func = subs[filter]?.func;
  return typeof func === "function" ? func : undefined;
}

/** Whether aedes made this client id up (the client sent an empty one): `aedes_` + a UUID. */
export function isGeneratedClientId(id: string): boolean {
  return id.startsWith("aedes_");
}

/** The live connection holding a client id, if any. */
export function liveClient(broker: Aedes, clientId: string): Client | undefined {
  return (broker as unknown as { clients: Record<string, Client> }).clients[clientId];
}

export function liveClients(broker: Aedes): Client[] {
  return Object.values((broker as unknown as { clients: Record<string, Client> }).clients);
}

/** The persistence the broker was created with (Umbra's own, broker/mqtt/persistence). */
export function persistenceOf<T>(broker: Aedes): T {
  return (broker as unknown as { persistence: T }).persistence;
}

/**
 * The subscriptions of persistent sessions (online or offline) whose filter matches `topic`, from the
 * persistence's index; undefined when the persistence cannot say.
 */
export function storedSubscriptions(broker: Aedes, topic: string): Promise<unknown[]> | undefined {
  const persistence = persistenceOf<{ subscriptionsByTopic?(t: string): Promise<unknown[]> } | undefined>(
    broker,
  );
  return persistence?.subscriptionsByTopic ? persistence.subscriptionsByTopic(topic) : undefined;
}

/** The live subscription matcher (mqemitter's), if this aedes has one where expected. */
export function liveMatcher(broker: Aedes): { match(topic: string): unknown[] } | undefined {
  const m = (broker as unknown as { mq?: { _matcher?: { match?: unknown } } }).mq?._matcher;
  return m && typeof m.match === "function" ? (m as { match(topic: string): unknown[] }) : undefined;
}

/**
 * Calls `f` whenever a subscription may have been added or removed anywhere: in the live matcher
 * (every client's subscription, a resumed session's, the node's own `broker.subscribe`: all go through
 * mqemitter's `on` and `removeListener`) or in the persistence's index of offline persistent sessions.
 * Called before and after each change (the persistence's is asynchronous). Returns false if the
 * matcher is not where expected.
 */
export function onSubscriptionsChanged(broker: Aedes, f: () => void): boolean {
  const matcher = (broker as unknown as { mq?: { _matcher?: Record<string, unknown> } }).mq?._matcher;
  if (!matcher || typeof matcher.add !== "function" || typeof matcher.remove !== "function") return false;
  for (const name of ["add", "remove"]) {
    const original = matcher[name] as (...args: unknown[]) => unknown;
    matcher[name] = function watched(this: unknown, ...args: unknown[]) {
      f();
      try {
        return original.apply(this, args);
      } finally {
        f();
      }
    };
  }
  const persistence = persistenceOf<Record<string, unknown> | undefined>(broker);
  for (const name of ["addSubscriptions", "removeSubscriptions", "cleanSubscriptions"]) {
    const original = persistence?.[name];
    if (!persistence || typeof original !== "function") continue;
    persistence[name] = function watched(this: unknown, ...args: unknown[]) {
      f();
      const done = (original as (...a: unknown[]) => Promise<unknown>).apply(this, args);
      // Again once the index has it: a lookup in between may have seen it as it was.
      done.then(f, f);
      return done;
    };
  }
  return true;
}

/**
 * Lets `skip` decide, for a client's publish, that aedes' routing has nobody to reach: then the publish
 * is done and its `publish` event emitted (its listeners see every client publish, as before), without
 * aedes' per-message steps — the retained step, the offline-queue lookup, the trie match and delivery,
 * the `published` hook (aedes' default: none). Returns false when `broker.publish` is not there.
 */
export function skipRouting(broker: Aedes, skip: (packet: PublishPacket) => boolean): boolean {
  type Publish = (packet: PublishPacket, client?: unknown, done?: unknown) => void;
  const b = broker as unknown as { publish?: Publish };
  const original = b.publish;
  if (typeof original !== "function") return false;
  b.publish = function publish(this: Aedes, packet, client, done) {
    if (typeof client !== "object" || client === null || !skip(packet)) {
      original.call(this, packet, client, done);
      return;
    }
    // As aedes' last step does: its callback (on a later tick, as after its routing), then the event.
    if (typeof done === "function") process.nextTick(done as (err: null) => void, null);
    broker.emit("publish", packet, client as Client);
  };
  return true;
}

/** A message as the forward hook sees it (aedes adds broker fields to the PUBLISH packet). */
export type ForwardPacket = Parameters<Aedes["authorizeForward"]>[1];
type Forwarded = ForwardPacket | null | undefined;

type Done<T> = (err: Error | null, value?: T) => void;
type AuthDone = (err: AuthenticateError | null, success: boolean | null) => void;
type SubDone = (err: Error | null, sub?: Subscription | null) => void;
type PubDone = (err?: Error | null) => void;

/**
 * One layer of the broker's hooks. Each hook gets `next`, the layers inside it (down to aedes'
 * default), and either answers itself or calls `next` (possibly with a changed argument).
 */
export interface HookLayer {
  name: string;
  preConnect?(client: Client, packet: ConnectPacket, done: Done<boolean>, next: () => void): void;
  authenticate?(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    done: AuthDone,
    next: () => void,
  ): void;
  authorizePublish?(client: Client | null, packet: PublishPacket, done: PubDone, next: () => void): void;
  authorizeSubscribe?(
    client: Client,
    sub: Subscription,
    done: SubDone,
    next: (sub: Subscription, done: SubDone) => void,
  ): void;
  authorizeForward?(client: Client, packet: ForwardPacket, next: () => Forwarded): Forwarded;
}

/**
 * Installs `layers` (outermost first) as the broker's hooks, over aedes' defaults; returns the
 * names in the order a call meets them. Installed once: composing again would stack the layers.
 */
export function composeHooks(broker: Aedes, layers: readonly HookLayer[]): string[] {
  const withHook = <K extends keyof HookLayer>(k: K) => layers.filter((l) => l[k] !== undefined);
  const pre = withHook("preConnect");
  const auth = withHook("authenticate");
  const pub = withHook("authorizePublish");
  const sub = withHook("authorizeSubscribe");
  const fwd = withHook("authorizeForward");
  const base = {
    preConnect: broker.preConnect.bind(broker),
    authenticate: broker.authenticate.bind(broker),
    authorizePublish: broker.authorizePublish.bind(broker),
    authorizeSubscribe: broker.authorizeSubscribe.bind(broker),
    authorizeForward: broker.authorizeForward.bind(broker),
  };
  const preConnect = (i: number, client: Client, packet: ConnectPacket, done: Done<boolean>): void => {
    const layer = pre[i];
    if (layer) layer.preConnect?.(client, packet, done, () => preConnect(i + 1, client, packet, done));
    else base.preConnect(client, packet, done as never);
  };
  const authenticate = (
    i: number,
    client: Client,
    user: string | undefined,
    pass: Buffer | undefined,
    done: AuthDone,
  ): void => {
    const layer = auth[i];
    if (layer)
      layer.authenticate?.(client, user, pass, done, () => authenticate(i + 1, client, user, pass, done));
    else base.authenticate(client, user, pass, done);
  };
  const publish = (i: number, client: Client | null, packet: PublishPacket, done: PubDone): void => {
    const layer = pub[i];
    if (layer) layer.authorizePublish?.(client, packet, done, () => publish(i + 1, client, packet, done));
    else base.authorizePublish(client, packet, done);
  };
  const subscribe = (i: number, client: Client, s: Subscription, done: SubDone): void => {
    const layer = sub[i];
    if (layer) layer.authorizeSubscribe?.(client, s, done, (s2, d2) => subscribe(i + 1, client, s2, d2));
    else base.authorizeSubscribe(client, s, done);
  };
  const forward = (i: number, client: Client, packet: ForwardPacket): Forwarded => {
    const layer = fwd[i];
    if (layer) return layer.authorizeForward?.(client, packet, () => forward(i + 1, client, packet));
    return base.authorizeForward(client, packet) ?? undefined;
  };
  broker.preConnect = (client, packet, done) => preConnect(0, client, packet, done as Done<boolean>);
  broker.authenticate = (client, user, pass, done) => authenticate(0, client, user, pass, done);
  broker.authorizePublish = (client, packet, done) => publish(0, client, packet, done);
  broker.authorizeSubscribe = (client, s, done) => subscribe(0, client, s, done);
  broker.authorizeForward = (client, packet) => forward(0, client, packet);
  return layers.map((l) => l.name);
}

/** Watchers of what the composed forward hook let through (e.g. the metrics' message count). */
export class ForwardWatchers {
  private readonly watchers = new Set<(client: Client, packet: ForwardPacket) => void>();

  watch(f: (client: Client, packet: ForwardPacket) => void): () => void {
    this.watchers.add(f);
    return () => this.watchers.delete(f);
  }

  /** The outermost layer: tells every watcher about each forwarded message. */
  layer(): HookLayer {
    return {
      name: "forward-watchers",
      authorizeForward: (client, packet, next) => {
        const result = next();
        if (result) for (const f of this.watchers) f(client, packet);
        return result;
      },
    };
  }
}
