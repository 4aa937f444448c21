import type { JsonObject } from "../../shared/json.ts";
import { jsonEqual } from "../../shared/json.ts";
import { requestReplyTopics, type ShadowClient, type ShadowTopics } from "./shadow-client.ts";

/**
 * Inventory attributes a device fills (docs/fleet.md, "Who fills attributes"): the device states the
 * whole set it knows (type, vendor, model, serial, labels, …) and the SDK keeps the node's copy equal
 * to it: sent at every connect and whenever the set changes, as `replace: true` from the `device`
 * origin — so the node drops keys this device set before and no longer states, and never touches a key
 * an operator set by hand. Topics `$umbra/things/{t}/attributes/{get|update}[/accepted|/rejected]`.
 */
export function attributeTopics(thing: string): ShadowTopics {
  return requestReplyTopics(`$umbra/things/${thing}/attributes`);
}

/** The node's answer: the stored document and the keys it kept because an operator owns them. */
export interface AttributesReply {
  attributes: JsonObject;
  version: number;
  kept: string[];
}

export class AttributeSync {
  private wanted: JsonObject | undefined;
  /** What the node last accepted from this session (undefined after a reconnect: send again). */
  private sent: JsonObject | undefined;
  private subscribed = false;
  private online = false;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly client: ShadowClient,
    private readonly onError: (err: Error) => void,
  ) {}

  /** States the device's attributes; resolves with the node's answer (undefined while offline). */
  set(attributes: JsonObject): Promise<AttributesReply | undefined> {
    this.wanted = structuredClone(attributes);
    return this.flush();
  }

  /** After a connect: the set is sent again (the node may have been restored, or edited meanwhile). */
  connected(): void {
    this.online = true;
    this.sent = undefined;
    this.flush().catch((err: Error) => this.onError(err));
  }

  disconnected(): void {
    this.online = false;
    this.subscribed = false;
  }

  private flush(): Promise<AttributesReply | undefined> {
    const run = async (): Promise<AttributesReply | undefined> => {
      const wanted = this.wanted;
      if (!this.online || wanted === undefined || (this.sent && jsonEqual(this.sent, wanted)))
        return undefined;
      if (!this.subscribed) {
        await this.client.subscribe();
        this.subscribed = true;
      }
      const doc = await this.client.request("update", {
        attributes: wanted,
        replace: true,
        origin: "device",
      });
      this.sent = wanted;
      return {
        attributes: (doc.attributes ?? {}) as JsonObject,
        version: typeof doc.version === "number" ? doc.version : 0,
        kept: Array.isArray(doc.kept) ? doc.kept.map(String) : [],
      };
    };
    const next = this.chain.then(run, run);
    this.chain = next.catch(() => undefined);
    return next;
  }
}
