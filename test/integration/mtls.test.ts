import { X509Certificate } from "node:crypto";
import type { IClientOptions } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CertFiles, createTestPki, type TestPki } from "../helpers/certs.ts";
import {
  type Attempt,
  attemptConnect,
  describeAttempt,
  subscribeGranted,
} from "../helpers/connect-attempt.ts";
import { closedWithin } from "../helpers/identity-node.ts";
import { Inbox } from "../helpers/mqtt.ts";
import { startTestNode, type TestNode } from "../helpers/node.ts";

/**
 * Mutual TLS (`--tls-ca`): a verified client certificate's CN is the identity, no password needed.
 * Certificates that do not verify (wrong CA, expired) never get a session, whatever else is sent.
 */
const DEV = "mtls-dev-1";
const OTHER = "mtls-dev-2";

let pki: TestPki;
beforeAll(() => {
  pki = createTestPki();
});
afterAll(() => {
  pki?.remove();
});

function tlsOptions(files?: CertFiles, extra: IClientOptions = {}): IClientOptions {
  return {
    ca: pki.read(pki.ca.cert),
    ...(files ? { cert: pki.read(files.cert), key: pki.read(files.key) } : {}),
    ...extra,
  };
}

function expectNeverConnected(a: Attempt): void {
  // Either the handshake fails or the node answers CONNACK 5; never a session.
  if (a.outcome === "connected") void a.client.endAsync();
  expect(["failed", "refused"], describeAttempt(a)).toContain(a.outcome);
  if (a.outcome === "refused") expect(a.code).toBe(5);
}

