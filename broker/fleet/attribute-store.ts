import { mergeAttributes, validateAttributes } from "../../shared/fleet-attributes.ts";
import type { JsonObject, JsonValue } from "../../shared/json.ts";
import type { Db } from "../store/database.ts";

export interface StoredAttributes {
  thing: string;
  attributes: JsonObject;
  /** Incremented on every change; a write may name the version it expects (409 otherwise). */
  version: number;
  /** Epoch seconds of the last change. */
  updatedAt: number;
}

export class AttributeConflict extends Error {
  readonly code = "attributes_version";
}

/** Inventory attributes per thing, in the node's SQLite database (table `thing_attributes`). */
export class AttributeStore {
  private readonly q;

  constructor(private readonly db: Db) {
    db.exec(`CREATE TABLE IF NOT EXISTS thing_attributes (
      thing TEXT PRIMARY KEY,
      attributes TEXT NOT NULL,
      version INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    ) WITHOUT ROWID`);
    this.q = {
      get: db.prepare("SELECT thing, attributes, version, updated_at FROM thing_attributes WHERE thing = ?"),
      all: db.prepare("SELECT thing, attributes, version, updated_at FROM thing_attributes"),
      put: db.prepare(
        `INSERT INTO thing_attributes (thing, attributes, version, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (thing) DO UPDATE SET attributes = excluded.attributes, version = excluded.version,
         updated_at = excluded.updated_at`,
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
   * Replaces (`mode: "put"`) or merges (`"patch"`) a thing's attributes, in one transaction; returns
   * the stored result. Throws AttributeError for bad input, AttributeConflict for a stale `version`.
   */
  write(thing: string, body: JsonValue, mode: "put" | "patch", expectedVersion?: number): StoredAttributes {
    const input = validateAttributes(body, mode === "patch");
    return this.db.transaction(() => {
      const current = this.get(thing);
      const version = current?.version ?? 0;
      if (expectedVersion !== undefined && expectedVersion !== version) {
        throw new AttributeConflict(
          `Version conflict: the attributes of '${thing}' are at version ${version}`,
        );
      }
      const attributes = mode === "put" ? input : mergeAttributes(current?.attributes ?? {}, input);
      const next = { thing, attributes, version: version + 1, updatedAt: Math.floor(Date.now() / 1000) };
      this.q.put.run(thing, JSON.stringify(attributes), next.version, next.updatedAt);
      return next;
    })();
  }
}

interface Row {
  thing: string;
  attributes: string;
  version: number;
  updated_at: number;
}

function fromRow(row: Row): StoredAttributes {
  return {
    thing: row.thing,
    attributes: JSON.parse(row.attributes) as JsonObject,
    version: row.version,
    updatedAt: row.updated_at,
  };
}
