import type { Duplex } from "node:stream";

/**
 * Tracks MQTT packet boundaries on a raw byte stream (fixed header + remaining-length varint) and
 * reports a packet whose declared length is over the limit, or a malformed length, as soon as its
 * header arrives — before the parser buffers megabytes waiting for a body that may never come.
 */
export class PacketSizeGuard {
  private state: "type" | "length" | "body" = "type";
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private remaining = 0;

  private packets = 0;

  /**
   * @param firstPacketBytes limit for the first packet (CONNECT): an unauthenticated connection should
   * not make the node buffer a full-size packet for up to the connect timeout.
   */
  constructor(
    private readonly maxPacketBytes: number,
    private readonly firstPacketBytes = maxPacketBytes,
  ) {}

  /** Returns an error message for the first violation in `chunk`, or null. */
  feed(chunk: Uint8Array): string | null {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === "type") {
        i++;
        this.state = "length";
        this.length = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
      } else if (this.state === "length") {
        const byte = chunk[i++] as number;
        this.length += (byte & 0x7f) * this.multiplier;
        this.multiplier *= 128;
        this.lengthBytes++;
        if (byte & 0x80) {
          if (this.lengthBytes >= 4) return "malformed remaining length (more than 4 bytes)";
          continue;
        }
        // +1 type byte +n length bytes: the whole packet counts against the limit.
        const limit =
          this.packets === 0 ? Math.min(this.firstPacketBytes, this.maxPacketBytes) : this.maxPacketBytes;
        this.packets++;
        if (this.length + 1 + this.lengthBytes > limit) {
          return `packet of ${this.length + 1 + this.lengthBytes} bytes exceeds the limit of ${limit}`;
        }
        this.remaining = this.length;
        this.state = this.remaining === 0 ? "type" : "body";
      } else {
        const take = Math.min(this.remaining, chunk.length - i);
        i += take;
        this.remaining -= take;
        if (this.remaining === 0) this.state = "type";
      }
    }
    return null;
  }
}

/** CONNECT with a will and credentials fits easily; before authentication nobody gets more. */
export const FIRST_PACKET_BYTES = 64 * 1024;

/**
 * Puts a PacketSizeGuard in front of aedes on one connection. aedes pulls bytes with `read()` on
 * 'readable'; the guard sees every chunk it pulls and destroys the connection on a violation. The
 * first packet (CONNECT, before anyone is authenticated) is held to `firstPacketBytes`.
 */
export function guardPacketSize(
  conn: Duplex,
  maxPacketBytes: number,
  onViolation: (reason: string) => void,
  firstPacketBytes = FIRST_PACKET_BYTES,
): void {
  const guard = new PacketSizeGuard(maxPacketBytes, firstPacketBytes);
  const read = conn.read.bind(conn);
  conn.read = (size?: number) => {
    const chunk = read(size) as Buffer | string | null;
    if (chunk !== null && typeof chunk !== "string") {
      const violation = guard.feed(chunk);
      if (violation) {
        onViolation(violation);
        conn.destroy();
        return null;
      }
    }
    return chunk;
  };
}
