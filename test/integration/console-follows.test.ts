import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestNode, type TestNode } from "../helpers/node.ts";
import { SseReader } from "../helpers/sse-reader.ts";

/**
 * The console's one stream also carries what a page follows (broker/http/console-follows.ts): a fleet
 * query's `match`/`unmatch` with the follow's key, set and ended over HTTP; a bad query is a 400 with
 * its position; a stream that is not open is a 404.
 */
describe("console stream follows", () => {
  let node: TestNode;
  const url = (path: string) => `${node.httpUrl}${path}`;
  const put = (path: string, body: unknown) =>
    fetch(url(path), {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    node = await startTestNode();
    await node.service.update(
      { thing: "pdu-1", shadow: "" },
      JSON.stringify({ state: { reported: { w: 1 } } }),
    );
  });
  afterAll(() => node?.stop());

  it("sends a followed query's matches with the follow's key, until the follow ends", async () => {
    const events = await SseReader.open(url("/console/api/events"), 15_000);
    try {
      const hello = await events.next();
      expect(hello.event).toBe("hello");
      const stream = (hello.data as { stream: string }).stream;
      expect(stream).toMatch(/^[A-Za-z0-9_-]{16,}$/);
      const followed = await put(`/console/api/events/${stream}/follows/tab1.f1`, { q: 'thingName:"pdu-1"' });
      expect(followed.status).toBe(200);
      expect(await followed.json()).toEqual({ following: 1 });

      const patched = await fetch(url("/things/pdu-1/attributes"), {
        method: "PATCH",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "PX-9" }),
      });
      expect(patched.status).toBe(200);
      // The node-wide summaries still come; the match carries the whole record and the key.
      let match: unknown;
      for (let i = 0; i < 10 && match === undefined; i++) {
        const e = await events.next();
        if (e.event === "match") match = e.data;
      }
      expect(match).toMatchObject({
        key: "tab1.f1",
        thing: "pdu-1",
        record: { attributes: { model: "PX-9" } },
      });
      const ended = await fetch(url(`/console/api/events/${stream}/follows/tab1.f1`), { method: "DELETE" });
      expect(ended.status).toBe(204);

      const bad = await put(`/console/api/events/${stream}/follows/tab1.f2`, { q: "model:" });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ error: "query_invalid", position: expect.any(Number) });
      expect((await put(`/console/api/events/${stream}/follows/tab1.f2`, { nothing: 1 })).status).toBe(400);
    } finally {
      events.close();
    }
    expect((await put("/console/api/events/not-a-stream/follows/k", { q: "thingName:x" })).status).toBe(404);
  });
});
