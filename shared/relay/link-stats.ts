/**
 * One relay link as GET /peers, `umbra peers` and the console's Sites page read it (the node builds it
 * in broker/relay/link.ts; the console imports this type, so both sides agree by construction).
 */
export interface LinkStats {
  peer: string;
  side: "child" | "parent";
  /** The peer's site id as it announced itself. */
  site?: string;
  connected: boolean;
  /** Epoch ms of the last frame received. */
  lastContact: number | null;
  /** Shadows with changes the peer does not have yet (dirty or in flight). */
  pendingChanges: number;
  /** Bytes of frames in flight. */
  pendingBytes: number;
  /** Age of the oldest change the peer does not have yet (ms). */
  lagMs: number;
  bytesSent: number;
  bytesReceived: number;
  framesSent: number;
  framesReceived: number;
  framesRetried: number;
  changesSent: number;
  changesReceived: number;
  /** Shadows the share policy kept from crossing (either way). */
  denied: number;
  /**
   * Change sets refused as a second, different base for an epoch this site holds (two sites cut the
   * shadow; broker/relay/epoch-split.ts), and the latest such shadows.
   */
  epochSplits: number;
  splitShadows: string[];
}
