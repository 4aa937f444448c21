import type { IClientOptions } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_SECURITY } from "../../shared/config.ts";
import { createTestPki, type TestPki } from "../helpers/certs.ts";
import {
  type Attempt,
  attemptConnect,
  describeAttempt,
  silentSocketLifetime,
  subscribeGranted,
} from "../helpers/connect-attempt.ts";
import { connectClient, Inbox } from "../helpers/mqtt.ts";
import { startTestNode, type TestNode } from "../helpers/node.ts";

/** MQTT over WebSocket (ws and wss, path /mqtt): same authentication and ACL as on TCP. */
describe("MQTT over WebSocket", () => {
  let pki: TestPki;
  let node: TestNode;
  let ca: Buffer;
  const DEV = "ws-dev-1";
  const OTHER = "ws-dev-2";
  let devPassword: string;
  let opsPassword: string;

  beforeAll(async () => {
    pki = createTestPki();
    ca = pki.read(pki.ca.cert);
    node = await startTestNode({
      allowAnonymous: false,
      wsPort: 0,
      wssPort: 0,
      tlsCert: pki.server.cert,
      tlsKey: pki.server.key,
      tlsCa: pki.ca.cert,
    });
    devPassword = node.identities.add(DEV, "device", DEV);
    node.identities.add(OTHER, "device", OTHER);
    opsPassword = node.identities.add("ws-ops", "operator", "*");
  });
  afterAll(async () => {
    await node?.stop();
    pki?.remove();
  });

  const ws = () => node.urls.ws ?? "";
  const wss = () => node.urls.wss ?? "";

  it("lists ws:// and wss:// URLs with the /mqtt path", () => {
    expect(node.urls.ws).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/mqtt$/);
    expect(node.urls.wss).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/mqtt$/);
  });

  it("a device over ws gets its update accepted and the delta of an operator's desired write over wss", async () => {
    const device = await connectClient(ws(), { username: DEV, password: devPassword, clientId: DEV });
    const ops = await connectClient(wss(), { ca, username: "ws-ops", password: opsPassword });
    try {
      const deviceInbox = new Inbox(device);
      const opsInbox = new Inbox(ops);
      await device.subscribeAsync(`$umbra/things/${DEV}/shadow/update/+`, { qos: 1 });

      await device.publishAsync(
        `$umbra/things/${DEV}/shadow/update`,
        JSON.stringify({ state: { reported: { fan: "low" } }, clientToken: "dev" }),
        { qos: 1 },
      );
      const own = await deviceInbox.nextJson<{ clientToken: string; version: number }>(
        `$umbra/things/${DEV}/shadow/update/accepted`,
      );
      expect(own).toMatchObject({ clientToken: "dev", version: 1 });

      // Subscribed only now, so the device's own accepted above is not in the operator's inbox.
      await ops.subscribeAsync(`$umbra/things/${DEV}/shadow/update/accepted`, { qos: 1 });

      await ops.publishAsync(
        `$umbra/things/${DEV}/shadow/update`,
        JSON.stringify({ state: { desired: { fan: "high" } }, clientToken: "ops" }),
        { qos: 1 },
      );
      const accepted = await opsInbox.nextJson<{ clientToken: string; version: number }>(
        `$umbra/things/${DEV}/shadow/update/accepted`,
      );
      expect(accepted).toMatchObject({ clientToken: "ops", version: 2 });
      const delta = await deviceInbox.nextJson<{ state: unknown; version: number }>(
        `$umbra/things/${DEV}/shadow/update/delta`,
      );
      expect(delta).toMatchObject({ state: { fan: "high" }, version: 2 });
    } finally {
      await Promise.all([device.endAsync(), ops.endAsync()]);
    }
  });

  it("the ACL applies over ws and wss: a device cannot subscribe to another thing (SUBACK 0x80)", async () => {
    for (const [url, extra] of [
      [ws(), {}],
      [wss(), { ca }],
    ] as const) {
      const c = await connectClient(url, { ...extra, username: DEV, password: devPassword });
      try {
        expect(await subscribeGranted(c, `$umbra/things/${OTHER}/shadow/#`)).toEqual([0x80]);
        expect(await subscribeGranted(c, `things/${OTHER}/#`)).toEqual([0x80]);
        expect(await subscribeGranted(c, "#")).toEqual([0x80]);
        expect(await subscribeGranted(c, `$umbra/things/${DEV}/shadow/#`)).toEqual([1]);
        // Writing another thing's shadow gets a 403 delivered straight to the requester.
        const inbox = new Inbox(c);
        await c.publishAsync(
          `$umbra/things/${OTHER}/shadow/update`,
          JSON.stringify({ state: { reported: { x: 1 } }, clientToken: "nope" }),
          { qos: 1 },
        );
        const rejected = await inbox.nextJson<{ code: number; clientToken: string }>(
          `$umbra/things/${OTHER}/shadow/update/rejected`,
        );
        expect(rejected).toMatchObject({ code: 403, clientToken: "nope" });
      } finally {
        await c.endAsync();
      }
    }
  });

  it("refuses bad credentials over ws and wss, and wss clients that do not trust the CA", async () => {
    for (const [url, extra] of [
      [ws(), {}],
      [wss(), { ca }],
    ] as const) {
      const anonymous = await attemptConnect(url, extra);
      expect(anonymous, describeAttempt(anonymous)).toEqual({ outcome: "refused", code: 5 });
      const wrong = await attemptConnect(url, { ...extra, username: DEV, password: "wrong" });
      expect(wrong, describeAttempt(wrong)).toEqual({ outcome: "refused", code: 4 });
    }
    const untrusted = await attemptConnect(wss(), { username: DEV, password: devPassword });
    expect(untrusted.outcome, describeAttempt(untrusted)).toBe("failed");
  });

  it("a client certificate logs in over wss too (mutual TLS)", async () => {
    const files = pki.client(DEV);
    const a = await attemptConnect(wss(), { ca, cert: pki.read(files.cert), key: pki.read(files.key) });
    expect(a.outcome, describeAttempt(a)).toBe("connected");
    if (a.outcome === "connected") {
      expect(await subscribeGranted(a.client, `$umbra/things/${DEV}/shadow/#`)).toEqual([1]);
      expect(await subscribeGranted(a.client, `$umbra/things/${OTHER}/shadow/#`)).toEqual([0x80]);
      await a.client.endAsync();
    }
    const expired = pki.expiredClient(DEV);
    const old = await attemptConnect(wss(), { ca, cert: pki.read(expired.cert), key: pki.read(expired.key) });
    // Client certificates are optional on this node, so the expired one is refused by MQTT, not TLS.
    expect(old, describeAttempt(old)).toEqual({ outcome: "refused", code: 5 });
  });
});

