/** Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"). */
export interface BackoffOptions {
  /** Cap of the first delay; each attempt doubles the cap. */
  initialMs?: number;
  /** The cap never grows beyond this. */
  maxMs?: number;
}

export interface BackoffSettings {
  initialMs: number;
  maxMs: number;
}

export function backoffSettings(
  opts: BackoffOptions | undefined,
  defaults: BackoffSettings,
): BackoffSettings {
  const initialMs = Math.max(0, opts?.initialMs ?? defaults.initialMs);
  return { initialMs, maxMs: Math.max(initialMs, opts?.maxMs ?? defaults.maxMs) };
}

/** Upper bound of the delay before attempt `attempt + 1` (attempt counts failures so far, from 1). */
export function backoffCap(attempt: number, s: BackoffSettings): number {
  // 2^30 already exceeds any sensible cap; clamping the exponent keeps the number finite.
  return Math.min(s.maxMs, s.initialMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
}

/**
 * Full jitter: uniform in [0, cap). Spreads a fleet that failed together (a node restart) over the whole
 * window instead of having every device retry at the same instants.
 */
export function backoffDelay(
  attempt: number,
  s: BackoffSettings,
  random: () => number = Math.random,
): number {
  return Math.floor(random() * backoffCap(attempt, s));
}

/** A failure counter with its next delay; reset after a success. */
export class Backoff {
  private failures = 0;
  constructor(
    private readonly settings: BackoffSettings,
    private readonly random: () => number = Math.random,
  ) {}

  /** Records a failure and returns how long to wait before the next try. */
  next(): number {
    this.failures++;
    return backoffDelay(this.failures, this.settings, this.random);
  }

  reset(): void {
    this.failures = 0;
  }

  get attempts(): number {
    return this.failures;
  }
}
