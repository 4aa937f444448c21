import type { JsonObject, JsonValue } from "../../shared/json.ts";
import { jsonEqual } from "../../shared/json.ts";
import { type BackoffSettings, backoffDelay } from "./backoff.ts";
import { conditionPatch, conditionsOf, REASONS, RECONCILED, STATUS_KEY } from "./conditions.ts";
import { changedLeaves, getLeaf, leavesOf, patchOf, pathKey, pathsOverlap } from "./paths.ts";
import type { ShadowState } from "./shadow-state.ts";
import type { DeltaHandler, HandlerResult } from "./types.ts";

export interface ReconcilerOptions {
  state: ShadowState;
  /** Queues a report of the reconcile loop itself (values and `$status`); resolves when sent or queued. */
  report(patch: JsonObject): Promise<void>;
  retry: BackoffSettings;
  random?: () => number;
  now?: () => Date;
  onError?(err: Error): void;
}

type Outcome =
  | { kind: "applied"; reported: JsonObject | undefined }
  | { kind: "cannot"; reason: string; retry: boolean }
  | { kind: "failed"; error: Error };

export interface ReconcileStats {
  /** Handler calls. */
  calls: number;
  /** Calls that threw or answered `cannot`. */
  failures: number;
  /** Delta messages ignored because they were older than the state already known. */
  staleDeltas: number;
}

/**
 * The reconcile loop. Whenever the state changes (a delta, a fetched shadow, once at start) it computes
 * the work: the delta's leaves the handler has not dealt with yet at their current desired value. It
 * calls the handler with that work (never two calls at once), reports the result with a `Reconciled`
 * condition, and retries failures with exponential backoff and full jitter.
 *
 * "Dealt with" (settled) is tracked per leaf and desired value, not per version: the device's own report
 * bumps the version, and a device that reports a value other than the desired one (a clamp, a "cannot")
 * leaves a delta behind; re-running the handler for it would loop forever. A settled leaf is worked on
 * again when its desired value changes, or when the application itself reports a new value for it (the
 * device drifted, so the desired value must be applied again).
 */
export class Reconciler {
  readonly stats: ReconcileStats = { calls: 0, failures: 0, staleDeltas: 0 };
  private handler: DeltaHandler | undefined;
  private readonly settled = new Map<string, { path: string[]; value: JsonValue }>();
  /**
   * Leaves the handler said it cannot apply, with the reason: while one is still desired and not
   * reported, `Reconciled` stays False even after later work succeeds.
   */
  private readonly refused = new Map<string, { path: string[]; value: JsonValue; reason: string }>();
  private active = false;
  private stopped = false;
  private running = false;
  private again = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private failing: { work: JsonObject; attempts: number } | undefined;

  constructor(private readonly opts: ReconcilerOptions) {}

  /** Registers the handler (one at a time); runs it for the current delta if the state is known. */
  setHandler(handler: DeltaHandler): () => void {
    if (this.handler) throw new Error("a delta handler is already registered (one per device)");
    this.handler = handler;
    this.poke();
    return () => {
      if (this.handler === handler) {
        this.handler = undefined;
        this.cancelRetry();
        this.failing = undefined;
      }
    };
  }

  /** The first full state is known: from now on the loop runs ("once at start"). */
  activate(): void {
    this.active = true;
    this.poke();
  }

  /** An `update/delta` message. One older than the known state is stale: ignored, counted. */
  onDelta(doc: JsonObject): boolean {
    const state = doc.state;
    if (
      typeof doc.version !== "number" ||
      typeof state !== "object" ||
      state === null ||
      Array.isArray(state)
    )
      return false;
    if (!this.opts.state.applyDelta(state, doc.version)) {
      this.stats.staleDeltas++;
      return false;
    }
    this.poke();
    return true;
  }

  /**
   * The application reported `patch` itself: leaves whose value changes are no longer settled, so if
   * that leaves a difference from desired, the handler is asked to apply the desired value again.
   */
  noteReport(patch: JsonObject): void {
    const changed = changedLeaves(this.opts.state.reported, patch);
    if (changed.length === 0) return;
    for (const [key, s] of this.settled) {
      if (changed.some((leaf) => pathsOverlap(leaf.path, s.path))) this.settled.delete(key);
    }
  }

  /** Schedules a pass (coalesced: a pass already running picks the change up when it ends). */
  poke(): void {
    if (this.stopped) return;
    queueMicrotask(() => {
      this.run().catch((err: unknown) => this.opts.onError?.(err as Error));
    });
  }

  stop(): void {
    this.stopped = true;
    this.cancelRetry();
  }

  /** A handler call or a retry is under way or scheduled. */
  get busy(): boolean {
    return this.running || this.retryTimer !== undefined;
  }

