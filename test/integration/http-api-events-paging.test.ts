import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectClient } from "../helpers/mqtt.ts";
import { startTestNode, type TestNode } from "../helpers/node.ts";
import { httpShadow, type Json, type ShadowRequest, shadowUrl } from "../helpers/shadow-http.ts";
import { SseReader } from "../helpers/sse-reader.ts";

// The HTTP API's streaming and listing endpoints; request/response behaviour is in http-api.test.ts.

describe("GET /things/{thing}/shadow/events", () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await startTestNode();
  });
  afterAll(async () => {
    await node?.stop();
  });

  const url = (thing: string, name?: string, suffix = "") => shadowUrl(node.httpUrl, thing, name, suffix);
  const http = (thing: string, req: ShadowRequest) => httpShadow(node.httpUrl, thing, req);
  const post = async (thing: string, body: Json, name?: string) => {
    const reply = await http(thing, { op: "update", name, body: JSON.stringify(body) });
    expect(reply.code).toBe(200);
    return reply.body;
  };

  it("streams the current document, then each change to that shadow only", async () => {
    await post("sse-1", { state: { desired: { mode: "eco" } } });
    const stream = await SseReader.open(url("sse-1", undefined, "/events"));
    try {
      expect(stream.status).toBe(200);
      expect(stream.contentType).toBe("text/event-stream");
      const first = await stream.next();
      expect(first.event).toBe("shadow");
      expect(first.data).toMatchObject({
        state: { desired: { mode: "eco" }, delta: { mode: "eco" } },
        version: 1,
      });

      // Changes elsewhere (another thing, a named shadow of this thing) must not reach this stream.
      await post("sse-other", { state: { desired: { mode: "x" } } });
      await post("sse-1", { state: { desired: { mode: "x" } } }, "side");
      await post("sse-1", { state: { desired: { mode: "boost" } } });
      expect(await stream.next()).toMatchObject({
        event: "shadow",
        data: { state: { desired: { mode: "boost" } }, version: 2 },
      });

      const device = await connectClient(node.mqttUrl, { clientId: "aedes_sse_device" });
      await device.publishAsync(
        "$umbra/things/sse-1/shadow/update",
        '{"state":{"reported":{"mode":"boost"}}}',
        { qos: 1 },
      );
      await device.endAsync();
      const synced = await stream.next();
      expect(synced.data).toMatchObject({ state: { reported: { mode: "boost" } }, version: 3 });
      expect((synced.data.state as Json).delta).toBeUndefined();

      expect((await http("sse-1", { op: "delete" })).code).toBe(200);
      expect(await stream.next()).toMatchObject({ event: "deleted", data: { version: 4 } });
      expect(stream.buffered).toBe(0);
    } finally {
      stream.close();
    }
  });

  it("streams a named shadow that does not exist yet from its first update", async () => {
    const stream = await SseReader.open(url("sse-2", "cfg", "/events"));
    try {
      expect(stream.status).toBe(200);
      await post("sse-2", { state: { reported: { fw: "1.0" } } }); // the classic shadow: not this stream
      await post("sse-2", { state: { reported: { fw: "1.1" } } }, "cfg");
      // The first event is the first change: nothing (no 404 document) came before it.
      expect(await stream.next()).toMatchObject({
        event: "shadow",
        data: { state: { reported: { fw: "1.1" } }, version: 1 },
      });
    } finally {
      stream.close();
    }
  });

  it("answers an invalid thing name with a 400 document, not a stream", async () => {
    const res = await fetch(url("bad.name", undefined, "/events"));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      code: 400,
      message: expect.stringMatching(/^Invalid thing name/),
    });
  });

  it("stops listening for changes when the client goes away", async () => {
    const baseline = node.service.listenerCount("change");
    await post("sse-3", { state: { desired: { a: 1 } } });
    const stream = await SseReader.open(url("sse-3", undefined, "/events"));
    await stream.next();
    expect(node.service.listenerCount("change")).toBe(baseline + 1);
    stream.close();
    for (let i = 0; i < 100 && node.service.listenerCount("change") > baseline; i++) await sleep(20);
    expect(node.service.listenerCount("change")).toBe(baseline);
  });

  it.each([
    ["before", 2],
    ["after", 1],
  ] as const)(
    "neither loses nor repeats a change committed together with the stream's first read (update %s the read)",
    async (when, firstVersion) => {
      const thing = `sse-race-${when}`;
      await post(thing, { state: { desired: { n: 1 } } });
      // Make the update land in the same group commit as the stream's initial get, on either side of it.
      const service = node.service;
      const originalGet = service.get;
      const race = () => void service.update({ thing, shadow: "" }, '{"state":{"desired":{"n":2}}}');
      service.get = function (this: typeof service, ...args: Parameters<typeof service.get>) {
        service.get = originalGet;
        if (when === "before") race();
        const result = originalGet.apply(this, args);
        if (when === "after") race();
        return result;
      };
      const stream = await SseReader.open(url(thing, undefined, "/events"));
      try {
        service.get = originalGet;
        expect((await stream.next()).data.version).toBe(firstVersion);
        if (firstVersion === 1)
          expect((await stream.next()).data).toMatchObject({ version: 2, state: { desired: { n: 2 } } });
        await post(thing, { state: { desired: { n: 3 } } });
        expect((await stream.next()).data).toMatchObject({ version: 3, state: { desired: { n: 3 } } });
      } finally {
        service.get = originalGet;
        stream.close();
      }
    },
  );
});

