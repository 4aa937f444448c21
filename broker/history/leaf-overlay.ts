import { type HistoryRecord, leafEffects, type Section } from "../../shared/history.ts";

/** The leaf index's edits, as `LeafOverlay.writeTo` hands them over. */
export interface LeafIndexWrites {
  clearAll(shadow: number): void;
  clear(shadow: number, section: Section, path: readonly string[]): void;
  set(shadow: number, section: Section, path: readonly string[], version: number): void;
}

interface SetLeaf {
  section: Section;
  path: string[];
  version: number;
}

const keyOf = (section: Section, path: readonly string[]) => `${section}\u0000${JSON.stringify(path)}`;

function isPrefix(prefix: readonly string[], path: readonly string[]): boolean {
  if (prefix.length > path.length) return false;
  for (let i = 0; i < prefix.length; i++) if (prefix[i] !== path[i]) return false;
  return true;
}

/**
 * What a run of one shadow's records does to its leaf index (the version that last wrote each leaf),
 * held in memory on top of the index as stored: the records still in the log (docs/history.md,
 * "Settling"). Read through for blame, or written down in one go when the records settle — one write
 * per leaf however many records set it, clears first (a set that came after a clear is kept here).
 */
export class LeafOverlay {
  /** Whether a delete of the shadow cleared the whole stored index. */
  private clearedAll = false;
  /** Prefixes cleared in the stored index since (only those after the last delete matter). */
  private readonly clears: { section: Section; path: string[] }[] = [];
  private readonly sets = new Map<string, SetLeaf>();

  apply(r: HistoryRecord): void {
    for (const e of leafEffects(r)) {
      if (e.op === "clearAll") {
        this.clearedAll = true;
        this.clears.length = 0;
        this.sets.clear();
      } else if (e.op === "clear") {
        if (!this.clearedAll) this.clears.push({ section: e.section, path: e.path });
        for (const [key, leaf] of this.sets) {
          if (leaf.section === e.section && isPrefix(e.path, leaf.path)) this.sets.delete(key);
        }
      } else {
        this.sets.set(keyOf(e.section, e.path), { section: e.section, path: e.path, version: r.version });
      }
    }
  }

  /** The version that last wrote a leaf here; `null` when the overlay removed it; undefined: ask the index. */
  version(section: Section, path: readonly string[]): number | null | undefined {
    const set = this.sets.get(keyOf(section, path));
    if (set) return set.version;
    if (this.clearedAll) return null;
    for (const c of this.clears) if (c.section === section && isPrefix(c.path, path)) return null;
    return undefined;
  }

  writeTo(index: LeafIndexWrites, shadow: number): void {
    if (this.clearedAll) index.clearAll(shadow);
    for (const c of this.clears) index.clear(shadow, c.section, c.path);
    for (const leaf of this.sets.values()) index.set(shadow, leaf.section, leaf.path, leaf.version);
  }
}
