/**
 * Time as a port: logic that waits or stamps takes a `Clock`, so a test drives it with a fake one
 * (test/helpers/fake-clock.ts) instead of sleeping. The system clock is the default everywhere.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Calls `fn` once after `ms` (never keeping the process alive); returns a function that cancels it. */
  after(ms: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  after(ms, fn) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};
