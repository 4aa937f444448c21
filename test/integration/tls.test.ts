import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_SECURITY } from "../../shared/config.ts";
import { createTestPki, type TestPki } from "../helpers/certs.ts";
import { attemptConnect, describeAttempt, silentSocketLifetime } from "../helpers/connect-attempt.ts";
import { connectClient, Inbox } from "../helpers/mqtt.ts";
import { REPO_ROOT, startTestNode, type TestNode, tempDir, UMBRA_BIN } from "../helpers/node.ts";

/** MQTT over TLS (`--tls-port`): the node's certificate, credentials over TLS, and plain MQTT alongside. */
describe("MQTT over TLS", () => {
  let pki: TestPki;
  let node: TestNode;
  let ca: Buffer;
  let password: string;
  const thing = "tls-dev-1";

  beforeAll(async () => {
    pki = createTestPki();
    ca = pki.read(pki.ca.cert);
    node = await startTestNode({
      allowAnonymous: false,
      tlsPort: 0,
      tlsCert: pki.server.cert,
      tlsKey: pki.server.key,
    });
    password = node.identities.add(thing, "device", thing);
  });
  afterAll(async () => {
    await node?.stop();
    pki?.remove();
  });

  it("lists an mqtts:// listener next to the plain one", () => {
    expect(node.urls.mqtts).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
    expect(node.urls.mqtt).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    expect(node.urls.mqtts).not.toBe(node.urls.mqtt);
  });

  it("a client that trusts the CA updates its shadow over mqtts with username and password", async () => {
    const c = await connectClient(node.urls.mqtts ?? "", { ca, username: thing, password, clientId: thing });
    try {
      const inbox = new Inbox(c);
      await c.subscribeAsync(`$aws/things/${thing}/shadow/update/+`, { qos: 1 });
      await c.publishAsync(
        `$aws/things/${thing}/shadow/update`,
        JSON.stringify({ state: { reported: { link: "tls" } }, clientToken: "t1" }),
        { qos: 1 },
      );
      const accepted = await inbox.nextJson<{ version: number; clientToken: string; state: unknown }>(
        `$aws/things/${thing}/shadow/update/accepted`,
      );
      expect(accepted.version).toBe(1);
      expect(accepted.clientToken).toBe("t1");
      expect(accepted.state).toEqual({ reported: { link: "tls" } });
      // The socket really is TLS: the node saw a TLS connection for this client.
      const server = Object.values(
        (node.broker as unknown as { clients: Record<string, object> }).clients,
      ).find((cl) => (cl as { id: string }).id === thing);
      expect(server).toBeDefined();
      expect(node.access.connections.get(server as never)?.tls?.encrypted).toBe(true);
    } finally {
      await c.endAsync();
    }
  });

  it("a client that does not trust the node's CA fails the TLS handshake", async () => {
    for (const opts of [{}, { ca: pki.read(pki.otherCa.cert) }]) {
      const a = await attemptConnect(node.urls.mqtts ?? "", { ...opts, username: thing, password });
      expect(a.outcome, describeAttempt(a)).toBe("failed");
      if (a.outcome === "failed") {
        expect((a.error as { code?: string }).code).toMatch(
          /SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT/,
        );
      }
    }
  });

  it("authentication applies over TLS: wrong password → CONNACK 4, no credentials → CONNACK 5", async () => {
    const wrong = await attemptConnect(node.urls.mqtts ?? "", { ca, username: thing, password: "nope" });
    expect(wrong, describeAttempt(wrong)).toEqual({ outcome: "refused", code: 4 });
    const anonymous = await attemptConnect(node.urls.mqtts ?? "", { ca });
    expect(anonymous, describeAttempt(anonymous)).toEqual({ outcome: "refused", code: 5 });
  });

  it("plain MQTT keeps working on its own port and shares the broker with TLS clients", async () => {
    const plain = await connectClient(node.urls.mqtt ?? "", { username: thing, password, clientId: "plain" });
    const secure = await connectClient(node.urls.mqtts ?? "", { ca, username: thing, password });
    try {
      const inbox = new Inbox(plain);
      await plain.subscribeAsync(`things/${thing}/telemetry`, { qos: 1 });
      await secure.publishAsync(`things/${thing}/telemetry`, "42", { qos: 1 });
      expect((await inbox.next(`things/${thing}/telemetry`)).toString()).toBe("42");
      // The plain port speaks plain MQTT only: a TLS client cannot handshake with it.
      const tlsOnPlain = await attemptConnect(
        node.urls.mqtt?.replace("mqtt://", "mqtts://") ?? "",
        { ca, username: thing, password },
        2000,
      );
      expect(tlsOnPlain.outcome, describeAttempt(tlsOnPlain)).not.toBe("connected");
    } finally {
      await Promise.all([plain.endAsync(), secure.endAsync()]);
    }
  });
});