describe("test certificates", () => {
  it("are what the tests below assume (issuer, CN, validity)", () => {
    const ca = new X509Certificate(pki.read(pki.ca.cert));
    const good = new X509Certificate(pki.read(pki.client(DEV).cert));
    const wrong = new X509Certificate(pki.read(pki.wrongCaClient(DEV).cert));
    const expired = new X509Certificate(pki.read(pki.expiredClient(DEV).cert));
    for (const cert of [good, wrong, expired]) expect(cert.subject).toBe(`CN=${DEV}`);
    expect(good.verify(ca.publicKey)).toBe(true);
    expect(expired.verify(ca.publicKey)).toBe(true); // only its dates are wrong
    expect(wrong.verify(ca.publicKey)).toBe(false);
    expect(new Date(expired.validTo).getTime()).toBeLessThan(Date.now());
    expect(new Date(good.validTo).getTime()).toBeGreaterThan(Date.now());
    const server = new X509Certificate(pki.read(pki.server.cert));
    expect(server.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(server.checkHost("localhost")).toBe("localhost");
  });
});

describe("mutual TLS with optional client certificates", () => {
  let node: TestNode;
  let url: string;
  let devPassword: string;

  beforeAll(async () => {
    node = await startTestNode({
      allowAnonymous: false,
      tlsPort: 0,
      tlsCert: pki.server.cert,
      tlsKey: pki.server.key,
      tlsCa: pki.ca.cert,
    });
    url = node.urls.mqtts ?? "";
    devPassword = node.identities.add(DEV, "device", DEV);
    node.identities.add(OTHER, "device", OTHER);
  });
  afterAll(async () => {
    await node?.stop();
  });

  it("a certificate whose CN is a device logs in without a password and acts as that device", async () => {
    const a = await attemptConnect(url, tlsOptions(pki.client(DEV), { clientId: "cert-client" }));
    expect(a.outcome, describeAttempt(a)).toBe("connected");
    if (a.outcome !== "connected") return;
    const c = a.client;
    try {
      const inbox = new Inbox(c);
      expect(await subscribeGranted(c, `$aws/things/${DEV}/shadow/update/+`)).toEqual([1]);
      expect(await subscribeGranted(c, `$aws/things/${OTHER}/shadow/update/+`)).toEqual([0x80]);

      await c.publishAsync(
        `$aws/things/${DEV}/shadow/update`,
        JSON.stringify({ state: { reported: { auth: "cert" } }, clientToken: "own" }),
        { qos: 1 },
      );
      const accepted = await inbox.nextJson<{ clientToken: string; version: number }>(
        `$aws/things/${DEV}/shadow/update/accepted`,
      );
      expect(accepted).toMatchObject({ clientToken: "own", version: 1 });

      await c.publishAsync(
        `$aws/things/${OTHER}/shadow/update`,
        JSON.stringify({ state: { reported: { auth: "cert" } }, clientToken: "foreign" }),
        { qos: 1 },
      );
      // The 403 reaches the requester although it may not subscribe to the other thing's topics.
      const rejected = await inbox.nextJson<{ code: number; clientToken: string }>(
        `$aws/things/${OTHER}/shadow/update/rejected`,
      );
      expect(rejected).toMatchObject({ code: 403, clientToken: "foreign" });
    } finally {
      await c.endAsync();
    }
    // The other thing's shadow was not written.
    const res = await fetch(`${node.httpUrl}/things/${OTHER}/shadow`, {
      headers: { authorization: `Bearer ${node.identities.createToken("ops", "operator", "*").token}` },
    });
    expect(res.status).toBe(404);
  });

  it("a certificate whose CN is no identity gets CONNACK 5", async () => {
    const a = await attemptConnect(url, tlsOptions(pki.client("nobody-known")));
    expect(a, describeAttempt(a)).toEqual({ outcome: "refused", code: 5 });
  });

  it("a certificate from another CA is refused, even with the identity's correct password", async () => {
    expectNeverConnected(await attemptConnect(url, tlsOptions(pki.wrongCaClient(DEV))));
    expectNeverConnected(
      await attemptConnect(url, tlsOptions(pki.wrongCaClient(DEV), { username: DEV, password: devPassword })),
    );
  });

  it("an expired certificate is refused, even with the identity's correct password", async () => {
    expectNeverConnected(await attemptConnect(url, tlsOptions(pki.expiredClient(DEV))));
    expectNeverConnected(
      await attemptConnect(url, tlsOptions(pki.expiredClient(DEV), { username: DEV, password: devPassword })),
    );
  });

  it("a user name that differs from the certificate CN gets CONNACK 5", async () => {
    const otherPassword = node.identities.add("mtls-dev-3", "device", "mtls-dev-3");
    const a = await attemptConnect(
      url,
      tlsOptions(pki.client(DEV), { username: "mtls-dev-3", password: otherPassword }),
    );
    expect(a, describeAttempt(a)).toEqual({ outcome: "refused", code: 5 });
    // The same user name as the CN is fine.
    const same = await attemptConnect(url, tlsOptions(pki.client(DEV), { username: DEV }));
    expect(same.outcome, describeAttempt(same)).toBe("connected");
    if (same.outcome === "connected") await same.client.endAsync();
  });

  it("without a client certificate, a password still logs in (client certificates are optional)", async () => {
    const a = await attemptConnect(url, tlsOptions(undefined, { username: DEV, password: devPassword }));
    expect(a.outcome, describeAttempt(a)).toBe("connected");
    if (a.outcome === "connected") await a.client.endAsync();
    const anonymous = await attemptConnect(url, tlsOptions());
    expect(anonymous, describeAttempt(anonymous)).toEqual({ outcome: "refused", code: 5 });
  });

  it("a password rotation ends the identity's password sessions, not its certificate sessions", async () => {
    const name = "mtls-rotated";
    const password = node.identities.add(name, "device", name);
    const cert = await attemptConnect(url, tlsOptions(pki.client(name), { clientId: "rot-cert" }));
    const pw = await attemptConnect(
      url,
      tlsOptions(undefined, { username: name, password, clientId: "rot-pw" }),
    );
    if (cert.outcome !== "connected" || pw.outcome !== "connected")
      throw new Error(`${describeAttempt(cert)} / ${describeAttempt(pw)}`);
    node.identities.rotatePassword(name, "device");
    expect(await closedWithin(pw.client, 4000)).toBeLessThan(4000);
    await new Promise((r) => setTimeout(r, 2500)); // more polls: the certificate session stays
    expect(cert.client.connected).toBe(true);
    await cert.client.endAsync();
  });
  it("a revoked identity's certificate no longer logs in", async () => {
    const name = "mtls-revoked";
    node.identities.add(name, "device", name);
    const before = await attemptConnect(url, tlsOptions(pki.client(name)));
    expect(before.outcome, describeAttempt(before)).toBe("connected");
    if (before.outcome === "connected") await before.client.endAsync();
    expect(node.identities.revoke(name)).toBe(true);
    const after = await attemptConnect(url, tlsOptions(pki.client(name)));
    expect(after, describeAttempt(after)).toEqual({ outcome: "refused", code: 5 });
  });
});

describe("mutual TLS with --tls-require-client-cert", () => {
  let node: TestNode;
  let url: string;
  let devPassword: string;

  beforeAll(async () => {
    node = await startTestNode({
      allowAnonymous: false,
      tlsPort: 0,
      tlsCert: pki.server.cert,
      tlsKey: pki.server.key,
      tlsCa: pki.ca.cert,
      tlsRequireClientCert: true,
    });
    url = node.urls.mqtts ?? "";
    devPassword = node.identities.add(DEV, "device", DEV);
  });
  afterAll(async () => {
    await node?.stop();
  });

  it("refuses a client without a certificate at the handshake, password or not", async () => {
    for (const extra of [{ username: DEV, password: devPassword }, {}]) {
      const a = await attemptConnect(url, tlsOptions(undefined, extra));
      expect(a.outcome, describeAttempt(a)).toBe("failed");
      // OpenSSL itself refuses: TLS 1.3 alert 116 (1.2 would say handshake failure).
      if (a.outcome === "failed")
        expect((a.error as { code?: string }).code).toMatch(/CERTIFICATE_REQUIRED|HANDSHAKE_FAILURE/);
    }
  });

  it("refuses certificates from another CA and expired ones before any MQTT", async () => {
    // Node checks the chain once the handshake is done and drops the socket without an alert, so the
    // client sees a close (or reset) instead of a CONNACK; with optional certificates it is CONNACK 5.
    for (const files of [pki.wrongCaClient(DEV), pki.expiredClient(DEV)]) {
      for (const extra of [{}, { username: DEV, password: devPassword }]) {
        const a = await attemptConnect(url, tlsOptions(files, extra));
        expect(["failed", "closed"], describeAttempt(a)).toContain(a.outcome);
      }
    }
  });

  it("accepts a valid certificate of an identity", async () => {
    const a = await attemptConnect(url, tlsOptions(pki.client(DEV)));
    expect(a.outcome, describeAttempt(a)).toBe("connected");
    if (a.outcome === "connected") await a.client.endAsync();
  });
});
