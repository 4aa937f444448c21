import type { Aedes } from "aedes";
import { liveMatcher, onSubscriptionsChanged, storedSubscriptions } from "./aedes-seam.ts";
import { hasSubscribers } from "./publish.ts";

/** Topics remembered before the cache starts over (a few per shadow: ~100 bytes each). */
const MAX_TOPICS = 65_536;

/**
 * `hasSubscribers` remembered per topic, for the node's announcements (`update/documents`,
 * `update/delta` on both roots), which it checks on every change: two to four trie matches and as many
 * persistence lookups (a promise each) per update, for topics that nobody subscribes to in most fleets.
 *
 * An answer holds until a subscription is added or removed anywhere (aedes-seam.ts
 * `onSubscriptionsChanged`), so a "nobody" is never kept past a new subscriber.
 */
export class SubscriberCache {
  private generation = 0;
  /** Per topic: generation × 2, plus 1 when it had subscribers. */
  private readonly known = new Map<string, number>();
  /**
   * Per topic: the generation it was looked at in, and its only subscriber's delivery (or null), held
   * weakly: a client that went away is not kept alive by the cache.
   */
  private readonly soles = new Map<string, { generation: number; deliver: WeakRef<object> | null }>();
  private readonly enabled: boolean;

  constructor(private readonly broker: Aedes) {
    this.enabled = onSubscriptionsChanged(broker, () => {
      this.generation++;
    });
  }

  /**
   * A number that changes whenever a subscription may have been added or removed anywhere: an answer
   * derived from this cache holds while it stays the same. Undefined when changes cannot be seen (then
   * nothing may be kept).
   */
  get generationNow(): number | undefined {
    return this.enabled ? this.generation : undefined;
  }

  /** Whether anyone subscribes to `topic`: at once when known, else a promise (see hasSubscribers). */
  has(topic: string): boolean | Promise<boolean> {
    if (!this.enabled) return hasSubscribers(this.broker, topic);
    const known = this.known.get(topic);
    const base = this.generation * 2;
    if (known === base) return false;
    if (known === base + 1) return true;
    const generation = this.generation;
    return hasSubscribers(this.broker, topic).then((found) => {
      if (generation === this.generation) this.remember(topic, generation, found);
      return found;
    });
  }

  /**
   * What the live matcher calls for a message on `topic` when that is the only subscription anywhere
   * that wants it (one live match, no offline persistent session), else null: at once when known, else a
   * promise. The caller compares it with a subscription it knows (the requester's own); an answer holds
   * until a subscription is added or removed anywhere.
   */
  sole(topic: string): object | null | Promise<object | null> {
    const known = this.soles.get(topic);
    if (known !== undefined && known.generation === this.generation) {
      const deliver = known.deliver === null ? null : known.deliver.deref();
      if (deliver !== undefined) return deliver;
    }
    const generation = this.generation;
    return soleSubscriber(this.broker, topic).then((deliver) => {
      if (generation === this.generation && this.enabled) {
        if (this.soles.size >= MAX_TOPICS) this.soles.clear();
        this.soles.set(topic, { generation, deliver: deliver === null ? null : new WeakRef(deliver) });
      }
      return deliver;
    });
  }

  private remember(topic: string, generation: number, found: boolean): void {
    if (this.known.size >= MAX_TOPICS) this.known.clear();
    this.known.set(topic, generation * 2 + (found ? 1 : 0));
  }
}

/** The one live match of `topic` when nothing else (live or offline) wants it, else null. */
async function soleSubscriber(broker: Aedes, topic: string): Promise<object | null> {
  const matches = liveMatcher(broker)?.match(topic);
  if (matches?.length !== 1) return null;
  const stored = storedSubscriptions(broker, topic);
  if (stored === undefined || (await stored).length > 0) return null;
  const only = matches[0];
  return typeof only === "function" || (typeof only === "object" && only !== null) ? only : null;
}
