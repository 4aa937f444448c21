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

describe("ReplyCork", () => {
  it("sends what was written between hold and release (PUBACK, then the reply) in one write", async () => {
    const cork = new ReplyCork();
    const { c, conn, writes } = client();
    expect(cork.hold(c)).toBe(true);
    conn.write("puback;");
    await turn();
    expect(writes).toEqual([]);
    conn.write("accepted;");
    cork.release(c, true);
    expect(writes).toEqual([]); // released one turn later (aedes writes a QoS 1 delivery in a setImmediate)
    await turn();
    expect(writes).toEqual(["puback;accepted;"]);
  });

  it("lets one request per connection hold the cork, so pipelined requests never keep it corked", async () => {
    const cork = new ReplyCork();
    const { c, conn, writes } = client();
    expect(cork.hold(c)).toBe(true);
    expect(cork.hold(c)).toBe(false); // a second request of the same client arrived meanwhile
    conn.write("puback1;puback2;reply1;");
    cork.release(c);
    expect(writes).toEqual(["puback1;puback2;reply1;"]);
    conn.write("reply2;"); // the second request's reply goes out at once
    expect(writes).toEqual(["puback1;puback2;reply1;", "reply2;"]);
    expect(cork.hold(c)).toBe(true); // and the next request may hold it again
    cork.release(c);
  });

  it("leaves a connection without cork() alone", () => {
    const cork = new ReplyCork();
    expect(cork.hold({ conn: {} } as unknown as Client)).toBe(false);
  });
});
