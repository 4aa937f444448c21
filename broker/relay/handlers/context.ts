import type { Clock } from "../../../shared/clock.ts";
import type { KeyHeads } from "../../../shared/relay/digest.ts";
import type { Frame, RelayedMessage } from "../../../shared/relay/protocol.ts";
import type { LinkCounters, LinkDeps } from "../link-types.ts";
import type { PeerSync } from "../peer-sync.ts";
import type { SendWindow } from "../send-window.ts";

/** A shared shadow's key and heads; `deferred`: it has updates its heads do not hold (docs/shadow-engine.md). */
export type SharedHeads = KeyHeads & { deferred?: boolean };

/**
 * What a frame handler may use of its link (RelayLink builds it): the handlers get this explicit
 * face, never the link's private fields.
 */
export interface LinkContext {
  readonly peer: string;
  readonly deps: Pick<LinkDeps, "side" | "store" | "service" | "log" | "allows" | "acked" | "onMessages">;
  readonly clock: Clock;
  readonly sync: PeerSync;
  readonly window: SendWindow;
  readonly counters: LinkCounters;
  /** Bytes of JSON per `heads` frame of digest repair (shared/relay/heads-pages.ts). */
  readonly headsPageBytes: number;
  /** Whether a session is open. */
  readonly up: boolean;
  /** The share policy and the peer's announced filter: what crosses the link outwards. */
  allows(thing: string): boolean;
  /** Records the filter the peer announced in its hello (throws when it is malformed). */
  setPeerFilter(spec: string | undefined): void;
  /** Records the things the peer asked us not to cut (throws when the list is malformed). */
  setPeerNoCut(spec: string | undefined): void;
  transmit(frame: Frame): Uint8Array | undefined;
  /** `key` may have changes the peer lacks: dirty, flushed under the policy. */
  markDirty(key: string, thing: string): void;
  flushNow(): void;
  /** Opens a new session (a parent, on its child's hello). */
  open(): void;
  /** (key, heads) of every stored shadow this link shares. */
  sharedHeads(): SharedHeads[];
  sendDigest(): void;
  /** The peer could not rebuild an abbreviated frame: full hashes for the rest of the session. */
  useFullHashes(): void;
  /** The peer sent a second, different base for `epoch` of shadow `key` (broker/relay/epoch-split.ts). */
  epochSplit(key: string, thing: string, epoch: number): void;
  /** Acknowledged plain-topic messages leave the outbox. */
  messagesAcked(messages: RelayedMessage[]): void;
}
