import { describe, expect, it } from "vitest";
import { DeviceConnectionError, ShadowRejectedError } from "../../device-agent/sdk/errors.ts";
import { type MqttLike, ShadowClient, shadowTopics } from "../../device-agent/sdk/shadow-client.ts";
import type { JsonObject } from "../../shared/json.ts";

function fake(grant = 1) {
  const published: { topic: string; body: JsonObject }[] = [];
  const subscribed: string[] = [];
  const mqtt: MqttLike = {
    publish(topic, payload, _opts, cb) {
      published.push({ topic, body: JSON.parse(payload) as JsonObject });
      cb?.();
    },
    async subscribeAsync(topics) {
      subscribed.push(...topics);
      return topics.map((topic, i) => ({ topic, qos: i === 2 ? grant : 1 }));
    },
  };
  const events = { delta: [] as JsonObject[], documents: [] as JsonObject[], malformed: [] as string[] };
  const topics = shadowTopics("$aws", "pdu-1");
  const client = new ShadowClient(
    mqtt,
    topics,
    {
      delta: (d) => events.delta.push(d),
      documents: (d) => events.documents.push(d),
      malformed: (t) => events.malformed.push(t),
    },
    200,
  );
  return { client, published, subscribed, events, topics };
}

describe("sdk shadow client (topics, clientToken matching)", () => {
  it("uses only the documented topics, classic and named", () => {
    expect(shadowTopics("$aws", "t1")).toMatchObject({
      get: "$aws/things/t1/shadow/get",
      delta: "$aws/things/t1/shadow/update/delta",
    });
    expect(shadowTopics("$umbra", "t1", "cfg").updateAccepted).toBe(
      "$umbra/things/t1/shadow/name/cfg/update/accepted",
    );
  });

  it("subscribes to the six reply topics; a refused one is a 403", async () => {
    const ok = fake();
    await ok.client.subscribe();
    expect(ok.subscribed.length).toBe(6);
    const refused = fake(0x80);
    const err = await refused.client.subscribe().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ShadowRejectedError);
    expect((err as ShadowRejectedError).code).toBe(403);
  });

  it("reads mqtt.js 5's SUBACK failure (an error carrying the packet) as a 403 naming the refused topic", async () => {
    const f = fake();
    const mqtt: MqttLike = {
      publish: () => undefined,
      subscribeAsync: async () => {
        throw Object.assign(new Error("Subscribe error"), { packet: { granted: [1, 1, 1, 1, 0x80, 1] } });
      },
    };
    const client = new ShadowClient(mqtt, f.topics, { delta() {}, documents() {}, malformed() {} });
    const err = await client.subscribe().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 403, op: "subscribe" });
    expect((err as Error).message).toContain(f.topics.delta);
    expect((err as Error).message).not.toContain(f.topics.documents);
    const broken: MqttLike = {
      ...mqtt,
      subscribeAsync: async () => Promise.reject(new Error("client disconnecting")),
    };
    const offline = await new ShadowClient(broken, f.topics, { delta() {}, documents() {}, malformed() {} })
      .subscribe()
      .catch((e: unknown) => e);
    expect(offline).toMatchObject({ reason: "offline" });
  });

  it("matches replies by clientToken and ignores replies meant for others", async () => {
    const f = fake();
    const a = f.client.request("update", { state: { reported: { x: 1 } } });
    const b = f.client.request("get");
    const [ua, gb] = f.published;
    expect(ua?.topic).toBe(f.topics.update);
    expect(gb?.topic).toBe(f.topics.get);
    expect(ua?.body.clientToken).not.toBe(gb?.body.clientToken);
    // An operator's reply on the same topic, and our get token on the wrong op: both ignored.
    f.client.handle(f.topics.updateAccepted, JSON.stringify({ version: 9, clientToken: "someone-else" }));
    f.client.handle(
      f.topics.updateAccepted,
      JSON.stringify({ version: 9, clientToken: gb?.body.clientToken }),
    );
    expect(f.client.inflight).toBe(2);
    f.client.handle(f.topics.getAccepted, JSON.stringify({ version: 4, clientToken: gb?.body.clientToken }));
    f.client.handle(
      f.topics.updateRejected,
      JSON.stringify({ code: 413, message: "too big", clientToken: ua?.body.clientToken }),
    );
    await expect(b).resolves.toMatchObject({ version: 4 });
    const err = await a.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ShadowRejectedError);
    expect(err).toMatchObject({ code: 413, op: "update" });
  });

  it("times out, and fails everything in flight when the connection drops", async () => {
    const f = fake();
    const slow = f.client.request("get");
    await expect(slow).rejects.toMatchObject({ reason: "timeout" });
    const p = f.client.request("update", { state: { reported: {} } });
    f.client.failAll(new DeviceConnectionError("offline", "gone"));
    await expect(p).rejects.toMatchObject({ reason: "offline" });
    expect(f.client.inflight).toBe(0);
  });

  it("routes delta and documents, reports malformed payloads, and leaves other topics alone", () => {
    const f = fake();
    expect(f.client.handle(f.topics.delta as string, JSON.stringify({ state: { a: 1 }, version: 2 }))).toBe(
      true,
    );
    expect(f.client.handle(f.topics.documents as string, "{not json")).toBe(true);
    expect(f.client.handle("things/pdu-1/status", "{}")).toBe(false);
    expect(f.events.delta).toEqual([{ state: { a: 1 }, version: 2 }]);
    expect(f.events.malformed).toEqual([f.topics.documents]);
  });
});
