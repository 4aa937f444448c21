import { describe, expect, it } from "vitest";
import { ConsoleStreams, MAX_FOLLOWS } from "../../broker/http/console-follows.ts";
import type { EventStream } from "../../broker/http/event-stream.ts";

/** An open stream that records what it was sent, and can be closed as a client leaving would. */
function recorder() {
  const sent: [string, unknown][] = [];
  const cleanups: (() => void)[] = [];
  let closed = false;
  const stream: EventStream & { leave(): void } = {
    send: (event, data) => void (closed || sent.push([event, data])),
    end: () => stream.leave(),
    onClose: (fn) => (closed ? fn() : cleanups.push(fn)),
    get closed() {
      return closed;
    },
    leave() {
      closed = true;
      for (const fn of cleanups.splice(0)) fn();
    },
  };
  return { stream, sent };
}

/** A follower that sends `tick` when poked, and says whether it was told the follow ended. */
function follower() {
  const state = { ended: false, poke: (_n: number) => {} };
  const start = (s: EventStream) => {
    state.poke = (n) => s.send("tick", { n });
    s.onClose(() => {
      state.ended = true;
    });
    return "following";
  };
  return { state, start };
}

describe("console stream follows", () => {
  it("sends a follow's events down its stream with its key, until it is ended", () => {
    const streams = new ConsoleStreams();
    const { stream, sent } = recorder();
    const id = streams.add("alice", stream);
    const f = follower();
    expect(streams.follow(id, "alice", "t1.f1", f.start)).toEqual({ ok: true, answer: "following" });
    f.state.poke(1);
    streams.unfollow(id, "alice", "t1.f1");
    f.state.poke(2);
    expect(sent).toEqual([["tick", { key: "t1.f1", n: 1 }]]);
    expect(f.state.ended).toBe(true);
  });

  it("refuses another principal's stream, an unknown one and a bad key", () => {
    const streams = new ConsoleStreams();
    const id = streams.add("alice", recorder().stream);
    expect(streams.follow(id, "mallory", "k", follower().start)).toMatchObject({
      ok: false,
      error: "missing",
    });
    expect(streams.follow("nope", "alice", "k", follower().start)).toMatchObject({
      ok: false,
      error: "missing",
    });
    expect(streams.follow(id, "alice", "a b", follower().start)).toMatchObject({
      ok: false,
      error: "refused",
    });
    // Another principal cannot end alice's follow either.
    const f = follower();
    streams.follow(id, "alice", "k", f.start);
    streams.unfollow(id, "mallory", "k");
    expect(f.state.ended).toBe(false);
  });

  it("replaces a follow of the same key, ends the oldest past the bound, and ends all with the stream", () => {
    const streams = new ConsoleStreams();
    const { stream } = recorder();
    const id = streams.add("alice", stream);
    const first = follower();
    streams.follow(id, "alice", "k0", first.start);
    const again = follower();
    streams.follow(id, "alice", "k0", again.start);
    expect(first.state.ended).toBe(true);
    const rest = Array.from({ length: MAX_FOLLOWS }, (_, i) => {
      const f = follower();
      streams.follow(id, "alice", `k${i + 1}`, f.start);
      return f;
    });
    expect(again.state.ended).toBe(true); // the oldest, ended by the 65th
    expect(rest.every((f) => !f.state.ended)).toBe(true);
    stream.leave();
    expect(rest.every((f) => f.state.ended)).toBe(true);
    expect(streams.follow(id, "alice", "k", follower().start)).toMatchObject({ ok: false, error: "missing" });
  });
});
