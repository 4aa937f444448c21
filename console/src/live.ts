import { useEffect, useState } from "preact/hooks";
import { api } from "./api.ts";

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

/** One EventSource for the whole page; pages subscribe while they are shown. */
class NodeEvents {
  private source: EventSource | undefined;
  private readonly listeners = new Set<Listener>();
  private readonly statusListeners = new Set<(s: LinkStatus) => void>();
  status: LinkStatus = "connecting";
  private everLive = false;
  /** Whether the page wants the stream (false once signed out: no retries then). */
  private wanted = false;

  start(): void {
    this.wanted = true;
    if (this.source) return;
    const source = new EventSource("/console/api/events");
    this.source = source;
    source.addEventListener("hello", () => {
      if (this.everLive) this.emit({ type: "reconnected" });
      this.everLive = true;
      this.setStatus("live");
    });
    source.addEventListener("shadow", (e) => this.emit({ type: "shadow", data: JSON.parse(e.data) }));
    source.addEventListener("presence", (e) => this.emit({ type: "presence", data: JSON.parse(e.data) }));
    source.onerror = () => {
      this.setStatus("lost");
      // A closed source (e.g. 401 after the session ended) does not retry by itself. Ask who we are:
      // a 401 there signs the page out (and stops the stream); otherwise retry.
      if (source.readyState === EventSource.CLOSED) {
        this.source = undefined;
        api("/session").catch(() => undefined);
        setTimeout(() => {
          if (this.wanted) this.start();
        }, 2000);
      }
    };
  }

  stop(): void {
    this.wanted = false;
    this.source?.close();
    this.source = undefined;
    this.everLive = false;
    this.setStatus("connecting");
  }

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
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

/** Calls `fn` for every node event while the component is mounted. */
export function useNodeEvents(fn: Listener, deps: unknown[] = []): void {
  useEffect(() => nodeEvents.subscribe(fn), deps);
}

export function useLinkStatus(): LinkStatus {
  const [status, setStatus] = useState(nodeEvents.status);
  useEffect(() => nodeEvents.onStatus(setStatus), []);
  return status;
}
