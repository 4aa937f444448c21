import { rmSync } from "node:fs";
import { join } from "node:path";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDevice, type Device } from "../../device-agent/index.ts";
import type { ShadowDevice } from "../../device-agent/sdk/device.ts";
import type { JsonObject } from "../../shared/json.ts";
import { deviceOptions, setDesired, shadowOf, startSecureNode, until } from "../helpers/device-sdk.ts";
import { connectClient, Inbox } from "../helpers/mqtt.ts";
import { type TestNode, tempDir } from "../helpers/node.ts";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.ts";

/**
 * The device's link drops while the node stays up (a TCP proxy in between is cut): reports made offline
 * are queued durably and replayed in order, coalesced; only the current desired state is applied after
 * the reconnect; the broker publishes the device's last will.
 */
describe("device SDK across link cuts", () => {
  let node: TestNode;
  let observer: MqttClient;
  const dir = tempDir("umbra-sdk-link-");
  const proxies: TcpProxy[] = [];
  const devices: Device[] = [];

  beforeAll(async () => {
    node = await startSecureNode();
    const password = node.identities.add("observer", "operator", "*");
    observer = await connectClient(node.mqttUrl, { username: "observer", password, clientId: "observer" });
  });
  afterAll(async () => {
    for (const d of devices) await d.close();
    for (const p of proxies) await p.close();
    await observer.endAsync();
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function linkedDevice(thing: string, extra = {}): Promise<{ device: ShadowDevice; proxy: TcpProxy }> {
    const proxy = await startTcpProxy(node.mqttPort);
    proxies.push(proxy);
    const device = (await connectDevice(
      deviceOptions(node, thing, { url: proxy.url, ...extra }),
    )) as ShadowDevice;
    devices.push(device);
    return { device, proxy };
  }

  it("queues reports while cut and replays them in order, only the latest value per key", async () => {
    const { device, proxy } = await linkedDevice("link-1", { queuePath: join(dir, "link-1.db") });
    // The observer sees every update request the device sends (requests are ordinary publishes).
    const requests: JsonObject[] = [];
    const updateTopic = "$aws/things/link-1/shadow/update";
    await observer.subscribeAsync(updateTopic, { qos: 1 });
    observer.on("message", (topic, payload) => {
      if (topic === updateTopic)
        requests.push((JSON.parse(payload.toString()) as { state: { reported: JsonObject } }).state.reported);
    });
    await device.report({ counter: 0, a: { keep: true } });
    const before = requests.length;

    proxy.cut();
    await until("offline", () => !device.connected);
    const t0 = Date.now();
    for (let i = 1; i <= 200; i++) await device.report({ counter: i });
    const queuedMs = Date.now() - t0;
    await device.report({ b: 1 });
    await device.report({ a: null }); // deletes a …
    await device.report({ a: { x: 1 } }); // … then sets a.x: must arrive after the delete
    await device.report({ counter: 201 });
    expect(device.stats.queued).toBe(4); // b, a (null), a.x, counter: 204 reports coalesced into 4 rows
    expect(device.reported).toMatchObject({ counter: 201, b: 1, a: { x: 1 } });

    const t1 = Date.now();
    proxy.restore();
    await until("replayed", async () => (await shadowOf(node, "link-1")).reported?.counter === 201);
    const replayMs = Date.now() - t1;
    await until("observer saw both updates", () => requests.length >= before + 2);
    const replayed = requests.slice(before);
    expect(replayed).toEqual([
      { b: 1, a: null },
      { a: { x: 1 }, counter: 201 },
    ]);
    // No intermediate value of the counter ever reached the node.
    expect(replayed.filter((r) => "counter" in r).map((r) => r.counter)).toEqual([201]);
    expect((await shadowOf(node, "link-1")).reported).toEqual({ counter: 201, b: 1, a: { x: 1 } });
    // The node can hold the last update a moment before the device has read its `accepted` reply.
    await until("queue drained", () => device.stats.queued === 0);
    console.log(
      `[device-sdk-link] 204 offline reports queued in ${queuedMs} ms (durable SQLite, synchronous=FULL); ` +
        `replayed as ${replayed.length} updates ${replayMs} ms after the link came back`,
    );
  });

  it("after the link returns, only the current desired state is applied", async () => {
    const { device, proxy } = await linkedDevice("link-2");
    const seen: JsonObject[] = [];
    device.onDelta((delta) => {
      seen.push(delta);
    });
    await setDesired(node, "link-2", { target: 0 });
    await until("first applied", async () => (await shadowOf(node, "link-2")).delta === undefined);
    proxy.cut();
    await until("offline", () => !device.connected);
    for (let t = 1; t <= 5; t++) await setDesired(node, "link-2", { target: t });
    proxy.restore();
    await until("in sync", async () => {
      const s = await shadowOf(node, "link-2");
      return s.delta === undefined && s.reported?.target === 5;
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual([{ target: 0 }, { target: 5 }]);
    expect(device.stats.connects).toBe(2);
  });

  it("the broker publishes the last will when the link dies, and the status returns on reconnect", async () => {
    const inbox = new Inbox(observer);
    await observer.subscribeAsync(["things/link-3/status", "$umbra/things/link-3/presence"], { qos: 1 });
    const { device, proxy } = await linkedDevice("link-3");
    expect(JSON.parse((await inbox.next("things/link-3/status")).toString())).toMatchObject({
      connected: true,
    });
    await until("presence connected", async () => {
      const p = await inbox.nextJson<{ connected: boolean }>("$umbra/things/link-3/presence");
      return p.connected;
    });
    const cutAt = Date.now();
    proxy.cut();
    const will = JSON.parse((await inbox.next("things/link-3/status")).toString());
    const willMs = Date.now() - cutAt;
    expect(will).toEqual({ connected: false, reason: "connection lost" });
    expect(await inbox.nextJson("$umbra/things/link-3/presence")).toMatchObject({ connected: false });
    proxy.restore();
    expect(JSON.parse((await inbox.next("things/link-3/status")).toString())).toMatchObject({
      connected: true,
    });
    await until("reconnected", () => device.connected);
    console.log(`[device-sdk-link] last will seen ${willMs} ms after the link was cut`);
  });

  it("reports queued in a file survive the device process: a new device on the same queue sends them", async () => {
    const proxy = await startTcpProxy(node.mqttPort);
    proxies.push(proxy);
    const opts = deviceOptions(node, "link-4", { url: proxy.url, queuePath: join(dir, "link-4.db") });
    const first = await connectDevice(opts);
    proxy.cut();
    await until("offline", () => !first.connected);
    await first.report({ lastWords: "queued while offline", seq: 7 });
    await first.close();
    expect((await node.service.get({ thing: "link-4", shadow: "" })).ok).toBe(false); // nothing arrived
    // What a restarted device process does: same thing, same queue file, and the link is back.
    const revived = await connectDevice({ ...opts, url: node.mqttUrl });
    devices.push(revived);
    // ready() comes after the replay, so the queued report is already in.
    expect((await shadowOf(node, "link-4")).reported).toEqual({ lastWords: "queued while offline", seq: 7 });
  });
});
