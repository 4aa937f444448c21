import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDevice, type Device, DeviceConnectionError } from "../../device-agent/index.ts";
import { createTestPki, type TestPki } from "../helpers/certs.ts";
import { reconciledOf, setDesired, shadowOf, startSecureNode, until } from "../helpers/device-sdk.ts";
import type { TestNode } from "../helpers/node.ts";

/** The SDK over the node's other transports: mutual TLS (certificate CN, no password) and WebSocket. */
describe("device SDK transports", () => {
  let pki: TestPki;
  let node: TestNode;
  const devices: Device[] = [];

  beforeAll(async () => {
    pki = createTestPki();
    node = await startSecureNode({
      tlsPort: 0,
      wsPort: 0,
      tlsCert: pki.server.cert,
      tlsKey: pki.server.key,
      tlsCa: pki.ca.cert,
    });
  });
  afterAll(async () => {
    for (const d of devices) await d.close();
    await node?.stop();
    pki?.remove();
  });

  async function reconciles(device: Device, thing: string): Promise<void> {
    devices.push(device);
    device.onDelta(() => undefined);
    await setDesired(node, thing, { fan: "auto" });
    const s = await until("in sync", async () => {
      const shadow = await shadowOf(node, thing);
      return shadow.delta === undefined && shadow;
    });
    expect(s.reported?.fan).toBe("auto");
    expect(reconciledOf(s.reported)).toMatchObject({ status: "True" });
  }

  it("mqtts with a client certificate: the CN is the identity, no password", async () => {
    node.identities.add("tls-dev", "device", "tls-dev");
    const files = pki.client("tls-dev");
    const device = await connectDevice({
      url: node.urls.mqtts ?? "",
      thing: "tls-dev",
      tls: { ca: pki.read(pki.ca.cert), cert: pki.read(files.cert), key: pki.read(files.key) },
      reconnect: { initialMs: 20, maxMs: 100 },
    });
    await reconciles(device, "tls-dev");
  });

  it("a certificate from another CA is not accepted: connectDevice rejects instead of retrying forever", async () => {
    node.identities.add("tls-bad", "device", "tls-bad");
    const files = pki.wrongCaClient("tls-bad");
    const err = await connectDevice({
      url: node.urls.mqtts ?? "",
      thing: "tls-bad",
      tls: { ca: pki.read(pki.ca.cert), cert: pki.read(files.cert), key: pki.read(files.key) },
      reconnect: { initialMs: 20, maxMs: 100 },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceConnectionError);
    expect(err).toMatchObject({ reason: "refused", returnCode: 5 });
  });

  it("WebSocket with a password", async () => {
    const password = node.identities.add("ws-dev", "device", "ws-dev");
    const device = await connectDevice({
      url: node.urls.ws ?? "",
      thing: "ws-dev",
      username: "ws-dev",
      password,
      reconnect: { initialMs: 20, maxMs: 100 },
    });
    expect(node.urls.ws).toMatch(/^ws:\/\/.*\/mqtt$/);
    await reconciles(device, "ws-dev");
  });
});
