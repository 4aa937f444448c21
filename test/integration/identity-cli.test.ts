import { existsSync, readFileSync, rmSync, statSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connackOf } from "../helpers/acl-clients.ts";
import { connectWithin, type SecureNodeProcess, spawnSecureNode } from "../helpers/identity-node.ts";
import { tempDir } from "../helpers/node.ts";
import { runUmbra } from "../helpers/umbra-cli.ts";

/**
 * `umbra device|user|token` on a data dir, as child processes: credentials are printed once (with a
 * stable --json shape), stored only hashed, duplicates and bad input are refused with exit 2.
 */

const json = <T = Record<string, unknown>>(stdout: string): T => JSON.parse(stdout) as T;

/** Every cell of every table of the store, as text. */
function dumpStore(dataDir: string): { table: string; text: string }[] {
  const db = new Database(join(dataDir, "umbra.db"), { readonly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
      name: string;
    }[];
    return tables.map(({ name }) => ({
      table: name,
      text: (db.prepare(`SELECT * FROM "${name}"`).raw().all() as unknown[][])
        .flat()
        .map((v) => (Buffer.isBuffer(v) ? v.toString("latin1") : String(v)))
        .join("\n"),
    }));
  } finally {
    db.close();
  }
}

describe("umbra device|user|token on a data dir", () => {
  let dir: string;
  const umbra = (...args: string[]) => runUmbra([...args, "--data-dir", dir]);
  const secrets: string[] = [];
  beforeAll(() => {
    dir = tempDir("umbra-idcli-");
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("creates identities and tokens and prints their credentials once", async () => {
    // The first command creates the store; the others then run concurrently (SQLite WAL, busy timeout).
    const dev = await umbra("device", "add", "pdu-1", "--json", "--init");
    const [devText, op, tok] = await Promise.all([
      umbra("device", "add", "pdu-2"),
      umbra("user", "add", "ops", "--role", "operator", "--things", "pdu-*,ups-?", "--json"),
      umbra("token", "create", "--role", "viewer", "--name", "dash", "--json"),
    ]);
    for (const r of [dev, devText, op, tok]) expect(r.code, r.stderr).toBe(0);

    const d = json(dev.stdout);
    expect(Object.keys(d).sort()).toEqual(["password", "thing", "username"]);
    expect(d).toMatchObject({ thing: "pdu-1", username: "pdu-1" });
    expect(d.password).toMatch(/^[A-Za-z0-9_-]{32}$/);

    const text = /password: (\S+)/.exec(devText.stdout)?.[1] ?? "";
    expect(text).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(devText.stdout).toMatch(/username: pdu-2/);
    expect(devText.stdout).toMatch(/not shown again/);

    const o = json(op.stdout);
    expect(o).toMatchObject({ name: "ops", username: "ops", role: "operator", things: "pdu-*,ups-?" });
    expect(o.password).toMatch(/^[A-Za-z0-9_-]{32}$/);

    const t = json(tok.stdout);
    expect(t).toMatchObject({ name: "dash", role: "viewer", things: "*" });
    expect(t.token).toMatch(new RegExp(`^umb_${t.id}_[A-Za-z0-9_-]{40,}$`));
    secrets.push(d.password as string, text, o.password as string, t.token as string);
    // Distinct random secrets.
    expect(new Set(secrets).size).toBe(4);
  });

  it("lists identities and tokens without any secret", async () => {
    const [devices, users, tokens, devicesText] = await Promise.all([
      umbra("device", "list", "--json"),
      umbra("user", "list", "--json"),
      umbra("token", "list", "--json"),
      umbra("device", "list"),
    ]);
    expect(json<{ name: string; role: string }[]>(devices.stdout).map((r) => [r.name, r.role])).toEqual([
      ["pdu-1", "device"],
      ["pdu-2", "device"],
    ]);
    expect(json<{ name: string }[]>(users.stdout).map((r) => r.name)).toEqual(["ops"]);
    expect(json<{ name: string }[]>(tokens.stdout).map((r) => r.name)).toEqual(["dash"]);
    expect(devicesText.stdout).toMatch(
      /^NAME\s+ROLE\s+THINGS\s+PASSWORD SET\s+STATUS\npdu-1\s+device\s+pdu-1\s+\d{4}-\d\d-\d\dT[\d:.]+Z\s+active\n/,
    );
    // When the password was set is listed (passwordSetAt); the password itself never is.
    for (const out of [devices, users, tokens, devicesText].map((r) => r.stdout)) {
      expect(out).not.toMatch(/scrypt\$|"password"|token"?:\s*"umb_/);
      for (const s of secrets) expect(out).not.toContain(s);
    }
  });

  it("stores passwords only as scrypt hashes and tokens only as digests", () => {
    expect(secrets.length).toBe(4);
    const dump = dumpStore(dir);
    expect(dump.map((t) => t.table)).toEqual(expect.arrayContaining(["identities", "tokens"]));
    for (const { table, text } of dump) {
      for (const s of secrets) expect(text, `${table} holds a secret`).not.toContain(s);
      // Nor the token's random part alone (`umb_<8-char id>_<secret>`).
      expect(text).not.toContain((secrets[3] as string).slice(13));
    }
    const db = new Database(join(dir, "umbra.db"), { readonly: true });
    try {
      const hashes = db.prepare("SELECT password_hash FROM identities").pluck().all() as string[];
      expect(hashes).toHaveLength(3);
      for (const h of hashes) expect(h).toMatch(/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
      expect(new Set(hashes).size).toBe(3); // salted
    } finally {
      db.close();
    }
  });

  it("refuses a duplicate with exit 2, and re-adds after revoke with a new password", async () => {
    const dup = await umbra("device", "add", "pdu-1");
    expect(dup.code).toBe(2);
    expect(dup.stderr).toMatch(/already exists/);
    expect(dup.stdout).toBe("");
    // One name space for devices and users.
    const clash = await umbra("user", "add", "pdu-1", "--role", "viewer");
    expect(clash.code).toBe(2);

    expect((await umbra("device", "revoke", "pdu-1")).code).toBe(0);
    const again = await umbra("device", "revoke", "pdu-1");
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/no active device identity 'pdu-1'/);
    const listed = json<{ name: string; revokedAt: number | null }[]>(
      (await umbra("device", "list", "--json")).stdout,
    );
    expect(listed.find((r) => r.name === "pdu-1")?.revokedAt).toEqual(expect.any(Number));

    const readd = await umbra("device", "add", "pdu-1", "--json");
    expect(readd.code, readd.stderr).toBe(0);
    expect(json(readd.stdout).password).not.toBe(secrets[0]);
    const relisted = json<{ name: string; revokedAt: number | null }[]>(
      (await umbra("device", "list", "--json")).stdout,
    );
    expect(relisted.find((r) => r.name === "pdu-1")?.revokedAt).toBeNull();
  });

  it("revokes users and tokens", async () => {
    const [user, tokenByName, unknownUser, unknownToken] = await Promise.all([
      umbra("user", "revoke", "ops"),
      umbra("token", "revoke", "dash"),
      umbra("user", "revoke", "nobody"),
      umbra("token", "revoke", "nothing"),
    ]);
    expect(user.code).toBe(0);
    expect(tokenByName.stdout).toMatch(/1 token\(s\) revoked/);
    expect(unknownUser.code).toBe(1);
    expect(unknownToken.code).toBe(1);
  });

  it.each([
    [["user", "add", "x1", "--role", "admin"], /--role must be one of operator, viewer, bridge, site/],
    [["user", "add", "x2", "--role", "device"], /--role must be one of/],
    [["user", "add", "bad name", "--role", "viewer"], /invalid name 'bad name'/],
    [["user", "add", "x3", "--role", "viewer", "--things", "a b"], /invalid --things 'a b'/],
    [["user", "add", "x4", "--role", "bridge", "--things", "pdu-*,"], /invalid --things/],
    [["user", "add", "x5", "--role", "bridge", "--things", "a/#"], /invalid --things/],
    [["device", "add", "bad/thing"], /invalid thing name 'bad\/thing'/],
    [["device", "add", "x".repeat(129)], /invalid thing name/],
    [["token", "create", "--role", "root"], /--role must be one of/],
    [["token", "create", "--role", "viewer", "--things", "+"], /invalid --things/],
  ])("refuses %j with exit 2 and a clear message", async (args, message) => {
    const r = await umbra(...(args as string[]));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message as RegExp);
    expect(r.stdout).toBe("");
  });

  it("finds the data dir through UMBRA_DATA_DIR", async () => {
    const r = await runUmbra(["device", "list", "--json"], { env: { UMBRA_DATA_DIR: dir } });
    expect(r.code, r.stderr).toBe(0);
    expect(json<{ name: string }[]>(r.stdout).map((x) => x.name)).toContain("pdu-2");
  });
});

describe("a running node and the identity commands", () => {
  let dir: string;
  let node: SecureNodeProcess;
  const outputs: string[] = [];
  const secrets: string[] = [];
  beforeAll(async () => {
    dir = tempDir("umbra-idnode-");
    // Debug logging: the most a node ever logs, so the secret checks below cover every log line.
    node = await spawnSecureNode(dir, { UMBRA_LOG_LEVEL: "debug" });
  });
  afterAll(async () => {
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("creates DATA_DIR/admin.json (0600) on first start, says where, and its credentials work", async () => {
    const file = join(dir, "admin.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const admin = JSON.parse(readFileSync(file, "utf8")) as Record<string, string>;
    expect(admin).toMatchObject({ username: "admin", role: "operator" });
    expect(admin.password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(admin.token).toMatch(/^umb_/);
    secrets.push(admin.password as string, admin.token as string);
    expect(node.output().stderr).toContain(file);

    const mqtt = await connackOf(node.mqttUrl, { username: "admin", password: admin.password });
    expect(mqtt.code).toBe(0);
    await mqtt.client?.endAsync();
    const res = await fetch(`${node.httpUrl}/things`, {
      headers: { authorization: `Bearer ${admin.token}` },
    });
    expect(res.status).toBe(200);
  });

  it("lets a device added by the CLI connect within 2 s, without a restart", async () => {
    const added = await runUmbra(["device", "add", "live-1", "--json", "--data-dir", dir]);
    expect(added.code, added.stderr).toBe(0);
    const { password } = JSON.parse(added.stdout) as { password: string };
    secrets.push(password);
    const { client, ms } = await connectWithin(node.mqttUrl, "live-1", password, 2000);
    expect(ms).toBeLessThan(2000);
    await client.endAsync();
    // A wrong password for it is still refused.
    expect((await connackOf(node.mqttUrl, { username: "live-1", password: "nope" })).code).toBe(4);
  });

  it("never writes a password or token to its output, and keeps admin.json on later starts", async () => {
    expect(secrets).toHaveLength(3);
    const before = readFileSync(join(dir, "admin.json"), "utf8");
    expect(await node.stop()).toBe(0);
    const first = node.output();
    outputs.push(first.stdout, first.stderr);

    node = await spawnSecureNode(dir, { UMBRA_LOG_LEVEL: "debug" });
    expect(readFileSync(join(dir, "admin.json"), "utf8")).toBe(before);
    expect(node.output().stderr).not.toMatch(/created the first operator credential/);
    // Deleting the file (as docs/security.md advises) does not bring a new admin back: identities exist.
    unlinkSync(join(dir, "admin.json"));
    expect(await node.stop()).toBe(0);
    outputs.push(node.output().stdout, node.output().stderr);
    node = await spawnSecureNode(dir, { UMBRA_LOG_LEVEL: "debug" });
    expect(existsSync(join(dir, "admin.json"))).toBe(false);

    expect(first.stderr).toMatch(/"level":20|"msg"/); // the captured logs are really there
    for (const out of outputs)
      for (const secret of secrets) {
        expect(out).not.toContain(secret);
        expect(out).not.toContain(secret.slice(-16)); // nor a recognisable part of it
      }
  });
});
