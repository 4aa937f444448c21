import { randomBytes } from "node:crypto";
import type { EventStream } from "./event-stream.ts";

/** Starts following on a stream (sending events on it until it closes); answers what to reply. */
export type Follower = (stream: EventStream) => unknown;

/** Follows one console stream may hold at once (a page holds one or two: fleet rows, inventory). */
export const MAX_FOLLOWS = 8;
const KEY = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * The console's one event stream per tab (`GET /console/api/events`) and what each page asked it to
 * follow besides the node-wide summaries: a browser allows 6 connections per host for all its tabs,
 * so a page must not open a stream of its own (docs/console.md). Each stream gets an id (sent in
 * `hello`); `PUT /console/api/events/{id}/follows/{key}` starts a follow whose events go down that
 * stream tagged with `key`, replacing the follow of that key; `DELETE` stops it; all end with the stream.
 */
export class ConsoleStreams {
  private readonly streams = new Map<
    string,
    { owner: string; stream: EventStream; follows: Map<string, Sub> }
  >();

  /** Registers an open stream of `owner` (a principal's name); returns its id. */
  add(owner: string, stream: EventStream): string {
    const id = randomBytes(16).toString("base64url");
    const entry = { owner, stream, follows: new Map<string, Sub>() };
    this.streams.set(id, entry);
    stream.onClose(() => {
      this.streams.delete(id);
      for (const sub of entry.follows.values()) sub.close();
    });
    return id;
  }

  /**
   * Follows `follower` on stream `id` under `key`. An unknown stream, or one of another principal, is
   * `missing` (404: the page reconnected meanwhile); a bad key or too many follows is `refused` (400).
   */
  follow(
    id: string,
    owner: string,
    key: string,
    follower: Follower,
  ): { ok: true; answer: unknown } | { ok: false; error: "missing" | "refused"; message: string } {
    const entry = this.streams.get(id);
    if (!entry || entry.owner !== owner || entry.stream.closed)
      return { ok: false, error: "missing", message: `No open event stream '${id}' of yours` };
    if (!KEY.test(key))
      return { ok: false, error: "refused", message: "A follow key is 1-64 letters, digits, _ . : -" };
    entry.follows.get(key)?.close();
    entry.follows.delete(key);
    if (entry.follows.size >= MAX_FOLLOWS)
      return { ok: false, error: "refused", message: `At most ${MAX_FOLLOWS} follows per event stream` };
    const sub = new Sub(entry.stream, key);
    entry.follows.set(key, sub);
    return { ok: true, answer: follower(sub) };
  }

  /** Stops the follow `key` of stream `id` (nothing if there is none). */
  unfollow(id: string, owner: string, key: string): void {
    const entry = this.streams.get(id);
    if (!entry || entry.owner !== owner) return;
    entry.follows.get(key)?.close();
    entry.follows.delete(key);
  }
}

/** One follow as a stream of its own: its events go down the console stream with `key` added. */
class Sub implements EventStream {
  private readonly cleanups: (() => void)[] = [];
  private over = false;

  constructor(
    private readonly outer: EventStream,
    private readonly key: string,
  ) {}

  send(event: string, data: unknown): void {
    if (!this.closed) this.outer.send(event, { key: this.key, ...(data as object) });
  }

  end(event?: string, data?: unknown): void {
    if (event !== undefined) this.send(event, data);
    this.close();
  }

  onClose(cleanup: () => void): void {
    if (this.over) cleanup();
    else this.cleanups.push(cleanup);
  }

  get closed(): boolean {
    return this.over || this.outer.closed;
  }

  close(): void {
    if (this.over) return;
    this.over = true;
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }
}
