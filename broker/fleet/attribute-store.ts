import {
  type AttributeOrigin,
  type AttributeState,
  applyAttributeWrite,
} from "../../shared/attribute-origins.ts";
import { validateAttributes } from "../../shared/fleet-attributes.ts";
import type { JsonObject, JsonValue } from "../../shared/json.ts";
import type { Db } from "../store/database.ts";

export interface StoredAttributes {
  thing: string;
  attributes: JsonObject;
  /** Who set each key (`operator` | `device`), in the attributes' shape (shared/attribute-origins.ts). */
  origins: JsonObject;
  /**
   * Incremented on every change stored at this node (a write that changes nothing keeps it); a write
   * may name the version it expects (409 otherwise). Counted per node: see docs/fleet.md.
   */
  version: number;
  /** Epoch seconds of the last change. */
  updatedAt: number;
}

/** A write's answer: the stored document, and the keys a device asked for that an operator owns. */
export interface AttributeWriteResult extends StoredAttributes {
  kept?: string[];
}

export class AttributeConflict extends Error {
  readonly code = "attributes_version";
}

/** Inventory attributes per thing, in the node's SQLite database (table `thing_attributes`). */
export class AttributeStore {
  private readonly q;

  constructor(private readonly db: Db) {
    const cols = "thing, attributes, origins, version, updated_at";
    this.q = {
      get: db.prepare(`SELECT ${cols} FROM thing_attributes WHERE thing = ?`),
      all: db.prepare(`SELECT ${cols} FROM thing_attributes`),
      put: db.prepare(
        `INSERT INTO thing_attributes (${cols}) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (thing) DO UPDATE SET attributes = excluded.attributes, origins = excluded.origins,
         version = excluded.version, updated_at = excluded.updated_at`,
      ),
    };
  }

  get(thing: string): StoredAttributes | undefined {
    const row = this.q.get.get(thing) as Row | undefined;
    return row && fromRow(row);
  }

  *all(): Generator<StoredAttributes> {
    for (const row of this.q.all.iterate() as Iterable<Row>) yield fromRow(row);
  }

  /**
   * Replaces (`mode: "put"`) or merges (`"patch"`) a thing's attributes as `origin` (an operator, or the
   * thing's device: it never overrides an operator's keys), in one transaction; returns the stored
   * result (unchanged, same version, when the write changes nothing). Throws AttributeError for bad
   * input, AttributeConflict for a stale `version`.
   */
  write(
    thing: string,
    body: JsonValue,
    mode: "put" | "patch",
    expectedVersion?: number,
    origin: AttributeOrigin = "operator",
  ): AttributeWriteResult {
    const input = validateAttributes(body, mode === "patch");
    return this.db.transaction(() => {
      const current = this.get(thing);
      const version = current?.version ?? 0;
      if (expectedVersion !== undefined && expectedVersion !== version) {
        throw new AttributeConflict(
          `Version conflict: the attributes of '${thing}' are at version ${version}`,
        );
      }
      const state = current ?? { attributes: {}, origins: {} };
      const r = applyAttributeWrite(state, { input, mode, origin });
      const kept = r.kept.length > 0 ? { kept: r.kept } : {};
      if (current && !r.changed) return { ...current, ...kept };
      return { ...this.store(thing, r, version + 1), ...kept };
    })();
  }

  /** Stores a whole state as it is (attributes merged from a peer, with their origins). */
  replace(thing: string, state: AttributeState): StoredAttributes {
    validateAttributes(state.attributes, false);
    return this.db.transaction(() => this.store(thing, state, (this.get(thing)?.version ?? 0) + 1))();
  }

  private store(thing: string, state: AttributeState, version: number): StoredAttributes {
    const next = {
      thing,
      attributes: state.attributes,
      origins: state.origins,
      version,
      updatedAt: Math.floor(Date.now() / 1000),
    };
    this.q.put.run(
      thing,
      JSON.stringify(next.attributes),
      JSON.stringify(next.origins),
      next.version,
      next.updatedAt,
    );
    return next;
  }
}

interface Row {
  thing: string;
  attributes: string;
  origins: string;
  version: number;
  updated_at: number;
}

function fromRow(row: Row): StoredAttributes {
  return {
    thing: row.thing,
    attributes: JSON.parse(row.attributes) as JsonObject,
    origins: JSON.parse(row.origins) as JsonObject,
    version: row.version,
    updatedAt: row.updated_at,
  };
}
