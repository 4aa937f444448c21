import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connackOf, grantOf, loginAs } from "../helpers/acl-clients.ts";
import { closedWithin, type SecureNodeProcess, spawnSecureNode } from "../helpers/identity-node.ts";
import { tempDir } from "../helpers/node.ts";
import { runUmbra } from "../helpers/umbra-cli.ts";

/**
 * `umbra device|user rotate` and `umbra token rotate` against a running node (a real `umbra broker`
 * process, real mqtt.js clients): the node follows within its one-second identity poll.
 */

/** The poll runs every second; on a loaded machine allow a few. */
const KICK_MS = 4000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("password rotation against a running node", { timeout: 60_000 }, () => {
  let dir: string;
  let node: SecureNodeProcess;
  const open: MqttClient[] = [];
  const umbra = (args: string[], stdin?: string) =>
    runUmbra([...args, "--data-dir", dir], stdin === undefined ? {} : { stdin });
  const ok = async (args: string[], stdin?: string) => {
    const r = await umbra(args, stdin);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  };
  const login = async (name: string, password: string) => {
    const c = await loginAs(node.mqttUrl, name, password);
    open.push(c);
    return c;
  };
  const codeOf = async (username: string, password: string) => {
    const r = await connackOf(node.mqttUrl, { username, password });
    if (r.client) open.push(r.client);
    return r.code;
  };
  beforeAll(async () => {
    dir = tempDir("umbra-rotate-it-");
    node = await spawnSecureNode(dir);
  });
  afterAll(async () => {
    for (const c of open) c.end(true);
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("without grace: the old password is refused, its sessions are closed, the new one works", async () => {
    const old = (JSON.parse(await ok(["device", "add", "rot-1", "--json"])) as { password: string }).password;
    const bystanderPassword = (
      JSON.parse(await ok(["device", "add", "rot-keep", "--json"])) as { password: string }
    ).password;
    const oldSession = await login("rot-1", old);
    (await login("rot-1", old)).end(true); // a second login: the node now has the old password cached
    const bystander = await login("rot-keep", bystanderPassword);

    const out = await ok(["device", "rotate", "rot-1"]);
    expect(out).toMatch(
      /^device 'rot-1': new password set\. Save it now, it is not shown again:\n {2}username: rot-1\n {2}password: [A-Za-z0-9_-]{32}\nThe old password stopped working/,
    );
    const fresh = /password: (\S+)/.exec(out)?.[1] as string;

    expect(await closedWithin(oldSession, KICK_MS)).toBeLessThan(KICK_MS);
    expect(await codeOf("rot-1", old)).toBe(4);
    const newSession = await login("rot-1", fresh);
    await sleep(2500); // two more polls: a session on the new password is not disconnected
    expect(newSession.connected).toBe(true);
    expect(await grantOf(newSession, "things/rot-1/telemetry")).toBe(1);
    expect(bystander.connected).toBe(true);

    // Audited: the node logs the rotation without the secret; the list shows when it was set.
    const log = node.output().stderr;
    expect(log).toContain("identity password changed");
    expect(log).toContain('"identity":"rot-1"');
    expect(log).not.toContain(fresh);
    expect(log).not.toContain(old);
    const list = await ok(["device", "list"]);
    expect(list.split("\n")[0]).toMatch(/NAME\s+ROLE\s+THINGS\s+PASSWORD SET\s+STATUS/);
    expect(list).toMatch(/rot-1\s+device\s+rot-1\s+\d{4}-\d\d-\d\dT[\d:.]+Z\s+active/);
  });

  it("with --grace: both passwords work until it ends, then old sessions are dropped", async () => {
    const old = (JSON.parse(await ok(["device", "add", "rot-2", "--json"])) as { password: string }).password;
    const oldSession = await login("rot-2", old);
    const rotated = JSON.parse(await ok(["device", "rotate", "rot-2", "--grace", "15s", "--json"])) as {
      password: string;
      passwordSetAt: string;
      oldPasswordUntil: string;
    };
    const until = Date.parse(rotated.oldPasswordUntil);
    expect(until - Date.parse(rotated.passwordSetAt)).toBe(15_000);

    await sleep(1500); // the node has seen the rotation
    expect(Date.now()).toBeLessThan(until - 1000); // still inside the grace (15 s is ample on a loaded machine)
    expect(oldSession.connected).toBe(true);
    expect(await codeOf("rot-2", old)).toBe(0);
    const newSession = await login("rot-2", rotated.password);
    const list = await ok(["device", "list"]);
    expect(list).toContain(`active; old password until ${rotated.oldPasswordUntil}`);
    expect(Date.now()).toBeLessThan(until); // all of the above ran inside the grace

    await sleep(Math.max(0, until - Date.now()));
    expect(await closedWithin(oldSession, KICK_MS)).toBeLessThan(KICK_MS);
    expect(await codeOf("rot-2", old)).toBe(4);
    await sleep(1500);
    expect(newSession.connected).toBe(true);
    expect(await codeOf("rot-2", rotated.password)).toBe(0);
  }, 60_000); // 15 s of grace plus the waits around it: ~18 s of sleeping alone

  it("rotates users (a chosen password from stdin or a file, never argv) and ends their console sessions", async () => {
    const opOld = (
      JSON.parse(await ok(["user", "add", "ops-rot", "--role", "operator", "--json"])) as { password: string }
    ).password;
    const bridgeOld = (
      JSON.parse(await ok(["user", "add", "br-rot", "--role", "bridge", "--things", "pdu-*", "--json"])) as {
        password: string;
      }
    ).password;
    const signIn = await fetch(`${node.httpUrl}/session`, {
      method: "POST",
      headers: { "x-umbra-console": "1", "content-type": "application/json" },
      body: JSON.stringify({ username: "ops-rot", password: opOld }),
    });
    expect(signIn.status).toBe(200);
    const cookie = signIn.headers.get("set-cookie")?.split(";")[0] as string;
    const page = () => fetch(`${node.httpUrl}/session`, { headers: { cookie } });
    expect((await page()).status).toBe(200);
    const opSession = await login("ops-rot", opOld);
    const bridgeSession = await login("br-rot", bridgeOld);

    const chosen = "a long operator pass phrase 42";
    const out = await ok(["user", "passwd", "ops-rot", "--password-stdin"], `${chosen}\n`);
    expect(out).toContain("'ops-rot': new password set (the one given).");
    expect(out).not.toContain(chosen);
    const file = join(dir, "bridge-password.txt");
    writeFileSync(file, "bridge pass phrase from a file\n", { mode: 0o600 });
    await ok(["user", "rotate", "br-rot", "--password-file", file]);

    await Promise.all([closedWithin(opSession, KICK_MS), closedWithin(bridgeSession, KICK_MS)]);
    expect((await page()).status).toBe(401); // the console session signed in with the old password
    expect(await codeOf("ops-rot", opOld)).toBe(4);
    expect(await codeOf("ops-rot", chosen)).toBe(0);
    expect(await codeOf("br-rot", "bridge pass phrase from a file")).toBe(0);

    const short = await umbra(["user", "rotate", "ops-rot", "--password-stdin"], "short\n");
    expect(short.code).toBe(2);
    expect(short.stderr).toContain("at least 16 characters");
    const wrongScope = await umbra(["user", "rotate", "rot-1"]);
    expect(wrongScope.code).toBe(1);
    expect(wrongScope.stderr).toContain("umbra device rotate rot-1");
  });

  it("device add on an existing device points to rotate; token rotate replaces an HTTP token", async () => {
    const again = await umbra(["device", "add", "rot-1"]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("give it a new password with `umbra device rotate rot-1`");

    const { token, id } = JSON.parse(
      await ok(["token", "create", "--role", "viewer", "--name", "dash-rot", "--json"]),
    ) as {
      token: string;
      id: string;
    };
    const get = (t: string) => fetch(`${node.httpUrl}/things`, { headers: { authorization: `Bearer ${t}` } });
    expect((await get(token)).status).toBe(200);
    const r = JSON.parse(await ok(["token", "rotate", "dash-rot", "--json"])) as {
      token: string;
      replaced: string;
    };
    expect(r.replaced).toBe(id);
    expect((await get(token)).status).toBe(401);
    expect((await get(r.token)).status).toBe(200);
    expect(await ok(["token", "list"])).toMatch(new RegExp(`${id}\\s+dash-rot\\s+viewer\\s+\\*\\s+revoked`));
  });

  it("leaves an identity's HTTP tokens valid on a password rotation, and says so", async () => {
    const { token } = JSON.parse(
      await ok(["token", "create", "--role", "viewer", "--name", "rot-1", "--things", "rot-1", "--json"]),
    ) as { token: string };
    const out = await ok(["device", "rotate", "rot-1", "--grace", "30s"]);
    expect(out).toMatch(
      /The old password keeps working until \d{4}-\d\d-\d\dT[\d:.]+Z \(grace 30s\); then a running node refuses it/,
    );
    expect(out).toContain("Its HTTP token does not derive from the password and keeps working");
    await sleep(1500);
    const res = await fetch(`${node.httpUrl}/things`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
  });
});