/** security.maxConnections counts every listener together; the one over the limit is dropped at accept. */
describe("connection limit", () => {
  const MAX = 3;
  let node: TestNode;
  let creds: IClientOptions;

  beforeAll(async () => {
    node = await startTestNode({
      allowAnonymous: false,
      wsPort: 0,
      security: { ...DEFAULT_SECURITY, requestRate: 1_000_000, maxConnections: MAX },
    });
    creds = { username: "limit-dev", password: node.identities.add("limit-dev", "device", "limit-dev") };
  });
  afterAll(async () => {
    await node?.stop();
  });

  it(`admits ${MAX} connections, closes the next without CONNACK, and admits again after one closes`, async () => {
    const tcp = node.urls.mqtt ?? "";
    const ws = node.urls.ws ?? "";
    const open = [
      await connectClient(tcp, { ...creds, clientId: "c1" }),
      await connectClient(ws, { ...creds, clientId: "c2" }),
      await connectClient(tcp, { ...creds, clientId: "c3" }),
    ];
    const expectFull = async (id: string) => {
      for (const url of [tcp, ws]) {
        // TCP: closed at accept; ws: the upgrade completes, then the stream is dropped (EPIPE or close).
        const over = await attemptConnect(url, { ...creds, clientId: id });
        expect(["closed", "failed"], `${url}: ${describeAttempt(over)}`).toContain(over.outcome);
      }
    };
    try {
      await expectFull("over-1");
      // The admitted ones are unaffected.
      for (const c of open) expect(c.connected).toBe(true);

      // Free a slot on each transport in turn (a ws one, then a TCP one): each frees exactly one.
      for (const [index, url, id] of [
        [1, ws, "again-ws"],
        [0, tcp, "again-tcp"],
      ] as const) {
        await open[index]?.endAsync();
        // The node sees the close asynchronously: retry a bounded number of times.
        let admitted: Attempt | undefined;
        for (let i = 0; i < 40; i++) {
          admitted = await attemptConnect(url, { ...creds, clientId: id });
          if (admitted.outcome === "connected") break;
          await new Promise((r) => setTimeout(r, 25));
        }
        expect(admitted?.outcome, admitted && describeAttempt(admitted)).toBe("connected");
        if (admitted?.outcome === "connected") open[index] = admitted.client;
        await expectFull(`over-${id}`);
      }
    } finally {
      await Promise.all(open.map((c) => c.endAsync()));
    }
  });
});

/** security.connectTimeoutMs must hold before the WebSocket upgrade too, and not after it. */
describe("connect timeout on the WebSocket listeners", () => {
  let pki: TestPki;
  let node: TestNode;
  const TIMEOUT = 300;

  beforeAll(async () => {
    pki = createTestPki();
    node = await startTestNode({
      allowAnonymous: false,
      wsPort: 0,
      wssPort: 0,
      tlsCert: pki.server.cert,
      tlsKey: pki.server.key,
      security: { ...DEFAULT_SECURITY, requestRate: 1_000_000, connectTimeoutMs: TIMEOUT },
    });
  });
  afterAll(async () => {
    await node?.stop();
    pki?.remove();
  });

  it("closes connections that never upgrade (ws) or never start the handshake (wss)", async () => {
    // Regression: Node's HTTP and TLS defaults kept such sockets 60 s and 120 s.
    for (const url of [node.urls.ws ?? "", node.urls.wss ?? ""]) {
      const lived = await silentSocketLifetime(url, TIMEOUT * 8);
      expect(lived, `${url} still open`).toBeDefined();
      expect(lived).toBeGreaterThanOrEqual(TIMEOUT - 50);
    }
  });

  it("leaves an upgraded, idle MQTT session alone", async () => {
    const password = node.identities.add("idle-dev", "device", "idle-dev");
    const clients = [
      await connectClient(node.urls.ws ?? "", { username: "idle-dev", password, keepalive: 60 }),
      await connectClient(node.urls.wss ?? "", {
        ca: pki.read(pki.ca.cert),
        username: "idle-dev",
        password,
        clientId: "idle-dev-wss",
        keepalive: 60,
      }),
    ];
    try {
      await new Promise((r) => setTimeout(r, TIMEOUT * 3));
      for (const c of clients) {
        expect(c.connected).toBe(true);
        expect(await subscribeGranted(c, "things/idle-dev/#")).toEqual([1]);
      }
    } finally {
      await Promise.all(clients.map((c) => c.endAsync()));
    }
  });
});
