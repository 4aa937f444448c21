import { availableParallelism } from "node:os";
import { setFlagsFromString } from "node:v8";

/**
 * V8's parallel scavenging (the young-generation collector copying with helper threads) off on a
 * machine with at most two cores: there the helpers compete for the one other core with the commit
 * worker and the clients, and the node did more per update with them than without (docs/benchmarks.md,
 * "Main thread and GC (sixth session)"). Left to V8 on larger machines (not measured) and whenever the node's own
 * flags say anything about scavenging. Returns the flag to set, or null.
 */
export function scavengeFlag(cores: number, nodeFlags: readonly string[]): string | null {
  if (cores > 2) return null;
  if (nodeFlags.some((f) => f.includes("scavenge"))) return null;
  return "--no-parallel-scavenge";
}

/** Applies `scavengeFlag` to this process (threads started later share it); returns what was set. */
export function tuneGarbageCollection(): string | null {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)];
  const flag = scavengeFlag(availableParallelism(), flags);
  if (flag) setFlagsFromString(flag);
  return flag;
}
