import type { Aedes } from "aedes";
import { onSubscriptionAdded } from "./aedes-seam.ts";
import { hasSubscribers } from "./publish.ts";

/** Topics remembered before the cache starts over (a few per shadow: ~100 bytes each). */
const MAX_TOPICS = 65_536;

/**
 * `hasSubscribers` remembered per topic, for the node's announcements (`update/documents`,
 * `update/delta` on both roots), which it checks on every change: two to four trie matches and as many
 * persistence lookups (a promise each) per update, for topics that nobody subscribes to in most fleets.
 *
 * An answer holds until a subscription is added anywhere (aedes-seam.ts `onSubscriptionAdded`), so a
 * "nobody" is never kept past a new subscriber. A removed subscription leaves a "yes" in place: the
 * node then renders and publishes a message aedes delivers to nobody, as without the cache.
 */
export class SubscriberCache {
  private generation = 0;
  /** Per topic: generation × 2, plus 1 when it had subscribers. */
  private readonly known = new Map<string, number>();
  private readonly enabled: boolean;

  constructor(private readonly broker: Aedes) {
    this.enabled = onSubscriptionAdded(broker, () => {
      this.generation++;
    });
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

  private remember(topic: string, generation: number, found: boolean): void {
    if (this.known.size >= MAX_TOPICS) this.known.clear();
    this.known.set(topic, generation * 2 + (found ? 1 : 0));
  }
}
