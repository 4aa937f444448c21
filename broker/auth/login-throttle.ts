/**
 * Failed-login throttling per source address: after `maxFailures` failures within `windowMs`, the
 * address is blocked for `blockMs`, doubling on each repeat up to `maxBlockMs`. While blocked, every
 * attempt is refused without checking the password, so guessing cannot go on at network speed.
 */
export interface LoginThrottleOptions {
  maxFailures: number;
  windowMs: number;
  blockMs: number;
  maxBlockMs: number;
  /** Addresses never blocked (their failures are still refused, counted and logged): loopback by default. */
  exempt?: (address: string) => boolean;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleOptions = {
  maxFailures: 10,
  windowMs: 60_000,
  blockMs: 30_000,
  maxBlockMs: 15 * 60_000,
};

interface AddressState {
  failures: number[];
  blockedUntil: number;
  nextBlockMs: number;
}

export class LoginThrottle {
  private readonly byAddress = new Map<string, AddressState>();
  blockedAttempts = 0;

  constructor(
    private readonly options: LoginThrottleOptions = DEFAULT_LOGIN_THROTTLE,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds the address must still wait, or 0 when it may try. */
  blockedFor(address: string): number {
    const state = this.byAddress.get(address);
    const wait = state ? state.blockedUntil - this.now() : 0;
    if (wait > 0) this.blockedAttempts++;
    return Math.max(0, wait);
  }

  /** Counts a failed login; true when this failure starts a block of the address. */
  recordFailure(address: string): boolean {
    if (this.options.exempt?.(address)) return false;
    const now = this.now();
    const state = this.byAddress.get(address) ?? {
      failures: [],
      blockedUntil: 0,
      nextBlockMs: this.options.blockMs,
    };
    state.failures = state.failures.filter((t) => now - t < this.options.windowMs);
    state.failures.push(now);
    if (state.failures.length >= this.options.maxFailures) {
      state.blockedUntil = now + state.nextBlockMs;
      state.nextBlockMs = Math.min(state.nextBlockMs * 2, this.options.maxBlockMs);
      state.failures = [];
      this.byAddress.set(address, state);
      this.prune(now);
      return true;
    }
    this.byAddress.set(address, state);
    this.prune(now);
    return false;
  }

  /**
   * A success clears the failure count but not the escalation: an address that was blocked before
   * (a NAT shared with working devices, or an attacker holding one valid credential) gets the doubled
   * block on its next offence, until the state ages out.
   */
  recordSuccess(address: string): void {
    const state = this.byAddress.get(address);
    if (!state) return;
    state.failures = [];
    if (state.nextBlockMs === this.options.blockMs && state.blockedUntil <= this.now())
      this.byAddress.delete(address);
  }

  /** Bounds memory: forget addresses with nothing recent (checked when the map grows). */
  private prune(now: number): void {
    if (this.byAddress.size < 10_000) return;
    for (const [address, s] of this.byAddress) {
      if (s.blockedUntil < now && s.failures.every((t) => now - t >= this.options.windowMs))
        this.byAddress.delete(address);
    }
  }
}

/**
 * Loopback is not throttled unless asked (`loginThrottleLoopback`): a person trying passwords on the
 * node's own host would otherwise lock out every local tool, and a local process can be stopped by
 * other means. IPv4-mapped IPv6 forms count too.
 */
export function isLoopbackAddress(address: string): boolean {
  const a = address.startsWith("::ffff:") ? address.slice(7) : address;
  return a === "::1" || a.startsWith("127.");
}
