import { readFileSync, statSync } from "node:fs";
import type { Command } from "commander";
import { formatDuration, parseDuration } from "../../shared/telemetry-duration.ts";
import type { IdentityScope, Rotation } from "../auth/identity-store.ts";
import { chosenPassword, MAX_CHOSEN_PASSWORD } from "../auth/password-window.ts";
import { dataDirOption, fail, print, type StoreOpts, withStore } from "./identity-store-cli.ts";

interface RotateOpts extends StoreOpts {
  grace?: string;
  passwordStdin?: boolean;
  passwordFile?: string;
}

const graceOption = [
  "--grace <duration>",
  "keep the old one working this long (e.g. 30m, 1h, 7d) to re-provision a fleet; default: it stops at once",
] as const;

/**
 * `umbra device rotate`, `umbra user rotate` (new password) and `umbra token rotate` (new token).
 * A chosen password comes from stdin or a file, never from argv (visible in `ps` and shell history).
 */
export function registerRotateCommands(device: Command, user: Command, token: Command): void {
  for (const [group, scope] of [
    [device, "device"],
    [user, "user"],
  ] as const) {
    group
      .command(`rotate <${scope === "device" ? "thing" : "name"}>`)
      .alias("passwd")
      .description(
        `give a ${scope} identity a new password (generated and shown once, or --password-stdin/--password-file); a running node refuses the old one and disconnects its sessions (at once, or when --grace ends)`,
      )
      .option(...graceOption)
      .option("--password-stdin", "read the new password from stdin (one line, at least 16 characters)")
      .option(
        "--password-file <path>",
        "read the new password from a file (one line, at least 16 characters)",
      )
      .option(...dataDirOption)
      .option("--json", 'print {"name","username","password"?,"passwordSetAt","oldPasswordUntil"}')
      .action((name: string, opts: RotateOpts) => rotatePassword(scope, name, opts));
  }
  token
    .command("rotate <idOrName>")
    .description(
      "replace a token (by id, or the one token with that name) with a new one of the same name, role and things; the old one stops at once or when --grace ends",
    )
    .option(...graceOption)
    .option(...dataDirOption)
    .option("--json", 'print {"id","replaced","oldTokenUntil","token"}')
    .action((idOrName: string, opts: RotateOpts) => {
      const graceMs = graceOf(opts);
      const r = withStore(opts, (s) => s.rotateToken(idOrName, graceMs));
      print(
        opts,
        { id: r.id, replaced: r.replaced, oldTokenUntil: new Date(r.until).toISOString(), token: r.token },
        `token ${r.replaced} replaced by token ${r.id}. Save it now, it is not shown again:\n  ${r.token}\n${oldStops("token", r.until, graceMs, "refuses it")}`,
      );
    });
}

function rotatePassword(scope: IdentityScope, name: string, opts: RotateOpts): void {
  const graceMs = graceOf(opts);
  const given = givenPassword(opts);
  const { rotation, tokens } = withStore(opts, (s) => ({
    rotation: s.rotatePassword(name, scope, { graceMs, ...(given === undefined ? {} : { password: given }) }),
    tokens: s.listTokens().filter((t) => t.name === name && t.revokedAt === null).length,
  }));
  print(
    opts,
    jsonOf(name, rotation, given === undefined),
    textOf(scope, name, rotation, graceMs, given, tokens),
  );
}

function graceOf(opts: RotateOpts): number {
  if (opts.grace === undefined) return 0;
  const ms = parseDuration(opts.grace);
  if (ms === null) fail(`invalid --grace '${opts.grace}': a duration such as 90s, 30m, 1h, 7d`);
  return ms;
}

/** The password from --password-stdin or --password-file; undefined: generate one. */
function givenPassword(opts: RotateOpts): string | undefined {
  if (opts.passwordStdin && opts.passwordFile) fail("use --password-stdin or --password-file, not both");
  let text: string;
  try {
    if (opts.passwordStdin) text = readFileSync(0, "utf8");
    else if (opts.passwordFile) {
      // A chosen password is one short line: do not read a large file by mistake.
      if (statSync(opts.passwordFile).size > MAX_CHOSEN_PASSWORD * 4 + 2)
        fail(`${opts.passwordFile} is too large for a password file`);
      text = readFileSync(opts.passwordFile, "utf8");
    } else return undefined;
  } catch (err) {
    fail(`cannot read the password: ${(err as Error).message}`);
  }
  try {
    return chosenPassword(text);
  } catch (err) {
    fail((err as Error).message);
  }
}

function jsonOf(name: string, r: Rotation, generated: boolean): Record<string, unknown> {
  return {
    name,
    username: name,
    ...(generated ? { password: r.password } : {}),
    passwordSetAt: new Date(r.setAt).toISOString(),
    oldPasswordUntil: r.previousUntil === null ? null : new Date(r.previousUntil).toISOString(),
  };
}

function textOf(
  scope: IdentityScope,
  name: string,
  r: Rotation,
  graceMs: number,
  given: string | undefined,
  tokens: number,
): string {
  const what = scope === "device" ? "device" : "identity";
  const lines =
    given === undefined
      ? [
          `${what} '${name}': new password set. Save it now, it is not shown again:`,
          `  username: ${name}`,
          `  password: ${r.password}`,
        ]
      : [`${what} '${name}': new password set (the one given).`];
  lines.push(
    oldStops(
      "password",
      r.previousUntil ?? r.setAt,
      graceMs,
      "refuses it and disconnects sessions that use it",
    ),
  );
  if (tokens > 0)
    lines.push(
      tokens === 1
        ? "Its HTTP token does not derive from the password and keeps working; replace it with `umbra token rotate <id>` (`umbra token list`)."
        : `Its ${tokens} HTTP tokens do not derive from the password and keep working; replace them with \`umbra token rotate <id>\` (\`umbra token list\`).`,
    );
  return lines.join("\n");
}

function oldStops(what: string, until: number, graceMs: number, effect: string): string {
  if (graceMs <= 0) return `The old ${what} stopped working: a running node ${effect} within a second.`;
  return `The old ${what} keeps working until ${new Date(until).toISOString()} (grace ${formatDuration(graceMs)}); then a running node ${effect}.`;
}
