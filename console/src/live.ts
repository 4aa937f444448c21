import { useEffect, useState } from "preact/hooks";
import { api, enc } from "./api.ts";
import { type Link, openLink } from "./link.ts";

/** The node-wide event stream (`/console/api/events`): shadow summaries and presence, live. */
export type NodeEvent =
  | { type: "shadow"; data: ShadowEventData }
  | { type: "presence"; data: { thing: string; connection: Connection } }
  | { type: "reconnected" };

export interface Connection {
  connected: boolean;
  since: number;
  site: string;
}

export interface ShadowEventData {
  thing: string;
  shadow: string;
  deleted?: boolean;
  version?: number;
  deltaLeaves?: number;
  conflictLeaves?: number;
  lastReport?: number;
}

export type LinkStatus = "connecting" | "live" | "lost";

type Listener = (e: NodeEvent) => void;

/** What a page follows on the stream besides the summaries: a fleet query or a job. */
export interface Follow {
  what: { q: string } | { job: string };
  /** Each of its events (`match`, `unmatch`; `job`, `thing`, `end`) with the data the node sent. */
  on: (event: FollowEvent, data: Record<string, unknown>) => void;
  /** The node follows it now (after each (re)connection): re-read what may have changed. */
  following?: () => void;
}

/** This tab's prefix of its follow keys: the stream, and its events, are shared by every tab. */
const TAB = Math.random().toString(36).slice(2, 10);
const FOLLOW_EVENTS = ["match", "unmatch", "job", "thing", "end"] as const;
export type FollowEvent = (typeof FOLLOW_EVENTS)[number];

/**
 * The node's console stream as this tab sees it, and the only stream a page holds: one for all the
 * tabs of the browser, through a shared worker (console/src/link.ts; a browser allows 6 connections
 * per host for all its tabs, docs/console.md). Pages subscribe to its events while they
 * are shown, and ask it to follow a fleet query or a job (`follow`) instead of opening a stream.
 */
class NodeEvents {
  private link: Link | undefined;
  /** The stream's id (from `hello`), which follows are set on; undefined while not connected. */
  private streamId: string | undefined;
  private readonly follows = new Map<string, Follow>();
  /** The last request about each follow key, so a PUT and the DELETE after it reach the node in order. */
  private readonly pending = new Map<string, Promise<unknown>>();
  private lastKey = 0;
  private readonly listeners = new Set<Listener>();
  private readonly statusListeners = new Set<(s: LinkStatus) => void>();
  status: LinkStatus = "connecting";
  private everLive = false;
  /** Whether the page wants the stream (false once signed out: no retries then). */
  private wanted = false;

  start(): void {
    this.wanted = true;
    if (this.link) return;
    const link = openLink({
      event: (name, data) => this.onEvent(name, data),
      error: (closed) => {
        this.streamId = undefined;
        this.setStatus("lost");
        // A closed stream (e.g. 401 after the session ended) does not retry by itself. Ask who we are:
        // a 401 there signs the page out (and stops the stream); otherwise retry.
        if (!closed || this.link !== link) return;
        link.close();
        this.link = undefined;
        api("/session").catch(() => undefined);
        setTimeout(() => {
          if (this.wanted) this.start();
        }, 2000);
      },
    });
    this.link = link;
  }

  private onEvent(name: string, raw: string): void {
    const data = JSON.parse(raw) as Record<string, unknown>;
    if (name === "hello") {
      this.streamId = typeof data.stream === "string" ? data.stream : undefined;
      for (const key of this.follows.keys()) this.sendFollow(key);
      if (this.everLive) this.emit({ type: "reconnected" });
      this.everLive = true;
      this.setStatus("live");
    } else if (name === "shadow") this.emit({ type: "shadow", data: data as unknown as ShadowEventData });
    else if (name === "presence")
      this.emit({ type: "presence", data: data as unknown as { thing: string; connection: Connection } });
    else if ((FOLLOW_EVENTS as readonly string[]).includes(name))
      this.follows.get(String(data.key))?.on(name as FollowEvent, data);
  }

  stop(): void {
    this.wanted = false;
    this.link?.close();
    this.link = undefined;
    this.streamId = undefined;
    this.everLive = false;
    this.setStatus("connecting");
  }

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * Follows a fleet query or a job until the returned function is called; survives reconnections (set again
   * on each new stream). Each follow has a key of its own, so a late event of an earlier one is not
   * taken for its own.
   */
  follow(follow: Follow): () => void {
    const key = `${TAB}.f${++this.lastKey}`;
    this.follows.set(key, follow);
    this.sendFollow(key);
    return () => {
      this.follows.delete(key);
      this.sendFollow(key);
    };
  }

  /** Ends this tab's follows on the node (the tab is going away). */
  dropFollows(): void {
    const id = this.streamId;
    if (id === undefined) return;
    for (const key of this.follows.keys())
      api(`/console/api/events/${enc(id)}/follows/${enc(key)}`, { method: "DELETE", keepalive: true }).catch(
        () => undefined,
      );
  }

  /** Tells the node the follow of `key` as it is now (set or gone), after the last request about it. */
  private sendFollow(key: string): void {
    const id = this.streamId;
    if (id === undefined) return; // set at the next hello
    const path = `/console/api/events/${enc(id)}/follows/${enc(key)}`;
    const before = this.pending.get(key) ?? Promise.resolve();
    const next = before.then(async () => {
      const follow = this.follows.get(key);
      if (id !== this.streamId) return; // a new stream: its hello set every follow again
      if (!follow) return api(path, { method: "DELETE" });
      await api(path, { method: "PUT", body: follow.what });
      follow.following?.();
    });
    const settled = next.catch(() => undefined);
    this.pending.set(key, settled);
    settled.then(() => {
      if (this.pending.get(key) === settled) this.pending.delete(key);
    });
  }

  onStatus(fn: (s: LinkStatus) => void): () => void {
    this.statusListeners.add(fn);
    return () => this.statusListeners.delete(fn);
  }

  private emit(e: NodeEvent): void {
    for (const fn of this.listeners) fn(e);
  }

  private setStatus(s: LinkStatus): void {
    if (s === this.status) return;
    this.status = s;
    for (const fn of this.statusListeners) fn(s);
  }
}

export const nodeEvents = new NodeEvents();
// A closing tab ends its follows at once (they would last as long as the shared stream otherwise).
addEventListener("pagehide", () => nodeEvents.dropFollows());

/** Calls `fn` for every node event while the component is mounted. */
export function useNodeEvents(fn: Listener, deps: unknown[] = []): void {
  useEffect(() => nodeEvents.subscribe(fn), deps);
}

export function useLinkStatus(): LinkStatus {
  const [status, setStatus] = useState(nodeEvents.status);
  useEffect(() => nodeEvents.onStatus(setStatus), []);
  return status;
}
