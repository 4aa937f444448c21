import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { USER_ROLES, type UserRole } from "../../shared/acl.ts";
import { isValidThingPattern } from "../../shared/glob.ts";
import { isValidThingName } from "../../shared/topics.ts";
import { IdentityError, type IdentityRecord, IdentityStore } from "../auth/identity-store.ts";
import { loadConfig } from "../config-load.ts";
import { openDatabase } from "../store/database.ts";
import { columns } from "./columns.ts";

interface StoreOpts {
  dataDir?: string;
  json?: boolean;
  /** Create the store when the data dir has none (provisioning before the node's first start). */
  init?: boolean;
}

/**
 * Opens the identity store of a data dir (the node may be running: SQLite WAL allows it). A data dir
 * without a store is refused unless `--init` says to create one: an identity added to a store no node
 * reads would print working-looking credentials that fail later with "bad user name or password".
 */
function withStore<T>(opts: StoreOpts, fn: (store: IdentityStore) => T): T {
  const dataDir = loadConfig({ env: process.env, flags: { dataDir: opts.dataDir } }).dataDir;
  if (!opts.init && !existsSync(join(dataDir, "umbra.db"))) {
    fail(
      `no Umbra node data in ${resolve(dataDir)} (no umbra.db there): run this in the node's directory, pass --data-dir or UMBRA_DATA_DIR, or add --init to create a new store for a node that has not started yet`,
    );
  }
  const db = openDatabase(dataDir);
  try {
    return fn(new IdentityStore(db));
  } catch (err) {
    if (err instanceof IdentityError) fail(err.message);
    throw err;
  } finally {
    db.close();
  }
}

function fail(message: string, code = 2): never {
  process.stderr.write(`umbra: ${message}\n`);
  process.exit(code);
}

function print(opts: StoreOpts, json: unknown, text: string): void {
  process.stdout.write(opts.json ? `${JSON.stringify(json)}\n` : `${text}\n`);
}

function table(records: IdentityRecord[]): string {
  return columns(
    ["NAME", "ROLE", "THINGS", "STATUS"],
    records.map((r) => [
      r.name,
      r.role,
      r.things,
      r.revokedAt ? `revoked ${new Date(r.revokedAt).toISOString()}` : "active",
    ]),
  );
}

/** What else a revocation took: the identity's bearer tokens (a running node refuses them at once). */
function revokedSuffix(tokens: number): string {
  const what = tokens === 1 ? "1 HTTP token" : `${tokens} HTTP tokens`;
  return `: password and ${what} (a running node disconnects its sessions and refuses the tokens at once)`;
}

const dataDirOption = [
  "--data-dir <dir>",
  "the node's data dir (default ./data, env UMBRA_DATA_DIR)",
] as const;
const initOption = [
  "--init",
  "create the store if the data dir has none (before the node's first start)",
] as const;

