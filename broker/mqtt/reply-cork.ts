import type { Client } from "aedes";

type Write = (chunk: unknown, encoding?: unknown, cb?: unknown) => boolean;
interface Stream {
  cork(): void;
  uncork(): void;
  write: Write;
}

/** Per connection: whether a request holds the cork, and whether it goes with the next write. */
interface CorkState {
  readonly conn: Stream;
  held: boolean;
  releaseOnWrite: boolean;
  /** Which hold the cork belongs to (a later request's hold is not released by an earlier reply). */
  hold: number;
}

/**
 * Holds a client's outgoing bytes from the moment its shadow request arrives until the reply is
 * written, so the PUBACK of the request and its `accepted`/`rejected` reply leave in one socket write
 * instead of two (docs/shadow-engine.md, "Threads": on loopback each write costs ~20-25 µs of the main
 * thread, a tenth of an update). MQTT lets the PUBACK come at any time before the client's in-flight
 * window matters; it is delayed by one group commit (milliseconds).
 *
 * At most one request per connection holds the cork at a time: with requests pipelined on one
 * connection (an operator), each reply releases what was held so far, so nothing waits for more than
 * one commit, and Node's cork counter can never stay above zero.
 *
 * The cork goes with the reply's own write: `releaseAfterWrite` marks it, and the first write to the
 * stream after that releases it on the next tick, when the packet's bytes are all in the stream's
 * buffer (mqtt-packet writes a packet in several `write` calls). A fixed delay (one event-loop turn,
 * the first version) came before aedes' own deferred QoS 1 write, so the PUBACK still left alone. The
 * caller also calls `release` once the publish is done, for a reply written to nobody.
 */
export class ReplyCork {
  private readonly states = new WeakMap<Client, CorkState>();

  private holds = 0;

  /**
   * Corks the client's stream unless a request of it already holds it. Returns the hold (to pass to
   * `releaseAfterWrite` and `release`), or 0 when this request does not hold the cork.
   */
  hold(client: Client): number {
    let state = this.states.get(client);
    if (state === undefined) {
      const conn = client.conn as Partial<Stream> | undefined;
      if (typeof conn?.cork !== "function" || typeof conn.write !== "function") return 0;
      state = { conn: conn as Stream, held: false, releaseOnWrite: false, hold: 0 };
      watchWrites(state);
      this.states.set(client, state);
    }
    if (state.held) return 0;
    state.conn.cork();
    state.held = true;
    this.holds = this.holds >= Number.MAX_SAFE_INTEGER ? 1 : this.holds + 1;
    state.hold = this.holds;
    return state.hold;
  }

  /**
   * The reply is being handed to aedes: the cork is released right after its bytes are written (never
   * later than `release`). A reply larger than the socket's buffer is not held back waiting for 'drain'.
   */
  releaseAfterWrite(client: Client, hold: number): void {
    const state = this.states.get(client);
    if (state?.held && state.hold === hold) state.releaseOnWrite = true;
  }

  /** Releases the cork taken by `hold` now (a no-op once it is released). */
  release(client: Client, hold: number): void {
    const state = this.states.get(client);
    if (state?.held && state.hold === hold) uncork(state);
  }
}

function uncork(state: CorkState): void {
  if (!state.held) return;
  state.held = false;
  state.releaseOnWrite = false;
  state.conn.uncork();
}

/** Wraps the stream's `write` once per connection, to notice the reply's write. */
function watchWrites(state: CorkState): void {
  const conn = state.conn;
  const write = conn.write;
  conn.write = function corkedWrite(this: Stream, chunk: unknown, encoding?: unknown, cb?: unknown) {
    const ok = write.call(this, chunk, encoding, cb);
    if (state.releaseOnWrite) {
      state.releaseOnWrite = false;
      process.nextTick(uncork, state);
    }
    return ok;
  };
}