describe("GET /things paging", () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await startTestNode();
  });
  afterAll(async () => {
    await node?.stop();
  });

  const update = async (thing: string, name?: string) =>
    expect(
      (
        await httpShadow(node.httpUrl, thing, {
          op: "update",
          name,
          body: '{"state":{"reported":{"up":true}}}',
        })
      ).code,
    ).toBe(200);
  const remove = async (thing: string, name?: string) =>
    expect((await httpShadow(node.httpUrl, thing, { op: "delete", name })).code).toBe(200);
  const page = async (query: string) => {
    const res = await fetch(`${node.httpUrl}/things${query}`);
    return {
      code: res.status,
      body: (await res.json()) as { things: string[]; nextCursor?: string; code?: number },
    };
  };

  it("pages through every thing exactly once, in order, following nextCursor", async () => {
    // 23 plain things (created out of order, mixed case and digits), one with three shadows, one whose
    // classic shadow is deleted but a named one remains, and one with every shadow deleted.
    const plain = Array.from({ length: 23 }, (_, i) => `${i % 2 ? "Rack" : "pdu"}-${(i * 7) % 23}`);
    await Promise.all(plain.map((t) => update(t)));
    await Promise.all([
      update("multi"),
      update("multi", "a"),
      update("multi", "b"),
      update("half"),
      update("half", "keep"),
    ]);
    await Promise.all([update("gone"), update("gone", "n")]);
    await Promise.all([remove("half"), remove("gone"), remove("gone", "n")]);
    const expected = [...plain, "multi", "half"].sort();
    expect(expected).toHaveLength(25);

    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | undefined = "";
    for (let i = 0; cursor !== undefined && i < 10; i++) {
      const { code, body } = await page(`?limit=10${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      expect(code).toBe(200);
      seen.push(...body.things);
      sizes.push(body.things.length);
      cursor = body.nextCursor;
    }
    expect(cursor).toBeUndefined();
    expect(sizes).toEqual([10, 10, 5]);
    expect(seen).toEqual(expected);

    // A page that ends exactly at the last thing has no nextCursor; one short of it does.
    expect((await page("?limit=25")).body).toEqual({ things: expected });
    expect((await page("?limit=24")).body.nextCursor).toBe(expected[23]);
    // Without a limit, everything (fewer than the default page size) comes back.
    expect((await page("")).body).toEqual({ things: expected });
    expect((await page("?limit=1000")).code).toBe(200);
  });

  it.each(["0", "-1", "1001", "abc", "2.5", ""])("rejects limit=%j with 400", async (limit) => {
    const { code, body } = await page(`?limit=${limit}`);
    expect(code).toBe(400);
    expect(body).toMatchObject({ code: 400, message: expect.stringContaining("limit") });
  });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