export function registerIdentityCommands(program: Command): void {
  const device = program.command("device").description("device identities (one per thing)");
  device
    .command("add <thing>")
    .description("create a device identity and print its credentials (shown only once)")
    .option(...dataDirOption)
    .option(...initOption)
    .option("--json", 'print {"thing","username","password"}')
    .action((thing: string, opts: StoreOpts) => {
      if (!isValidThingName(thing))
        fail(`invalid thing name '${thing}': use 1-128 characters of [a-zA-Z0-9:_-]`);
      const password = withStore(opts, (s) => s.add(thing, "device", thing));
      print(
        opts,
        { thing, username: thing, password },
        `device '${thing}' created. Save these credentials now, they are not shown again:\n  username: ${thing}\n  password: ${password}`,
      );
    });
  device
    .command("list")
    .description("list device identities")
    .option(...dataDirOption)
    .option("--json", "print JSON")
    .action((opts: StoreOpts) => {
      const records = withStore(opts, (s) => s.list((r) => r.role === "device"));
      print(opts, records, table(records));
    });
  device
    .command("revoke <thing>")
    .description("revoke a device identity; a running node disconnects its sessions")
    .option(...dataDirOption)
    .action((thing: string, opts: StoreOpts) => {
      const r = withStore(opts, (s) => s.revokeAll(thing, "device"));
      if (!r.identity) fail(`no active device identity '${thing}'`, 1);
      process.stdout.write(`device '${thing}' revoked${revokedSuffix(r.tokens)}\n`);
    });

  const user = program.command("user").description("operator, viewer, bridge and site identities");
  user
    .command("add <name>")
    .description("create a user identity and print its credentials (shown only once)")
    .requiredOption("--role <role>", `one of ${USER_ROLES.join(", ")}`)
    .option("--things <glob>", "things it acts on: comma-separated globs", "*")
    .option(...dataDirOption)
    .option(...initOption)
    .option("--json", 'print {"name","username","password","role"}')
    .action((name: string, opts: StoreOpts & { role: string; things: string }) => {
      if (!isValidThingName(name)) fail(`invalid name '${name}': use 1-128 characters of [a-zA-Z0-9:_-]`);
      if (!(USER_ROLES as readonly string[]).includes(opts.role))
        fail(`--role must be one of ${USER_ROLES.join(", ")}`);
      if (!isValidThingPattern(opts.things))
        fail(`invalid --things '${opts.things}': comma-separated globs of thing names`);
      const password = withStore(opts, (s) => s.add(name, opts.role as UserRole, opts.things));
      print(
        opts,
        { name, username: name, password, role: opts.role, things: opts.things },
        `${opts.role} '${name}' created (things: ${opts.things}). Save these credentials now, they are not shown again:\n  username: ${name}\n  password: ${password}`,
      );
    });
  user
    .command("list")
    .description("list user identities")
    .option(...dataDirOption)
    .option("--json", "print JSON")
    .action((opts: StoreOpts) => {
      const records = withStore(opts, (s) => s.list((r) => r.role !== "device"));
      print(opts, records, table(records));
    });
  user
    .command("revoke <name>")
    .description("revoke a user identity; a running node disconnects its sessions")
    .option(...dataDirOption)
    .action((name: string, opts: StoreOpts) => {
      const r = withStore(opts, (s) => s.revokeAll(name, "user"));
      if (!r.identity) fail(`no active user identity '${name}' (devices: umbra device revoke)`, 1);
      process.stdout.write(`'${name}' revoked${revokedSuffix(r.tokens)}\n`);
    });

  const token = program.command("token").description("bearer tokens for the HTTP API");
  token
    .command("create")
    .description("create a bearer token and print it (shown only once)")
    .requiredOption("--role <role>", "operator or viewer (bridge and site work too)")
    .option("--name <name>", "a label to find and revoke it by", "token")
    .option("--things <glob>", "things it acts on: comma-separated globs", "*")
    .option(...dataDirOption)
    .option(...initOption)
    .option("--json", 'print {"id","name","role","token"}')
    .action((opts: StoreOpts & { role: string; name: string; things: string }) => {
      if (!(USER_ROLES as readonly string[]).includes(opts.role))
        fail(`--role must be one of ${USER_ROLES.join(", ")}`);
      if (!isValidThingPattern(opts.things)) fail(`invalid --things '${opts.things}'`);
      const { id, token: secret } = withStore(opts, (s) =>
        s.createToken(opts.name, opts.role as UserRole, opts.things),
      );
      print(
        opts,
        { id, name: opts.name, role: opts.role, things: opts.things, token: secret },
        `token ${id} (${opts.role}) created. Save it now, it is not shown again:\n  ${secret}\nUse it as: Authorization: Bearer <token>  (or UMBRA_TOKEN for the umbra CLI)`,
      );
    });
  token
    .command("list")
    .description("list tokens (ids and names, never the secrets)")
    .option(...dataDirOption)
    .option("--json", "print JSON")
    .action((opts: StoreOpts) => {
      const tokens = withStore(opts, (s) => s.listTokens());
      print(
        opts,
        tokens,
        columns(
          ["ID", "NAME", "ROLE", "THINGS", "STATUS"],
          tokens.map((t) => [t.id, t.name, t.role, t.things, t.revokedAt ? "revoked" : "active"]),
        ),
      );
    });
  token
    .command("revoke <idOrName>")
    .description("revoke a token by id, or every token with that name")
    .option(...dataDirOption)
    .action((idOrName: string, opts: StoreOpts) => {
      const n = withStore(opts, (s) => s.revokeToken(idOrName));
      if (n === 0) fail(`no active token '${idOrName}'`, 1);
      process.stdout.write(`${n} token(s) revoked\n`);
    });
}
