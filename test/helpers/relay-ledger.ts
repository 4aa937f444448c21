import type { JsonObject } from "../../shared/json.ts";

/**
 * Jepsen-style accounting for the relay: every write is a unique key (`w-<site>-<n>`) in `desired` of
 * one of a few shadows. After healing, `lost` = acknowledged writes missing somewhere, `unexpected` =
 * keys present that were never written. Writes whose outcome is unknown (in flight at a crash) may be
 * present or not, but never twice: each write adds one key and one version.
 */
export class Ledger {
  readonly attempted = new Set<string>();
  readonly acknowledged = new Set<string>();

  attempt(id: string): void {
    this.attempted.add(id);
  }

  ack(id: string): void {
    this.acknowledged.add(id);
  }

  check(desired: JsonObject): { lost: string[]; unexpected: string[] } {
    const present = new Set(Object.keys(desired));
    return {
      lost: [...this.acknowledged].filter((id) => !present.has(id)),
      unexpected: [...present].filter((id) => !this.attempted.has(id)),
    };
  }
}

/** Merges the desired sections of several shadows (write ids are unique across them). */
export function allDesired(views: { desired: JsonObject }[]): JsonObject {
  return Object.assign({}, ...views.map((v) => v.desired)) as JsonObject;
}
