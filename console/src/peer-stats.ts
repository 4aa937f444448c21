/**
 * One link of GET /peers: the console's copy of LinkStats (broker/relay/link-types.ts; the console
 * bundles none of the broker's code). test/unit/console-peer-stats.test.ts checks that it matches.
 */
export interface PeerStats {
  peer: string;
  side: "child" | "parent";
  site?: string;
  connected: boolean;
  lastContact: number | null;
  pendingChanges: number;
  pendingBytes: number;
  lagMs: number;
  bytesSent: number;
  bytesReceived: number;
  changesSent: number;
  changesReceived: number;
  framesRetried: number;
  denied: number;
  /** Change sets refused as a second base for one epoch (two sites cut them), and those shadows. */
  epochSplits: number;
  splitShadows: string[];
}
