import type { Aedes, Client, Subscription } from "aedes";
import { renderDelta, renderDocuments } from "../../shared/shadow-document.ts";
import { parseShadowTopic, ROOTS, type ShadowTopic, shadowTopic } from "../../shared/topics.ts";
import type { ShadowChange, ShadowResult, ShadowService } from "../shadow/shadow-service.ts";
import { hasSubscribers, publishJson, sendJson } from "./publish.ts";

/**
 * Serves the shadow protocol over MQTT: requests published on `{root}/things/.../{get,update,delete}`
 * are answered on `/accepted` or `/rejected` of the same root; changes are announced on
 * `/update/delta` and `/update/documents` of both roots, so `$aws` and `$umbra` clients see each other.
 */
export class ShadowMqttAdapter {
  constructor(
    private readonly broker: Aedes,
    private readonly service: ShadowService,
    private readonly onError: (err: unknown) => void,
  ) {
    service.on("change", (change) => {
      this.announce(change).catch(onError);
    });
  }

  /** Returns true when `topic` is a shadow request and it has been dispatched. */
  dispatch(topic: string, payload: Buffer | string): boolean {
    const parsed = parseShadowTopic(topic);
    if (!parsed || parsed.reply !== undefined) return false;
    this.answer(parsed, payload).catch(this.onError);
    return true;
  }

  private async answer(t: ShadowTopic, payload: Buffer | string): Promise<void> {
    const addr = { thing: t.thing, shadow: t.shadow };
    let result: ShadowResult;
    if (t.op === "get") result = await this.service.get(addr, payload);
    else if (t.op === "update") result = await this.service.update(addr, payload);
    else result = await this.service.delete(addr, payload);
    const topic = shadowTopic(t.root, addr, t.op, result.ok ? "accepted" : "rejected");
    if (hasSubscribers(this.broker, topic)) {
      await publishJson(this.broker, topic, result.ok ? result.body : result.error);
    }
  }

  /** documents and delta on both roots, rendered only for topics that someone subscribes to. */
  private async announce(change: ShadowChange): Promise<void> {
    if (change.kind !== "update") return;
    const wanted = (reply: "documents" | "delta") =>
      ROOTS.map((root) => shadowTopic(root, change.addr, "update", reply)).filter((t) =>
        hasSubscribers(this.broker, t),
      );
    const documentTopics = wanted("documents");
    if (documentTopics.length > 0) {
      const documents = renderDocuments(
        change.previous,
        change.current,
        change.timestamp,
        change.clientToken,
      );
      for (const topic of documentTopics) await publishJson(this.broker, topic, documents);
    }
    const deltaTopics = wanted("delta");
    if (deltaTopics.length > 0) {
      const delta = renderDelta(change.current, change.timestamp, change.clientToken);
      if (delta) for (const topic of deltaTopics) await publishJson(this.broker, topic, delta);
    }
  }

  /** Beyond AWS: a client that subscribes to a delta topic gets the pending delta at once. */
  onSubscribe(subscriptions: Subscription[], client: Client): void {
    for (const sub of subscriptions) {
      const t = parseShadowTopic(sub.topic);
      if (t?.op !== "update" || t.reply !== "delta") continue;
      const view = this.service.peek({ thing: t.thing, shadow: t.shadow });
      if (!view.exists) continue;
      const delta = renderDelta(view, Math.floor(Date.now() / 1000));
      if (delta) sendJson(client, sub.topic, delta);
    }
  }
}
