import { BirthCertificate } from "./birth.ts";
import type { SparkplugMetric } from "./codec.ts";
import { SeqTracker } from "./sequence.ts";

export interface DeviceSession {
  readonly id: string;
  readonly thing: string;
  birth: BirthCertificate;
  online: boolean;
}

/**
 * What the host knows of one edge node: its session (bdSeq, seq), its birth certificate and those of
 * its devices. Pure state; the host application (host.ts) does the I/O.
 */
export class EdgeSession {
  /** Set by NBIRTH; cleared by a matching NDEATH. */
  birth: BirthCertificate | undefined;
  /** The NBIRTH's bdSeq metric as a string (numbers and Longs compare alike); NDEATH must match it. */
  bdSeq: string | undefined;
  readonly seq = new SeqTracker();
  readonly devices = new Map<string, DeviceSession>();
  /** When the host last asked this edge node for a rebirth (Unix ms), to ask once, not per message. */
  rebirthRequestedAt: number | undefined;

  constructor(
    readonly group: string,
    readonly edge: string,
    readonly thing: string,
  ) {}

  get online(): boolean {
    return this.birth !== undefined;
  }

  /**
   * NBIRTH: a new session. Devices must be born again (their births follow); returns those that were
   * online (the old session ended without an NDEATH we saw, so they are offline until reborn).
   */
  nodeBirth(metrics: readonly SparkplugMetric[], seq: number, at: number): DeviceSession[] {
    this.birth = new BirthCertificate(metrics, at);
    const bd = metrics.find((m) => m.name === "bdSeq")?.value;
    this.bdSeq = bd === undefined || bd === null ? undefined : String(bd);
    this.seq.reset(seq);
    this.rebirthRequestedAt = undefined;
    return this.endDevices();
  }

  /** Whether an NDEATH belongs to the current session: a will left over from an older one must not end it. */
  deathMatches(metrics: readonly SparkplugMetric[]): boolean {
    if (this.birth === undefined) return false;
    const bd = metrics.find((m) => m.name === "bdSeq")?.value;
    return this.bdSeq === undefined || bd === undefined || bd === null || String(bd) === this.bdSeq;
  }

  /** NDEATH: the session ended; returns the devices that were online (they are offline now too). */
  nodeDeath(): DeviceSession[] {
    this.birth = undefined;
    return this.endDevices();
  }

  /**
   * Forgets the session's devices (their certificates and alias tables: memory stays bounded by the
   * current session, however many device ids an edge node goes through) and returns those online.
   */
  private endDevices(): DeviceSession[] {
    const wasOnline = [...this.devices.values()].filter((d) => d.online);
    for (const d of wasOnline) d.online = false;
    this.devices.clear();
    return wasOnline;
  }

  deviceBirth(id: string, thing: string, metrics: readonly SparkplugMetric[], at: number): DeviceSession {
    const session: DeviceSession = { id, thing, birth: new BirthCertificate(metrics, at), online: true };
    this.devices.set(id, session);
    return session;
  }

  /**
   * Resolves the names of DATA metrics against the device's birth (then the node's: aliases are
   * unique across an edge node). Returns null when an alias is unknown (rebirth needed).
   */
  resolveNames(
    device: DeviceSession | undefined,
    metrics: readonly SparkplugMetric[],
  ): { name: string; metric: SparkplugMetric }[] | null {
    const out: { name: string; metric: SparkplugMetric }[] = [];
    for (const m of metrics) {
      const name = device?.birth.resolve(m) ?? this.birth?.resolve(m);
      if (name === undefined) return null;
      out.push({ name, metric: m });
    }
    return out;
  }
}