  /** The leaves of the delta still to be handled, as a patch (undefined when there is nothing to do). */
  pendingWork(): JsonObject | undefined {
    const { desired, delta } = { desired: this.opts.state.desired, delta: this.opts.state.delta };
    // A settled value that is no longer desired can never match again: drop it (keeps the map bounded).
    for (const [key, s] of this.settled) {
      if (!jsonEqual(getLeaf(desired, s.path), s.value)) this.settled.delete(key);
    }
    if (!delta) return undefined;
    const leaves = leavesOf(delta).filter((leaf) => {
      if (leaf.path[0] === STATUS_KEY) return false; // the SDK's own section is not desired state
      const s = this.settled.get(pathKey(leaf.path));
      return !s || !jsonEqual(s.value, leaf.value);
    });
    return leaves.length > 0 ? patchOf(leaves) : undefined;
  }

  private async run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      // Each pass settles its work or schedules a retry and returns, so this ends once no new work arrives.
      for (;;) {
        this.again = false;
        const handler = this.handler;
        if (this.stopped || !handler || !this.active) return;
        const work = this.pendingWork();
        if (!work) {
          this.cancelRetry();
          this.failing = undefined;
          return;
        }
        const sameAsFailing = this.failing !== undefined && jsonEqual(this.failing.work, work);
        if (this.retryTimer) {
          if (sameAsFailing) return; // the scheduled retry will take it
          this.cancelRetry(); // new desired state: act on it now
        }
        const attempt = sameAsFailing && this.failing ? this.failing.attempts + 1 : 1;
        const version = this.opts.state.version;
        const outcome = await this.call(handler, work, version, attempt);
        if (this.stopped || this.handler !== handler) return;
        this.conclude(work, version, attempt, outcome);
        if (this.retryTimer && !this.again) return;
      }
    } finally {
      this.running = false;
    }
  }

  private async call(
    handler: DeltaHandler,
    work: JsonObject,
    version: number,
    attempt: number,
  ): Promise<Outcome> {
    this.stats.calls++;
    let result: HandlerResult;
    try {
      result = await handler(structuredClone(work), {
        version,
        desired: structuredClone(this.opts.state.desired),
        attempt,
      });
    } catch (err) {
      return { kind: "failed", error: err instanceof Error ? err : new Error(String(err)) };
    }
    if (result && typeof result === "object" && "cannot" in result) {
      return { kind: "cannot", reason: String(result.cannot), retry: result.retry === true };
    }
    const reported =
      result && typeof result === "object" && "reported" in result ? result.reported : undefined;
    return { kind: "applied", reported };
  }

  private conclude(work: JsonObject, version: number, attempt: number, outcome: Outcome): void {
    const now = (this.opts.now ?? (() => new Date()))();
    const reported = this.opts.state.reported;
    if (outcome.kind === "applied") {
      this.settle(work);
      this.failing = undefined;
      const values = outcome.reported ?? work;
      for (const leaf of leavesOf(work)) this.refused.delete(pathKey(leaf.path));
      const open = this.openRefusals({ ...reported, ...values });
      const condition = open
        ? { type: RECONCILED, status: "False" as const, reason: REASONS.cannot, message: open }
        : { type: RECONCILED, status: "True" as const, reason: REASONS.applied, message: "" };
      const status = conditionPatch(reported, { ...condition, observedVersion: version }, now);
      this.send({ ...values, ...status });
      return;
    }
    this.stats.failures++;
    const cannot = outcome.kind === "cannot";
    const message = cannot ? outcome.reason : outcome.error.message;
    const condition = {
      type: RECONCILED,
      status: "False" as const,
      reason: cannot ? REASONS.cannot : REASONS.failed,
      message,
      observedVersion: version,
    };
    // Retries of the same failure write nothing new: no shadow change per attempt.
    const current = conditionsOf(reported).find((c) => c.type === RECONCILED);
    const unchanged =
      current !== undefined &&
      current.status === "False" &&
      current.reason === condition.reason &&
      current.message === message &&
      current.observedVersion === version;
    if (!unchanged) this.send(conditionPatch(reported, condition, now));
    if (cannot && !outcome.retry) {
      for (const leaf of leavesOf(work))
        this.refused.set(pathKey(leaf.path), { path: leaf.path, value: leaf.value, reason: message });
      this.settle(work);
      this.failing = undefined;
      return;
    }
    this.failing = { work, attempts: attempt };
    const delay = backoffDelay(attempt, this.opts.retry, this.opts.random);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.poke();
    }, delay);
  }

  /**
   * The reasons of refusals that still stand (desired unchanged, not reported since), or undefined.
   * Refusals of values no longer desired, or that the device now reports, are forgotten.
   */
  private openRefusals(reported: JsonObject): string | undefined {
    const desired = this.opts.state.desired;
    const reasons = new Set<string>();
    for (const [key, r] of this.refused) {
      const stillDesired = jsonEqual(getLeaf(desired, r.path), r.value);
      if (!stillDesired || jsonEqual(getLeaf(reported, r.path), r.value)) this.refused.delete(key);
      else reasons.add(r.reason);
    }
    return reasons.size > 0 ? [...reasons].join("; ") : undefined;
  }

  private settle(work: JsonObject): void {
    for (const leaf of leavesOf(work)) this.settled.set(pathKey(leaf.path), leaf);
  }

  private send(patch: JsonObject): void {
    this.opts.report(patch).catch((err: unknown) => this.opts.onError?.(err as Error));
  }

  private cancelRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }
}
