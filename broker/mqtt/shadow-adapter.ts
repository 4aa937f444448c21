import type { Aedes, Client, PublishPacket, Subscription } from "aedes";
import { ANONYMOUS, mayPublish, maySubscribe, type Principal, shadowDenial } from "../../shared/acl.ts";
import { ShadowError } from "../../shared/errors.ts";
import { renderDelta, renderDocuments } from "../../shared/shadow-document.ts";
import {
  isNodeOwnedTopic,
  parseShadowTopic,
  ROOTS,
  type ShadowAddress,
  type ShadowTopic,
  shadowTopic,
} from "../../shared/topics.ts";
import type { Admission } from "../auth/request-limits.ts";
import type { ShadowChange, ShadowResult, ShadowService } from "../shadow/shadow-service.ts";
import { skipRouting, subscribesTo, subscriptionDelivery } from "./aedes-seam.ts";
import { publishResponse, type ResponseRoute } from "./mqtt5.ts";
import { publishFromNode, publishJson, sendJson } from "./publish.ts";
import { ReplyCork } from "./reply-cork.ts";
import { RequestFlow } from "./request-flow.ts";
import { SubscriberCache } from "./subscriber-cache.ts";

const NOBODY: readonly string[] = [];

/** Marks a request publish nobody else wants (`routeOnlyIfWanted`). */
const UNROUTED = Symbol("unrouted");
type Unrouted = PublishPacket & { [UNROUTED]?: true };

function isEmpty(o: object): boolean {
  for (const _ in o) return false;
  return true;
}

/** Who sent a shadow request over MQTT. */
export interface Requester {
  client: Client;
  principal: Principal;
  /** Takes the request's slot in every limit that applies (connection, identity, thing); broker/auth/request-limits.ts. */
  admit?(thing: string): Admission;
  /** MQTT 5 request/response: the reply also goes to the request's Response Topic. */
  response?: ResponseRoute;
}

/** What `dispatch` made of a publish: a shadow request it answers, one it refuses (403/429), or neither. */
export type Dispatch = "request" | "refused" | false;

/**
 * Serves the shadow protocol over MQTT: requests published on `{root}/things/.../{get,update,delete}`
 * are answered on `/accepted` or `/rejected` of the same root; changes are announced on
 * `/update/delta` and `/update/documents` of both roots, so `$aws` and `$umbra` clients see each other.
 */
export class ShadowMqttAdapter {
  private readonly cork = new ReplyCork();
  private readonly subscribers: SubscriberCache;
  /** Per shadow, its announcement topics someone subscribes to (`subscribed`), weakly held. */
  private readonly announced = new WeakMap<
    ShadowAddress,
    { generation: number; documents?: readonly string[]; delta?: readonly string[] }
  >();
  /** The requests in work at once over MQTT (request-flow.ts); the caller of `dispatch` admits through it. */
  readonly flow: RequestFlow;

  constructor(
    private readonly broker: Aedes,
    private readonly service: ShadowService,
    private readonly onError: (err: unknown) => void,
    requestsInWork = 0,
  ) {
    this.flow = new RequestFlow(requestsInWork);
    this.subscribers = new SubscriberCache(broker);
    skipRouting(broker, (packet) => (packet as Unrouted)[UNROUTED] === true);
    service.on("change", (change) => {
      this.announce(change).catch(onError);
    });
  }

  /**
   * Answers `parsed` (parseShadowTopic) if it is a shadow request. The reply goes to whoever subscribed
   * to it; a requester that may not subscribe to that reply topic (a device asking about another
   * thing's shadow, which gets 403) receives it directly, so it still learns why. Returns "refused"
   * when the request is refused for its requester (403) or over a limit (429), decided now, so the
   * caller delivers the request publish itself to nobody else.
   */
  dispatch(parsed: ShadowTopic, payload: Buffer | string, requester?: Requester): Dispatch {
    if (parsed.reply !== undefined) return false;
    const principal = requester?.principal ?? ANONYMOUS;
    const admission = requester?.admit?.(parsed.thing);
    const refused =
      (admission !== undefined && admission.refusal !== null) || forbidden(principal, parsed, payload);
    // The PUBACK aedes writes next leaves with the reply, in one socket write (reply-cork.ts).
    const hold = requester === undefined ? 0 : this.cork.hold(requester.client);
    // Only the continuation below waits for the result (no suspended frame per request in flight: a
    // closed loop keeps thousands waiting for their commit, and their memory is what GC copies).
    let result: Promise<ShadowResult>;
    this.flow.started();
    try {
      result = this.serve(parsed, payload, principal, admission);
    } catch (err) {
      result = Promise.reject(err);
    }
    result.then(
      (r) => this.reply(parsed, r, principal, requester, admission, hold),
      (err: unknown) => {
        this.finish(requester, admission, hold);
        this.onError(err);
      },
    );
    return refused ? "refused" : "request";
  }