/** The real CLI with `--tls-port 0`: its ready line carries the extra listener URLs after MQTT and HTTP. */
describe("umbra broker --tls-port", () => {
  let pki: TestPki;
  const dataDir = tempDir();
  beforeAll(() => {
    pki = createTestPki();
  });
  afterAll(() => {
    pki?.remove();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("prints an mqtts:// URL in its ready line, and that listener accepts the admin over TLS", async () => {
    const args = [
      UMBRA_BIN,
      "broker",
      "--host",
      "127.0.0.1",
      "--mqtt-port",
      "0",
      "--http-port",
      "0",
      "--data-dir",
      dataDir,
      "--tls-port",
      "0",
      "--tls-cert",
      pki.server.cert,
      "--tls-key",
      pki.server.key,
    ];
    const child = spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      env: { ...process.env, UMBRA_LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((res) => child.once("exit", (code) => res(code)));
    try {
      const ready = await new Promise<string>((resolve, reject) => {
        let out = "";
        const timer = setTimeout(() => reject(new Error(`not ready in 20 s; stderr: ${stderr}`)), 20_000);
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          const line = /umbra: ready .*\n/.exec(out);
          if (line) {
            clearTimeout(timer);
            resolve(line[0].trim());
          }
        });
        child.once("exit", (code) => {
          clearTimeout(timer);
          reject(new Error(`exited with ${code} before ready; stderr: ${stderr}`));
        });
      });
      const urls = ready.replace("umbra: ready ", "").split(" ");
      expect(urls[0]).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
      expect(urls[1]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const mqtts = urls.slice(2).find((u) => u.startsWith("mqtts://"));
      expect(mqtts, ready).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
      const admin = JSON.parse(readFileSync(join(dataDir, "admin.json"), "utf8")) as {
        username: string;
        password: string;
      };
      const c = await connectClient(mqtts ?? "", {
        ca: pki.read(pki.ca.cert),
        username: admin.username,
        password: admin.password,
      });
      await c.endAsync();
    } finally {
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    }
  });
});

/** security.connectTimeoutMs must hold before the TLS handshake too, not only once MQTT starts. */
describe("connect timeout on the TLS listener", () => {
  let pki: TestPki;
  let node: TestNode;
  const TIMEOUT = 300;

  beforeAll(async () => {
    pki = createTestPki();
    node = await startTestNode({
      allowAnonymous: false,
      tlsPort: 0,
      tlsCert: pki.server.cert,
      tlsKey: pki.server.key,
      security: { ...DEFAULT_SECURITY, requestRate: 1_000_000, connectTimeoutMs: TIMEOUT },
    });
  });
  afterAll(async () => {
    await node?.stop();
    pki?.remove();
  });

  it("closes a connection that never starts the handshake", async () => {
    // Regression: Node's default handshake timeout is 120 s, and the no-op tlsClientError listener
    // kept even timed-out sockets open.
    const lived = await silentSocketLifetime(node.urls.mqtts ?? "", TIMEOUT * 8);
    expect(lived, "still open").toBeDefined();
    expect(lived).toBeGreaterThanOrEqual(TIMEOUT - 50);
  });

  it("closes a TLS connection that never sends CONNECT", async () => {
    const port = Number(new URL(node.urls.mqtts ?? "").port);
    const socket = tlsConnect({ host: "127.0.0.1", port, ca: pki.read(pki.ca.cert) });
    socket.on("error", () => {});
    await once(socket, "secureConnect");
    const started = Date.now();
    const closed = await Promise.race([
      once(socket, "close").then(() => true),
      new Promise<false>((r) => setTimeout(() => r(false), TIMEOUT * 8)),
    ]);
    socket.destroy();
    expect(closed, "still open").toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUT - 50);
  });
});
