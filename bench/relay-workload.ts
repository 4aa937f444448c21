import { ShadowDocument } from "../broker/shadow/shadow-doc.ts";
import type { JsonObject } from "../shared/json.ts";

/**
 * The relay benchmark's workload: N shadows of a realistic device (a PDU with a fan: a dozen leaves in
 * desired and reported), created and synced before the measurement (the peer knows their heads), then
 * K updates per shadow of a few leaves each, the way devices and operators change them:
 * 70 % reported telemetry-like leaves (temperature, load), 15 % an outlet toggle, 15 % a desired
 * setting (an update that repeats the current state makes no change and is not counted). Deterministic (seeded) so runs compare.
 */
export interface Update {
  thing: string;
  /** The leaves changed, as a shadow update request body would carry them. */
  edits: { desired?: JsonObject; reported?: JsonObject };
  /** The full shadow state after the update (what a document-forwarding bridge sends). */
  state: { desired: JsonObject; reported: JsonObject };
  version: number;
  ts: number;
}

export interface Workload {
  /** Per shadow: its key, the heads the peer already has, and the changes since. */
  shadows: {
    key: string;
    base: string[];
    changes: Uint8Array[];
    doc: ShadowDocument;
    /** The state the shadow was created with (before the updates). */
    initial: { desired: JsonObject; reported: JsonObject };
  }[];
  updates: Update[];
}

/** Mulberry32: a small seeded PRNG. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

export function buildWorkload(shadows: number, perShadow: number, actor: string, seed = 7): Workload {
  const random = rng(seed);
  const out: Workload = { shadows: [], updates: [] };
  let ts = 1_763_800_000;
  for (let i = 0; i < shadows; i++) {
    const thing = `pdu-${String(i).padStart(5, "0")}`;
    const doc = ShadowDocument.create(actor);
    doc.update(
      {
        desired: { power: "on", fan: { mode: "auto", speed: 40 }, threshold: 75 },
        reported: {
          power: "on",
          temp: round(20 + random() * 10, 1),
          load: round(random() * 16, 2),
          fan: { mode: "auto", speed: 40, rpm: 2400 },
          firmware: "2.4.1",
          outlets: { o1: "on", o2: "on", o3: "off", o4: "on" },
        },
      },
      ts,
    );
    const base = doc.heads();
    const initial = { desired: doc.view.desired, reported: doc.view.reported };
    for (let k = 0; k < perShadow; k++) {
      ts += 1 + Math.floor(random() * 5);
      const r = random();
      let edits: Update["edits"];
      if (r < 0.7)
        edits = { reported: { temp: round(20 + random() * 10, 1), load: round(random() * 16, 2) } };
      else if (r < 0.85) {
        const outlet = `o${1 + Math.floor(random() * 4)}`;
        edits = { reported: { outlets: { [outlet]: random() < 0.5 ? "on" : "off" } } };
      } else
        edits =
          random() < 0.5
            ? { desired: { fan: { speed: 30 + Math.floor(random() * 60) } } }
            : { desired: { threshold: 60 + Math.floor(random() * 30) } };
      if (!doc.update(edits, ts)) continue; // the edit repeated the current state: no change, nothing to relay
      const view = doc.view;
      out.updates.push({
        thing,
        edits,
        state: { desired: view.desired, reported: view.reported },
        version: view.version,
        ts,
      });
    }
    out.shadows.push({ key: thing, base, changes: doc.changesSince(base), doc, initial });
  }
  return out;
}
