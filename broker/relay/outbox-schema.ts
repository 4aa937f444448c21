import type { Db } from "../store/database.ts";

/** A value of `relay_outbox_state`, created with `init()` on first use. */
export function outboxStateValue(db: Db, key: string, init: () => string): string {
  const row = db.prepare("SELECT value FROM relay_outbox_state WHERE key = ?").get(key) as
    | { value: string }
    | undefined;
  if (row) return row.value;
  const value = init();
  db.prepare("INSERT INTO relay_outbox_state (key, value) VALUES (?, ?)").run(key, value);
  return value;
}

export function setOutboxState(db: Db, key: string, value: string): void {
  db.prepare(
    "INSERT INTO relay_outbox_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
  ).run(key, value);
}
