import { PassThrough } from "node:stream";
import type { Client } from "aedes";
import { describe, expect, it } from "vitest";
import { ReplyCork } from "../../broker/mqtt/reply-cork.ts";

/** A client whose connection records every chunk that reaches its underlying write (one per writev). */
function client() {
  const writes: string[] = [];
  const conn = new PassThrough();
  conn._writev = (chunks, cb) => {
    writes.push(chunks.map((c) => String(c.chunk)).join(""));
    cb();
  };
  conn._write = (chunk, _enc, cb) => {
    writes.push(String(chunk));
    cb();
  };
  return { c: { conn } as unknown as Client, conn, writes };
}

const turn = () => new Promise((r) => setImmediate(r));
const tick = () => new Promise((r) => process.nextTick(r));

describe("ReplyCork", () => {
  it("sends the PUBACK and the reply in one write, released by the reply's own write", async () => {
    const cork = new ReplyCork();
    const { c, conn, writes } = client();
    const hold = cork.hold(c);
    expect(hold).toBeGreaterThan(0);
    conn.write("puback;");
    await turn();
    expect(writes).toEqual([]);
    cork.releaseAfterWrite(c, hold);
    // aedes writes a QoS 1 delivery turns later (setImmediate, persistence): the cork waits for it.
    await turn();
    await turn();
    expect(writes).toEqual([]);
    conn.write("acc"); // mqtt-packet writes one packet in several calls, all in one tick
    conn.write("epted;");
    expect(writes).toEqual([]);
    await tick();
    expect(writes).toEqual(["puback;accepted;"]);
    cork.release(c, hold); // the fallback after the publish is done: a no-op now
    conn.write("later;");
    expect(writes).toEqual(["puback;accepted;", "later;"]);
  });

  it("releases at once for a reply that is written to nobody", () => {
    const cork = new ReplyCork();
    const { c, conn, writes } = client();
    const hold = cork.hold(c);
    conn.write("puback;");
    cork.releaseAfterWrite(c, hold);
    cork.release(c, hold);
    expect(writes).toEqual(["puback;"]);
  });

  it("lets one request per connection hold the cork, so pipelined requests never keep it corked", async () => {
    const cork = new ReplyCork();
    const { c, conn, writes } = client();
    const first = cork.hold(c);
    expect(first).toBeGreaterThan(0);
    expect(cork.hold(c)).toBe(0); // a second request of the same client arrived meanwhile
    conn.write("puback1;puback2;reply1;");
    cork.release(c, first);
    expect(writes).toEqual(["puback1;puback2;reply1;"]);
    conn.write("reply2;"); // the second request's reply goes out at once
    expect(writes).toEqual(["puback1;puback2;reply1;", "reply2;"]);
    const next = cork.hold(c); // and the next request may hold it again
    expect(next).toBeGreaterThan(0);
    cork.release(c, next);
  });

  it("never releases a later request's cork for an earlier reply", () => {
    const cork = new ReplyCork();
    const { c, conn, writes } = client();
    const first = cork.hold(c);
    cork.release(c, first);
    const second = cork.hold(c); // the client's next request, before the first reply's publish ended
    conn.write("puback2;");
    cork.release(c, first); // the first request's fallback release
    cork.releaseAfterWrite(c, first);
    conn.write("x;");
    expect(writes).toEqual([]);
    cork.release(c, second);
    expect(writes).toEqual(["puback2;x;"]);
  });

  it("leaves a connection without cork() alone", () => {
    const cork = new ReplyCork();
    expect(cork.hold({ conn: {} } as unknown as Client)).toBe(0);
  });
});
