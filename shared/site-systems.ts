import type { SystemSpec } from "./fleet-systems.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "./json.ts";

/**
 * Systems across sites (docs/fleet.md, "Systems across sites"). A system travels on the things at or
 * below it: each such thing's reserved shadow `$umbra-systems` holds, under the system's name, an
 * entry `{member, at, site, description?, query?, systems: {sub: {at, site, in}}}` — `member` says
 * whether the thing is a direct static member (else it only carries the system to the sites that share
 * it), the rest is the system's header, stamped (`at` ms, `site`) so that every node picks the same
 * value whichever carrier it read it from: the newest stamp wins for the description and query
 * together, and for each subsystem key separately (a removal is kept as `in: false`). Pure: no I/O.
 */
export const SYSTEMS_SHADOW = "$umbra-systems";

export interface Stamp {
  at: number;
  site: string;
}

export interface SubsystemStamp extends Stamp {
  in: boolean;
}

/** A system as every carrier agrees on it: the header's stamps travel with it. */
export interface ResolvedSystem {
  spec: SystemSpec;
  about: Stamp;
  subsystems: Record<string, SubsystemStamp>;
}

/** Whether `a` is newer than `b` (time, then site name: every node orders two stamps the same way). */
export const newer = (a: Stamp, b: Stamp | undefined): boolean =>
  b === undefined || a.at > b.at || (a.at === b.at && a.site > b.site);

const isStamp = (v: JsonValue | undefined): v is JsonObject & Stamp =>
  isJsonObject(v) && typeof v.at === "number" && typeof v.site === "string";

/**
 * The system `name` from its entries in the carriers' `$umbra-systems` reported sections (one per
 * carrier; carriers without an entry are skipped); undefined when no carrier has one.
 */
export function resolveSystem(
  name: string,
  carriers: Iterable<[string, JsonObject]>,
): ResolvedSystem | undefined {
  const things: string[] = [];
  let about: (JsonObject & Stamp) | undefined;
  const subsystems: Record<string, SubsystemStamp> = {};
  let any = false;
  for (const [thing, reported] of carriers) {
    const e = reported[name];
    if (!isStamp(e)) continue;
    any = true;
    if (e.member === true) things.push(thing);
    if (newer(e, about)) about = e;
    const subs = isJsonObject(e.systems) ? e.systems : {};
    for (const [s, v] of Object.entries(subs)) {
      if (!isStamp(v)) continue;
      const stamp: SubsystemStamp = { at: v.at, site: v.site, in: v.in === true };
      if (newer(stamp, subsystems[s])) subsystems[s] = stamp;
    }
  }
  if (!any || !about) return undefined;
  const spec: SystemSpec = {
    name,
    things: things.sort(),
    systems: Object.keys(subsystems)
      .filter((s) => subsystems[s]?.in)
      .sort(),
  };
  if (typeof about.description === "string") spec.description = about.description;
  if (typeof about.query === "string") spec.query = about.query;
  return { spec, about: { at: about.at, site: about.site }, subsystems };
}

/**
 * The stamps for a local edit: fields equal to what the carriers hold keep their stamps (so a node
 * copying a system onward never makes it newer), changed ones get `now`.
 */
export function stampEdit(spec: SystemSpec, held: ResolvedSystem | undefined, now: Stamp): ResolvedSystem {
  const sameAbout =
    held !== undefined && held.spec.description === spec.description && held.spec.query === spec.query;
  const subsystems: Record<string, SubsystemStamp> = { ...held?.subsystems };
  const keys = new Set([...spec.systems, ...Object.keys(subsystems)]);
  for (const s of keys) {
    const wanted = spec.systems.includes(s);
    if (subsystems[s]?.in !== wanted) subsystems[s] = { ...now, in: wanted };
  }
  return { spec, about: sameAbout && held ? held.about : now, subsystems };
}

/** The entry a carrier holds for a system (`member`: a direct static member). */
export function entryOf(r: ResolvedSystem, member: boolean): JsonObject {
  const systems: JsonObject = {};
  for (const [k, v] of Object.entries(r.subsystems)) systems[k] = { at: v.at, site: v.site, in: v.in };
  // No empty `systems`: a shadow keeps no empty object, so the carrier would never equal the entry.
  const e: JsonObject = { member, at: r.about.at, site: r.about.site };
  if (Object.keys(systems).length > 0) e.systems = systems;
  if (r.spec.description !== undefined) e.description = r.spec.description;
  if (r.spec.query !== undefined) e.query = r.spec.query;
  return e;
}

/**
 * The subsystem edges every node follows when a merge of two concurrent, each acyclic, edits closed
 * a cycle: edges are taken in name order (parent, then child) and one that would close a cycle is
 * left out and reported with the path it would close. Every node holding the same systems leaves out
 * the same edges, and nothing that walks the graph can loop.
 */
export function cutCycles(children: ReadonlyMap<string, readonly string[]>): {
  kept: Map<string, string[]>;
  cycles: string[][];
} {
  const kept = new Map<string, string[]>();
  const cycles: string[][] = [];
  const pathTo = (from: string, to: string): string[] | null => {
    const seen = new Set<string>();
    const stack: string[][] = [[from]];
    while (stack.length > 0) {
      const path = stack.pop() as string[];
      const at = path[path.length - 1] as string;
      if (at === to) return path;
      if (seen.has(at)) continue;
      seen.add(at);
      for (const c of kept.get(at) ?? []) stack.push([...path, c]);
    }
    return null;
  };
  for (const parent of [...children.keys()].sort()) {
    const list: string[] = [];
    kept.set(parent, list);
    for (const child of [...(children.get(parent) ?? [])].sort()) {
      if (!children.has(child)) continue; // unknown here (its carriers are not shared with this site)
      const back = pathTo(child, parent);
      if (back) cycles.push([parent, ...back]);
      else list.push(child);
    }
  }
  return { kept, cycles };
}
