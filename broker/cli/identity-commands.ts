import type { Command } from "commander";
import { USER_ROLES, type UserRole } from "../../shared/acl.ts";
import { isValidThingPattern } from "../../shared/glob.ts";
import { isValidThingName } from "../../shared/topics.ts";
import type { IdentityListing } from "../auth/identity-store.ts";
import { columns } from "./columns.ts";
import { dataDirOption, fail, initOption, print, type StoreOpts, withStore } from "./identity-store-cli.ts";
import { registerRotateCommands } from "./rotate-commands.ts";

function table(records: IdentityListing[]): string {
  return columns(
    ["NAME", "ROLE", "THINGS", "PASSWORD SET", "STATUS"],
    records.map((r) => [r.name, r.role, r.things, iso(r.passwordSetAt), statusOf(r)]),
  );
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A token's revocation time in the future is the end of its grace period after `token rotate`. */
function tokenStatus(revokedAt: number | null): string {
  if (revokedAt === null) return "active";
  return revokedAt > Date.now() ? `replaced; works until ${iso(revokedAt)}` : "revoked";
}

function statusOf(r: IdentityListing): string {
  if (r.revokedAt) return `revoked ${iso(r.revokedAt)}`;
  if (r.previousPasswordUntil) return `active; old password until ${iso(r.previousPasswordUntil)}`;
  return "active";
}

/** What else a revocation took: the identity's bearer tokens (a running node refuses them at once). */
function revokedSuffix(tokens: number): string {
  const what = tokens === 1 ? "1 HTTP token" : `${tokens} HTTP tokens`;
  return `: password and ${what} (a running node disconnects its sessions and refuses the tokens at once)`;
}

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
          tokens.map((t) => [t.id, t.name, t.role, t.things, tokenStatus(t.revokedAt)]),
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
  registerRotateCommands(device, user, token);
}
