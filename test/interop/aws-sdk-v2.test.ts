import type { mqtt } from "aws-iot-device-sdk-v2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectMqtt3, connectMqtt5, SdkShadow, shadowClientV2 } from "../helpers/aws-sdk-v2.ts";
import { createTestPki, type TestPki } from "../helpers/certs.ts";
import { startTestNode, type TestNode } from "../helpers/node.ts";

/**
 * The real `aws-iot-device-sdk-v2` (npm, native CRT client) against a node that requires credentials:
 * its shadow client over MQTT 3.1.1 with the SDK's default metrics suffix on the user name, by
 * password on plain TCP and by client certificate on mutual TLS.
 */
const DEV = "acc-1";
const CERT_DEV = "acc-cert-1";

let pki: TestPki;
let node: TestNode;
let password = "";
const open: mqtt.MqttClientConnection[] = [];

beforeAll(async () => {
  pki = createTestPki();
  node = await startTestNode({
    allowAnonymous: false,
    tlsPort: 0,
    tlsCert: pki.server.cert,
    tlsKey: pki.server.key,
    tlsCa: pki.ca.cert,
  });
  password = node.identities.add(DEV, "device", DEV);
  node.identities.add(CERT_DEV, "device", CERT_DEV);
});

afterAll(async () => {
  for (const c of open) await c.disconnect().catch(() => undefined);
  await node?.stop();
  pki?.remove();
});

async function connect(...args: Parameters<typeof connectMqtt3>) {
  const c = await connectMqtt3(...args);
  open.push(c);
  return c;
}

const tlsPort = () => Number(new URL(node.urls.mqtts ?? "").port);

async function desire(thing: string, desired: Record<string, unknown>): Promise<void> {
  const token = node.identities.createToken("ops", "operator", "*").token;
  const res = await fetch(`${node.httpUrl}/things/${thing}/shadow`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ state: { desired } }),
  });
  expect(res.status).toBeLessThan(300);
}

