import type { Clock } from "../../shared/clock.ts";

/**
 * The one timer behind a link's flushes: at most one flush is scheduled at a time. `within` keeps an
 * earlier scheduled flush (the flush policy, a budget wait, a commit recheck); `asap` replaces it
 * (an ack or a repair has made room: send now).
 */
export class FlushScheduler {
  private cancel: (() => void) | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly flush: () => void,
  ) {}

  get scheduled(): boolean {
    return this.cancel !== undefined;
  }

  /** Flush after `ms`, unless a flush is already scheduled. */
  within(ms: number): void {
    this.cancel ??= this.clock.after(Math.max(0, ms), () => this.run());
  }

  /** Flush on the next turn of the event loop (replaces a later scheduled flush). */
  asap(): void {
    this.stop();
    this.within(0);
  }

  stop(): void {
    this.cancel?.();
    this.cancel = undefined;
  }

  private run(): void {
    this.cancel = undefined;
    this.flush();
  }
}
