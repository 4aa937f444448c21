import type { Clock } from "../../shared/clock.ts";
import type { Logger } from "../../shared/logger.ts";
import type { LinkStats } from "../../shared/relay/link-stats.ts";
import type { MessagesFrame, RelayedMessage } from "../../shared/relay/protocol.ts";
import type { ShadowAddress } from "../../shared/topics.ts";
import type { ShadowService } from "../shadow/shadow-service.ts";
import type { ShadowStore } from "../shadow/shadow-store.ts";
import type { PeerStateStore } from "./peer-state.ts";

export type { LinkStats };

/** The link's tuning (broker/relay/relay-config.ts derives it from the node's settings). */
export interface LinkOptions {
  /** Flush when this long has passed since the last flush … */
  syncDeltaMs: number;
  /** … or when this many shadows are pending. */
  syncMax: number;
  /** Byte budget of the link (bytes per second, frames as sent); undefined: unlimited. */
  linkRate?: number;
  /** Resend a frame not acknowledged within this time. */
  ackTimeoutMs: number;
  /** Stop adding shadows to a frame past this many bytes of raw changes. */
  maxFrameBytes: number;
  /** Frames in flight (sent, not yet acknowledged). */
  window: number;
  /** Bytes of JSON per `heads` frame of digest repair; default HEADS_PAGE_BYTES (512 KiB). */
  headsPageBytes?: number;
}

export interface LinkDeps {
  /** This node's site id. */
  site: string;
  /** "child": we dialled the peer (our parent); "parent": the peer dialled us. */
  side: "child" | "parent";
  service: ShadowService;
  store: ShadowStore;
  state: PeerStateStore;
  log: Logger;
  /** Time and timers; the system clock by default (tests pass a fake one). */
  clock?: Clock;
  /** Share policy: whether shadows of `thing` cross this link (checked both ways). */
  allows(thing: string): boolean;
  /** That policy as a glob list, announced to the peer in `hello` (it then sends nothing outside it). */
  shareSpec?(): string;
  /**
   * Things the peer must not cut, announced in `hello` (a child to its second and later parents: what
   * it shares with the parents before them; docs/shadow-engine.md, "One top per thing").
   */
  noCutSpec?(): string | undefined;
  /** Hands a frame to the transport; false when the transport is down (the frame is lost). */
  send(frame: Uint8Array): boolean;
  /**
   * A frame from the peer that this link could not use (not a refusable change batch): reported here
   * instead of logged, so the frame intake can count it and keep a hostile peer from flooding the log.
   */
  badFrame?(reason: string): void;
  /** The peer acknowledged changes of shadow `key` (the agreed cut looks whether it is due). */
  acked?(key: string): void;
  /** The other links that share `thing` (named when a shadow turns out split between two cutters). */
  peersSharing?(thing: string): string[];
  /** Plain-topic messages the peer forwarded; resolves once they are delivered (then they are acked). */
  onMessages?(frame: MessagesFrame): Promise<void> | void;
}

/** The store-and-forward queue of plain-topic messages a child sends up (broker/relay/outbox.ts). */
export interface LinkOutbox {
  /** The oldest waiting messages after `afterSeq`, up to about `maxBytes`. */
  take(maxBytes: number, afterSeq: number): { messages: RelayedMessage[]; floor: number };
  /** The parent acknowledged these (they are delivered there): forget them. */
  acked(messages: RelayedMessage[]): void;
}

/** The counters of LinkStats (the rest is computed when stats are read). */
export type LinkCounters = Omit<
  LinkStats,
  "connected" | "pendingChanges" | "pendingBytes" | "lagMs" | "epochSplits" | "splitShadows"
>;

export function addrOfKey(key: string): ShadowAddress {
  const at = key.indexOf("/");
  return at < 0 ? { thing: key, shadow: "" } : { thing: key.slice(0, at), shadow: key.slice(at + 1) };
}
