/**
 * Retention of the change record (docs/history.md): where the contiguous, reconstructable part of a
 * shadow's record may begin. Pure: the pruner (broker/history) feeds it what is stored.
 */
export interface RetentionPolicy {
  /** Records of the contiguous part older than this are dropped (reported-only ones for good). */
  maxAgeMs: number;
  /** At most this many records in the contiguous part. */
  maxRecords: number;
}

export interface CheckpointInfo {
  version: number;
  /** Epoch ms of the record the checkpoint follows. */
  at: number;
  /** The record's position in the shadow's record (1, 2, …), counted at append. */
  ordinal: number;
}

/**
 * The new horizon: always a checkpoint (so the part after it can be rebuilt), never behind `current`.
 * It is the newest checkpoint that leaves at most `maxRecords` records from it on, or, if newer, the
 * newest checkpoint whose record is older than `maxAgeMs` (everything before it is older still). The
 * record can only be cut at checkpoints, so up to K-1 records beyond the limits stay; an idle shadow
 * keeps its last checkpoint.
 */
export function selectHorizon(
  checkpoints: readonly CheckpointInfo[],
  appended: number,
  current: number,
  policy: RetentionPolicy,
  now: number,
): number {
  let horizon = current;
  // A horizon that is not a checkpoint (not expected) moves to the first checkpoint after it.
  let ordinal = checkpoints.find((c) => c.version === current)?.ordinal;
  for (const cp of checkpoints) {
    if (cp.version <= horizon) continue;
    if (horizonMovesTo(cp.at, appended, ordinal, policy, now)) {
      horizon = cp.version;
      ordinal = cp.ordinal;
    }
  }
  return horizon;
}

/**
 * Whether the horizon (its record's `ordinal`; undefined: not a checkpoint) moves on to a later
 * checkpoint taken at `at`: that one is older than `maxAgeMs`, or more than `maxRecords` are kept from
 * the horizon on. Later checkpoints are younger, so when the first after the horizon does not qualify,
 * none does (the pruner's cheap test, broker/history/history-pruner.ts).
 */
export function horizonMovesTo(
  at: number,
  appended: number,
  ordinal: number | undefined,
  policy: RetentionPolicy,
  now: number,
): boolean {
  const kept = ordinal === undefined ? Number.POSITIVE_INFINITY : appended - ordinal + 1;
  return at <= now - policy.maxAgeMs || kept > policy.maxRecords;
}
