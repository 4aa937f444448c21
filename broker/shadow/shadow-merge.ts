import type * as A from "@automerge/automerge";
import { isJsonObject, type JsonObject, type JsonValue, jsonEqual } from "../../shared/json.ts";
import type { ShadowConflicts, ShadowView } from "../../shared/shadow-document.ts";

/**
 * What a merge of another site's changes means for the plain view beside the Automerge document:
 * per-leaf timestamps taken from the change that wrote each winning value, and the losing values of
 * concurrent writes (`conflicts`). Both read the document through Automerge's low-level API.
 */
type RawDoc = ReturnType<typeof A.getBackend>;
type ChangeMeta = ReturnType<RawDoc["getChangesMeta"]>[number];
type Entry = readonly unknown[];

interface OpId {
  counter: number;
  actor: string;
}

function parseOpId(id: string): OpId {
  const at = id.indexOf("@");
  return { counter: Number(id.slice(0, at)), actor: id.slice(at + 1) };
}

/** The op id of an entry of `getAll`: scalars are [type, value, id], objects [type, id]. */
function opIdOf(entry: Entry): string {
  return String(entry.length === 3 ? entry[2] : entry[1]);
}

/** Automerge's rule for concurrent writes of one key: the highest (counter, actor) op wins. */
function winnerIndex(entries: readonly Entry[]): number {
  let best = 0;
  for (let i = 1; i < entries.length; i++) {
    const a = parseOpId(opIdOf(entries[i] as Entry));
    const b = parseOpId(opIdOf(entries[best] as Entry));
    if (a.counter > b.counter || (a.counter === b.counter && a.actor > b.actor)) best = i;
  }
  return best;
}

/** The change (among `metas`) that contains op `id`. */
function changeOf(metas: readonly ChangeMeta[], id: string): ChangeMeta | undefined {
  const op = parseOpId(id);
  return metas.find((m) => m.actor === op.actor && m.startOp <= op.counter && op.counter <= m.maxOp);
}

function entryValue(raw: RawDoc, entry: Entry): JsonValue {
  const [type] = entry;
  if (type === "map" || type === "list") return raw.materialize(String(entry[1])) as JsonValue;
  const v = entry[1];
  return (typeof v === "object" && v !== null ? String(v) : v) as JsonValue;
}

/**
 * The losing values of every leaf of desired/reported that holds concurrent writes, with the site
 * (the change message), actor and time of the change that wrote each, and the same of the change that
 * wrote the winning value (`winner`), or undefined when there are none.
 */
export function findConflicts(
  raw: RawDoc,
  roots: { desired: string; reported: string },
): ShadowConflicts | undefined {
  let metas: ChangeMeta[] | undefined;
  /** Who wrote an entry: the site (the change message), actor and time of its change. */
  const writer = (entry: Entry): JsonObject => {
    metas ??= raw.getChangesMeta([]);
    const id = opIdOf(entry);
    const change = changeOf(metas, id);
    return { site: change?.message ?? null, actor: parseOpId(id).actor, timestamp: change?.time ?? null };
  };
  // A losing value, who wrote it, and who wrote the value that won (its value is the shadow's own).
  const describe = (entry: Entry, winner: JsonObject): JsonObject => ({
    value: entryValue(raw, entry),
    ...writer(entry),
    winner,
  });
  const scan = (obj: string): JsonObject | undefined => {
    let out: JsonObject | undefined;
    for (const key of raw.keys(obj)) {
      const all = raw.getAll(obj, key) as Entry[];
      const w = winnerIndex(all);
      const winner = all[w];
      if (all.length > 1 && winner) {
        out ??= {};
        const won = writer(winner);
        out[key] = all.filter((_, i) => i !== w).map((e) => describe(e, won));
      }
      if (winner?.[0] === "map") {
        const sub = scan(String(winner[1]));
        if (sub) {
          out ??= {};
          out[key] = isJsonObject(out[key]) ? { ...(out[key] as JsonObject), ...sub } : sub;
        }
      }
    }
    return out;
  };
  const desired = scan(roots.desired);
  const reported = scan(roots.reported);
  if (!desired && !reported) return undefined;
  const c: ShadowConflicts = {};
  if (desired) c.desired = desired;
  if (reported) c.reported = reported;
  return c;
}

/**
 * Metadata after a merge: leaves whose value did not change keep their timestamp; a changed leaf takes
 * the time of the new change that wrote its winning value, else `now`.
 */
export function stampMergedLeaves(
  raw: RawDoc,
  roots: { desired: string; reported: string },
  before: ShadowView,
  after: Omit<ShadowView, "meta">,
  added: readonly ChangeMeta[],
  now: number,
): ShadowView["meta"] {
  const stamp = (obj: string, old: JsonObject, oldMeta: JsonObject, cur: JsonObject): JsonObject => {
    const out: JsonObject = {};
    for (const [key, value] of Object.entries(cur)) {
      const found = raw.getWithType(obj, key) as Entry | null | undefined;
      if (isJsonObject(value) && found?.[0] === "map") {
        const sub = (o: JsonObject): JsonObject => (isJsonObject(o[key]) ? (o[key] as JsonObject) : {});
        out[key] = stamp(String(found[1]), sub(old), sub(oldMeta), value);
        continue;
      }
      const prior = oldMeta[key];
      if (jsonEqual(old[key], value) && prior !== undefined && !isJsonObject(prior)) {
        out[key] = prior;
        continue;
      }
      const all = (raw.getAll(obj, key) as Entry[]) ?? [];
      const winner = all[winnerIndex(all)];
      out[key] = (winner && changeOf(added, opIdOf(winner))?.time) || now;
    }
    return out;
  };
  return {
    desired: stamp(roots.desired, before.desired, before.meta.desired, after.desired),
    reported: stamp(roots.reported, before.reported, before.meta.reported, after.reported),
  };
}