  /**
   * A request publish the ACL lets through to its topic's subscribers: when nobody subscribes to that
   * topic (known now, live or offline), aedes need not route it (aedes-seam.ts `skipRouting`). On a
   * busy node that is most requests, and aedes' routing of each was ≈ 3–4 % of the main thread.
   */
  routeOnlyIfWanted(packet: PublishPacket): void {
    if (packet.retain || this.subscribers.has(packet.topic) !== false) return;
    (packet as Unrouted)[UNROUTED] = true;
  }

  /** The service's result for the request (a 429 decided by the admission, or the operation's). */
  private serve(
    t: ShadowTopic,
    payload: Buffer | string,
    principal: Principal,
    admission: Admission | undefined,
  ): Promise<ShadowResult> {
    if (admission?.refusal)
      return Promise.resolve(this.service.refuse(payload, new ShadowError(429, admission.refusal)));
    const addr = { thing: t.thing, shadow: t.shadow };
    if (t.op === "get") return this.service.get(addr, payload, principal);
    if (t.op === "update") return this.service.update(addr, payload, principal);
    return this.service.delete(addr, payload, principal);
  }

  /** Publishes the reply of `t` (and its MQTT 5 response); never rejects. */
  private async reply(
    t: ShadowTopic,
    result: ShadowResult,
    principal: Principal,
    requester: Requester | undefined,
    admission: Admission | undefined,
    /** The requester's cork (0: none), released with the reply's write (never after waiting for it). */
    hold: number,
  ): Promise<void> {
    this.flow.finished();
    try {
      if (admission?.refusal === null) admission.release();
      const topic = shadowTopic(t.root, t, t.op, result.ok ? "accepted" : "rejected");
      const body = result.ok ? result.body : result.error;
      if (requester && !maySubscribe(principal, topic)) {
        if (hold !== 0) this.cork.releaseAfterWrite(requester.client, hold);
        await sendJson(requester.client, topic, body);
      } else {
        // A requester subscribed to the reply topic itself (the usual device) needs no lookup, and its
        // cork goes with the reply's write; otherwise the cork is released now, as nothing here is
        // for it.
        const own = requester !== undefined && subscribesTo(requester.client, topic);
        if (hold !== 0 && requester) {
          if (own) this.cork.releaseAfterWrite(requester.client, hold);
          else this.cork.release(requester.client, hold);
        }
        if (own && requester && (await this.deliverOwn(requester.client, topic, body))) {
          // delivered to its only subscriber, the requester
        } else if (own || (await this.subscribers.has(topic))) await publishJson(this.broker, topic, body);
      }
      // Published (written, held by flow control, or denied on the way): nothing left to wait for.
      if (requester && hold !== 0) this.cork.release(requester.client, hold);
      const route = requester?.response;
      // The node publishes the response for the requester, so only where the requester may publish itself.
      if (route && mayPublish(principal, route.topic) && !isNodeOwnedTopic(route.topic))
        await publishResponse(this.broker, route, topic, body);
    } catch (err) {
      this.onError(err);
    } finally {
      if (requester && hold !== 0) this.cork.release(requester.client, hold);
    }
  }

  /** A request that ends without a reply (the service failed): its admission and cork are let go. */
  private finish(requester: Requester | undefined, admission: Admission | undefined, hold: number): void {
    this.flow.finished();
    if (admission?.refusal === null) admission.release();
    if (requester && hold !== 0) this.cork.release(requester.client, hold);
  }

