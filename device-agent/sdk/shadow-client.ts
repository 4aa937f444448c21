import { randomBytes } from "node:crypto";
import { isJsonObject, type JsonObject } from "../../shared/json.ts";
import { DeviceConnectionError, ShadowRejectedError } from "./errors.ts";

/** The part of an mqtt.js client the shadow client needs (a fake in unit tests). */
export interface MqttLike {
  publish(topic: string, payload: string, opts: { qos: 0 | 1 }, cb?: (err?: Error) => void): unknown;
  subscribeAsync(topics: string[], opts: { qos: 0 | 1 }): Promise<{ topic: string; qos: number }[]>;
}

export type ShadowRequestOp = "get" | "update";

/** The documented AWS IoT shadow topics of one shadow under one root, nothing else. */
export interface ShadowTopics {
  get: string;
  getAccepted: string;
  getRejected: string;
  update: string;
  updateAccepted: string;
  updateRejected: string;
  /** Absent for request/reply services without pushed documents (the inventory attributes). */
  delta?: string;
  documents?: string;
}

export function shadowTopics(root: string, thing: string, shadowName?: string): ShadowTopics {
  const base = `${root}/things/${thing}/shadow${shadowName ? `/name/${shadowName}` : ""}`;
  return {
    ...requestReplyTopics(base),
    delta: `${base}/update/delta`,
    documents: `${base}/update/documents`,
  };
}

/** The get/update request and reply topics below `base` (the shadow's, or the inventory attributes'). */
export function requestReplyTopics(base: string): ShadowTopics {
  return {
    get: `${base}/get`,
    getAccepted: `${base}/get/accepted`,
    getRejected: `${base}/get/rejected`,
    update: `${base}/update`,
    updateAccepted: `${base}/update/accepted`,
    updateRejected: `${base}/update/rejected`,
  };
}

interface Pending {
  op: ShadowRequestOp;
  resolve(doc: JsonObject): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export interface ShadowClientEvents {
  delta(doc: JsonObject): void;
  documents(doc: JsonObject): void;
  /** A message that could not be parsed (logged and otherwise ignored). */
  malformed(topic: string, err: Error): void;
}

/**
 * Requests and replies of the shadow protocol over one MQTT connection. Every request carries a fresh
 * `clientToken`; replies are matched by it, so answers to other clients of the same thing (an operator on
 * the same `…/update/accepted` topic) are ignored. Requests are published at QoS 0: the reply is the
 * acknowledgement, and a request that gets none is failed and retried by the caller, never resent by
 * mqtt.js after a reconnect where it could overtake newer reports.
 */
export class ShadowClient {
  private readonly pending = new Map<string, Pending>();
  private readonly prefix = randomBytes(4).toString("hex");
  private counter = 0;

  constructor(
    private readonly mqtt: MqttLike,
    readonly topics: ShadowTopics,
    private readonly events: ShadowClientEvents,
    private readonly timeoutMs = 10_000,
  ) {}

  /** Every reply topic of the shadow; a refused one (SUBACK 0x80) is a 403 for this identity. */
  async subscribe(): Promise<void> {
    const t = this.topics;
    const wanted = [t.getAccepted, t.getRejected, t.updateAccepted, t.updateRejected];
    for (const pushed of [t.delta, t.documents]) if (pushed !== undefined) wanted.push(pushed);
    let grants: { topic: string; qos: number }[];
    try {
      grants = await this.mqtt.subscribeAsync(wanted, { qos: 1 });
    } catch (err) {
      // mqtt.js 5 rejects a SUBACK with a failure code, carrying the packet (older versions: `code`).
      const e = err as { code?: unknown; packet?: { granted?: unknown } };
      const granted = Array.isArray(e.packet?.granted) ? (e.packet.granted as unknown[]) : [];
      const denied = wanted.filter(
        (_, i) => typeof granted[i] === "number" && ((granted[i] as number) & 0x80) !== 0,
      );
      if (denied.length > 0) throw refused(denied.join(", "));
      if (typeof e.code === "number" && (e.code & 0x80) !== 0) throw refused(wanted.join(", "));
      // Anything else means the connection went away under the SUBSCRIBE: retried on the next connect.
      throw new DeviceConnectionError("offline", `subscribe failed: ${(err as Error).message}`);
    }
    const denied = grants.filter((g) => (g.qos & 0x80) !== 0).map((g) => g.topic);
    if (denied.length > 0) throw refused(denied.join(", "));
  }

  /** Publishes a request and resolves with its `accepted` document (rejects with the `rejected` one). */
  request(op: ShadowRequestOp, body: JsonObject = {}): Promise<JsonObject> {
    this.counter = (this.counter + 1) % Number.MAX_SAFE_INTEGER;
    const clientToken = `${this.prefix}-${this.counter}`;
    const topic = op === "get" ? this.topics.get : this.topics.update;
    return new Promise<JsonObject>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(clientToken);
        reject(new DeviceConnectionError("timeout", `no reply to ${op} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(clientToken, { op, resolve, reject, timer });
      this.mqtt.publish(topic, JSON.stringify({ ...body, clientToken }), { qos: 0 }, (err) => {
        if (!err) return;
        this.settle(clientToken)?.reject(
          new DeviceConnectionError("offline", `${op} not sent: ${err.message}`),
        );
      });
    });
  }

  /** Routes an incoming message; returns false when it is not for this shadow. */
  handle(topic: string, payload: Buffer | string): boolean {
    const t = this.topics;
    const kind =
      topic === t.getAccepted || topic === t.updateAccepted
        ? "accepted"
        : topic === t.getRejected || topic === t.updateRejected
          ? "rejected"
          : topic === t.delta
            ? "delta"
            : topic === t.documents
              ? "documents"
              : undefined;
    if (kind === undefined) return false;
    let doc: JsonObject;
    try {
      const parsed: unknown = JSON.parse(payload.toString());
      if (!isJsonObject(parsed)) throw new Error("not a JSON object");
      doc = parsed;
    } catch (err) {
      this.events.malformed(topic, err as Error);
      return true;
    }
    if (kind === "delta") this.events.delta(doc);
    else if (kind === "documents") this.events.documents(doc);
    else this.reply(topic, kind, doc);
    return true;
  }

  /** Fails every request still waiting (the connection dropped: their replies will never come). */
  failAll(err: Error): void {
    for (const token of [...this.pending.keys()]) this.settle(token)?.reject(err);
  }

  get inflight(): number {
    return this.pending.size;
  }

  private reply(topic: string, kind: "accepted" | "rejected", doc: JsonObject): void {
    const token = doc.clientToken;
    if (typeof token !== "string") return;
    const pending = this.pending.get(token);
    const op: ShadowRequestOp =
      topic === this.topics.getAccepted || topic === this.topics.getRejected ? "get" : "update";
    if (!pending || pending.op !== op) return;
    this.settle(token);
    if (kind === "accepted") pending.resolve(doc);
    else {
      const code = typeof doc.code === "number" ? doc.code : 500;
      const message = typeof doc.message === "string" ? doc.message : "rejected";
      pending.reject(new ShadowRejectedError(code, op, message, token));
    }
  }

  private settle(token: string): Pending | undefined {
    const pending = this.pending.get(token);
    if (!pending) return undefined;
    clearTimeout(pending.timer);
    this.pending.delete(token);
    return pending;
  }
}

function refused(topics: string): ShadowRejectedError {
  return new ShadowRejectedError(403, "subscribe", `subscription refused (SUBACK 0x80): ${topics}`);
}
