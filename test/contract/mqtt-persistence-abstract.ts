/**
 * aedes-persistence's own abstract test suite (node:test) run against the node's SQLite persistence,
 * each instance on a fresh database file. Run by test/unit/mqtt-persistence.test.ts:
 *   node --import tsx --test test/contract/mqtt-persistence-abstract.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { SqlitePersistence } from "../../broker/mqtt/persistence/sqlite-persistence.ts";

const require = createRequire(import.meta.url);
const abstract = require("aedes-persistence/abstract.js") as (opts: object) => void;

const dir = mkdtempSync(join(tmpdir(), "umbra-persistence-abstract-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
abstract({
  test,
  persistence: () => new SqlitePersistence(join(dir, `p${n++}.db`)),
  testAsync: true,
});
