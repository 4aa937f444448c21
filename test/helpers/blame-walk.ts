import { comparePaths, type HistoryRecord, type Leaf, leafMap, type Section } from "../../shared/history.ts";
import type { JsonObject } from "../../shared/json.ts";

function isPrefix(prefix: readonly string[], path: readonly string[]): boolean {
  return prefix.length <= path.length && prefix.every((k, i) => path[i] === k);
}

/**
 * Per-leaf blame by definition (the leaf index must agree; a test checks it): feed records newest first; each leaf of the current state is attributed to the
 * first (newest) record with a `set` covering it (its path is a prefix of the leaf's). A delete of
 * the whole shadow ends the walk. `reportedStopsAt` is the retention horizon: below it only
 * desired-class records remain, so reported leaves are no longer attributed there.
 */
export class BlameWalk {
  private readonly leaves: Record<Section, Map<string, Leaf>>;
  private readonly open: Record<Section, Set<string>>;
  private readonly found: Record<Section, Map<string, HistoryRecord>> = {
    desired: new Map(),
    reported: new Map(),
  };
  private ended = false;
  /** Whether the walk has gone below the horizon (where reported leaves can no longer be attributed). */
  private below = false;

  constructor(
    state: { desired: JsonObject; reported: JsonObject },
    private readonly reportedStopsAt = 0,
  ) {
    this.leaves = { desired: leafMap(state.desired), reported: leafMap(state.reported) };
    this.open = {
      desired: new Set(this.leaves.desired.keys()),
      reported: new Set(this.leaves.reported.keys()),
    };
  }

  get done(): boolean {
    return this.ended || (this.open.desired.size === 0 && (this.open.reported.size === 0 || this.below));
  }

  /** Returns whether more (older) records may still attribute something. */
  feed(r: HistoryRecord): boolean {
    if (this.done) return false;
    if (r.version < this.reportedStopsAt) this.below = true;
    for (const section of ["desired", "reported"] as const) {
      if (section === "reported" && r.version < this.reportedStopsAt) continue;
      for (const op of r.patch[section] ?? []) {
        if (op.kind !== "set") continue;
        for (const key of this.open[section]) {
          if (!isPrefix(op.path, (this.leaves[section].get(key) as Leaf).path)) continue;
          this.found[section].set(key, r);
          this.open[section].delete(key);
        }
      }
    }
    if (!r.exists) this.ended = true;
    return !this.done;
  }

  /** Every leaf, in path order, with the record that last wrote it (none: older than what is kept). */
  result(): Record<Section, BlameLine[]> {
    const lines = (section: Section): BlameLine[] =>
      [...this.leaves[section].entries()]
        .sort(([, a], [, b]) => comparePaths(a.path, b.path))
        .map(([key, leaf]) => {
          const record = this.found[section].get(key);
          return record ? { ...leaf, record } : { ...leaf };
        });
    return { desired: lines("desired"), reported: lines("reported") };
  }
}

export interface BlameLine extends Leaf {
  record?: HistoryRecord;
}