async function waitFor<T>(what: string, probe: () => T | undefined, limitMs = 15_000): Promise<T> {
  const end = Date.now() + limitMs;
  while (Date.now() < end) {
    const v = probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("aws-iot-device-sdk-v2 shadow client over MQTT 3.1.1", () => {
  it("logs in by password on plain TCP with the SDK's metrics suffix and runs the shadow cycle", async () => {
    const c = await connect({
      host: "127.0.0.1",
      port: node.mqttPort,
      clientId: DEV,
      username: DEV,
      password,
    });
    const shadow = new SdkShadow(c, DEV);
    await shadow.subscribe();
    const up = await shadow.update({ reported: { power: "on" } }, "t-up");
    expect(up.ok, JSON.stringify(up.body)).toBe(true);
    expect(up.body).toMatchObject({ state: { reported: { power: "on" } }, version: 1 });

    await desire(DEV, { power: "off" });
    const delta = await waitFor("a delta event", () => shadow.deltas.at(-1));
    expect(delta).toMatchObject({ state: { power: "off" } });

    const got = await shadow.get("t-get");
    expect(got.ok).toBe(true);
    expect(got.body).toMatchObject({
      state: { desired: { power: "off" }, reported: { power: "on" }, delta: { power: "off" } },
    });
  });

  it("a wrong password is still refused with the suffix", async () => {
    await expect(
      connectMqtt3({
        host: "127.0.0.1",
        port: node.mqttPort,
        clientId: "x1",
        username: DEV,
        password: "nope",
      }),
    ).rejects.toThrow();
  });

  it("an anonymous SDK client (user name is only the suffix) connects where anonymous access is allowed", async () => {
    const open = await startTestNode({ allowAnonymous: true });
    try {
      const c = await connectMqtt3({ host: "127.0.0.1", port: open.mqttPort, clientId: "anon-sdk" });
      const shadow = new SdkShadow(c, "anon-thing");
      await shadow.subscribe();
      expect((await shadow.update({ reported: { a: 1 } }, "t-anon")).ok).toBe(true);
      await c.disconnect();
    } finally {
      await open.stop();
    }
  });

  it("logs in by client certificate on mutual TLS (user name is only the metrics suffix)", async () => {
    const files = pki.client(CERT_DEV);
    const c = await connect({
      host: "localhost",
      port: tlsPort(),
      clientId: CERT_DEV,
      tls: { cert: files.cert, key: files.key, ca: pki.ca.cert },
    });
    const shadow = new SdkShadow(c, CERT_DEV);
    await shadow.subscribe();
    const up = await shadow.update({ reported: { via: "mtls" } }, "t-mtls");
    expect(up.ok, JSON.stringify(up.body)).toBe(true);
    expect(up.body).toMatchObject({ state: { reported: { via: "mtls" } } });
  });

  it("a certificate with the suffixed user name of its own CN logs in too", async () => {
    const files = pki.client(CERT_DEV);
    const c = await connect({
      host: "localhost",
      port: tlsPort(),
      clientId: `${CERT_DEV}-named`,
      username: CERT_DEV,
      tls: { cert: files.cert, key: files.key, ca: pki.ca.cert },
    });
    const shadow = new SdkShadow(c, CERT_DEV);
    await shadow.subscribe();
    expect((await shadow.get("t-named")).ok).toBe(true);
  });
});

describe("aws-iot-device-sdk-v2 shadow client over MQTT 5", () => {
  const stopAll: (() => void)[] = [];
  afterAll(() => {
    for (const stop of stopAll) stop();
  });
  async function start5(...args: Parameters<typeof connectMqtt5>) {
    const client = await connectMqtt5(...args);
    const shadow = shadowClientV2(client);
    stopAll.push(() => {
      shadow.close();
      client.stop();
      client.close();
    });
    return shadow;
  }

  it("logs in by password on plain TCP (suffixed user name) and updates, gets and streams deltas", async () => {
    const shadow = await start5({
      host: "127.0.0.1",
      port: node.mqttPort,
      clientId: `${DEV}-5`,
      username: DEV,
      password,
    });
    const deltas: unknown[] = [];
    const stream = shadow.createShadowDeltaUpdatedStream({ thingName: DEV });
    stream.on("incomingPublish", (event) => deltas.push(event.message));
    const subscribed = new Promise<void>((resolve) =>
      stream.on("subscriptionStatus", (event) => {
        if (event.type === 0) resolve(); // SubscriptionEstablished
      }),
    );
    stream.open();
    await subscribed;

    const up = await shadow.updateShadow({ thingName: DEV, state: { reported: { mode: "v5" } } });
    expect(up.state?.reported).toMatchObject({ mode: "v5" });
    await desire(DEV, { mode: "eco" });
    const delta = await waitFor("a delta over MQTT 5", () =>
      deltas.find((d) => (d as { state?: { mode?: string } }).state?.mode === "eco"),
    );
    expect(delta).toMatchObject({ state: { mode: "eco" } });
    const got = await shadow.getShadow({ thingName: DEV });
    expect(got.state).toMatchObject({ desired: { mode: "eco" }, reported: { mode: "v5" } });
    stream.close();
  });

  it("logs in by client certificate on mutual TLS", async () => {
    const files = pki.client(CERT_DEV);
    const shadow = await start5({
      host: "localhost",
      port: tlsPort(),
      clientId: `${CERT_DEV}-5`,
      tls: { cert: files.cert, key: files.key, ca: pki.ca.cert },
    });
    const up = await shadow.updateShadow({ thingName: CERT_DEV, state: { reported: { via: "mtls5" } } });
    expect(up.state?.reported).toMatchObject({ via: "mtls5" });
  });

  it("a wrong password is refused", async () => {
    await expect(
      connectMqtt5({
        host: "127.0.0.1",
        port: node.mqttPort,
        clientId: "x5",
        username: DEV,
        password: "nope",
      }),
    ).rejects.toBeTruthy();
  });
});
