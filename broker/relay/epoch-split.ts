import type { Clock } from "../../shared/clock.ts";
import type { Logger } from "../../shared/logger.ts";
import { epochActor } from "../shadow/epoch-base.ts";

/** One warn line per shadow per link at most this often. */
const WARN_EVERY_MS = 10 * 60_000;
/** Shadows a link remembers as split (GET /peers, `umbra peers`); the oldest is forgotten first. */
const REMEMBER = 20;

/**
 * Whether a merge failed because the changes carry a *different* base for an epoch this site already
 * holds a base of: Automerge refuses the second change of the epoch's base actor with the same
 * sequence number ("duplicate seq 1 found for actor …"). That happens when two sites both cut the
 * shadow (two tops: a site with two parents that both share the thing; docs/shadow-engine.md).
 */
export function isSecondBase(err: unknown, key: string, epoch: number): boolean {
  if (epoch <= 0) return false;
  const m = /duplicate seq \d+ found for actor ([0-9a-f]+)/.exec(String((err as Error)?.message ?? err));
  return m?.[1] === epochActor(key, epoch);
}

/**
 * The shadows of one link split between two bases of one epoch: counted, remembered (the latest
 * `REMEMBER`) and logged once per shadow per `WARN_EVERY_MS`, with the fix.
 */
export class EpochSplits {
  count = 0;
  private readonly lastWarn = new Map<string, number>();

  constructor(
    private readonly peer: string,
    private readonly log: Logger,
    private readonly clock: Clock,
    /** The links that share `thing` (the others are named in the warning: one leads to the other cutter). */
    private readonly others: (thing: string) => string[] = () => [],
  ) {}

  /** The shadows split with this peer, latest last. */
  get shadows(): string[] {
    return [...this.lastWarn.keys()];
  }

  seen(key: string, thing: string, epoch: number): void {
    this.count++;
    const now = this.clock.now();
    const last = this.lastWarn.get(key);
    this.lastWarn.delete(key);
    this.lastWarn.set(key, last ?? Number.NEGATIVE_INFINITY);
    if (this.lastWarn.size > REMEMBER) this.lastWarn.delete(this.lastWarn.keys().next().value as string);
    if (last !== undefined && now - last < WARN_EVERY_MS) return;
    this.lastWarn.set(key, now);
    this.log.warn(
      {
        peer: this.peer,
        shadow: key.slice(0, 200),
        epoch,
        alsoSharedWith: this.others(thing)
          .filter((p) => p !== this.peer)
          .slice(0, 8),
      },
      "relay: two different bases for one epoch of this shadow (two sites cut it: a site whose parents " +
        "both share the thing makes each a cutter); it does not converge with this peer until the one " +
        "cutter left cuts again. Fix: epochShared: false on all but one of those parents " +
        "(docs/shadow-engine.md, 'One top per thing'); counted in umbra_relay_epoch_splits_total",
    );
  }
}