  /**
   * Delivers a reply straight to the requester when its own subscription is the only one anywhere that
   * wants it (the usual device): through the delivery aedes' publish would call for that subscription
   * (its options, flow control, the forward hook, QoS 1), without the broker-wide steps (offline queues,
   * the trie, the `publish` event) that have nobody else to reach. False when someone else may want
   * the reply, or the requester's session is persistent (aedes queues a persistent session's messages
   * as it routes them): the caller publishes.
   */
  private async deliverOwn(client: Client, topic: string, body: object): Promise<boolean> {
    if (client.clean !== true) return false;
    const deliver = subscriptionDelivery(client, topic);
    if (deliver === undefined) return false;
    const sole = this.subscribers.sole(topic);
    if ((sole instanceof Promise ? await sole : sole) !== deliver) return false;
    const payload = Buffer.from(JSON.stringify(body));
    await new Promise<void>((resolve) => {
      // Called once written (or refused on the way), never with an error worth more than that.
      deliver({ cmd: "publish", topic, payload, qos: 1, retain: false, dup: false }, () => resolve());
    });
    return true;
  }

  /** documents and delta on both roots, rendered (once) only when someone subscribes to them. */
  private async announce(change: ShadowChange): Promise<void> {
    if (change.kind !== "update") return;
    const documentTopics = await this.subscribed(change.addr, "documents");
    if (documentTopics !== NOBODY) {
      const documents = renderDocuments(
        change.previous,
        change.current,
        change.timestamp,
        change.clientToken,
      );
      const payload = Buffer.from(JSON.stringify(documents));
      for (const topic of documentTopics) await publishFromNode(this.broker, { topic, payload });
    }
    // Without desired there is no delta: no subscription lookups for it.
    if (isEmpty(change.current.desired)) return;
    const deltaTopics = await this.subscribed(change.addr, "delta");
    if (deltaTopics === NOBODY) return;
    const delta = renderDelta(change.current, change.timestamp, change.clientToken);
    if (!delta) return;
    const payload = Buffer.from(JSON.stringify(delta));
    for (const topic of deltaTopics) await publishFromNode(this.broker, { topic, payload });
  }

  /**
   * The topics of an update's `reply` on both roots that someone subscribes to, in ROOTS order;
   * remembered per shadow (its cached address object) until a subscription changes anywhere, so a
   * steady fleet builds no topic strings and looks nothing up per update.
   */
  private async subscribed(addr: ShadowAddress, reply: "documents" | "delta"): Promise<readonly string[]> {
    const generation = this.subscribers.generationNow;
    let known = this.announced.get(addr);
    const remembered = known?.generation === generation ? known?.[reply] : undefined;
    if (remembered !== undefined) return remembered;
    let topics = NOBODY;
    for (const root of ROOTS) {
      const topic = shadowTopic(root, addr, "update", reply);
      const has = this.subscribers.has(topic);
      if (has === true || (has !== false && (await has))) topics = [...topics, topic];
    }
    if (generation !== undefined && generation === this.subscribers.generationNow) {
      known = this.announced.get(addr);
      if (known?.generation !== generation) {
        known = { generation };
        this.announced.set(addr, known);
      }
      known[reply] = topics;
    }
    return topics;
  }

  /** Beyond AWS: a client that subscribes to a delta topic gets the pending delta at once. */
  onSubscribe(subscriptions: Subscription[], client: Client): void {
    for (const sub of subscriptions) {
      const t = parseShadowTopic(sub.topic);
      if (t?.op !== "update" || t.reply !== "delta") continue;
      const view = this.service.peek({ thing: t.thing, shadow: t.shadow });
      if (!view.exists) continue;
      const delta = renderDelta(view, Math.floor(Date.now() / 1000));
      if (delta) void sendJson(client, sub.topic, delta);
    }
  }
}

/**
 * Whether the shadow service will answer 403 to this request (the same rule, shared/acl.ts). Only an
 * operator's update depends on the payload (operators may not write `reported`), so only then is it read.
 */
function forbidden(p: Principal, t: ShadowTopic, payload: Buffer | string): boolean {
  if (t.op !== "update") return shadowDenial(p, t.thing, t.op) !== null;
  let reported = false;
  if (p.role === "operator" && payload.length <= 1024 * 1024) {
    try {
      const state = (JSON.parse(payload.toString()) as { state?: { reported?: unknown } } | null)?.state;
      reported = typeof state === "object" && state !== null && state.reported !== undefined;
    } catch {
      reported = false; // the service answers 400
    }
  }
  return shadowDenial(p, t.thing, "update", { desired: true, reported }) !== null;
}
