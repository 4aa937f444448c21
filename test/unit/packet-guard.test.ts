import { PassThrough } from "node:stream";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { guardPacketSize, PacketSizeGuard } from "../../broker/mqtt/packet-guard.ts";
import { split, varint } from "../helpers/mqtt-fuzz-cases.ts";

const LIMIT = 300;

/** A whole packet of `total` bytes (type byte + remaining length + body). */
function packetOfTotal(total: number, type = 0x30): Buffer {
  // Find the body size whose varint makes the packet exactly `total` bytes long.
  for (let lenBytes = 1; lenBytes <= 4; lenBytes++) {
    const body = total - 1 - lenBytes;
    if (body >= 0 && varint(body).length === lenBytes) {
      return Buffer.concat([Buffer.from([type]), varint(body), Buffer.alloc(body, 0x61)]);
    }
  }
  throw new Error(`no packet of exactly ${total} bytes`);
}

function packet(bodyLength: number, type = 0x30): Buffer {
  return Buffer.concat([Buffer.from([type]), varint(bodyLength), Buffer.alloc(bodyLength, 0x62)]);
}

/** Feeds byte by byte; returns the index of the byte at which the guard first objected, or -1. */
function violationIndex(guard: PacketSizeGuard, bytes: Buffer): number {
  for (let i = 0; i < bytes.length; i++) if (guard.feed(bytes.subarray(i, i + 1)) !== null) return i;
  return -1;
}

/** Feeds the given chunks; returns the index of the chunk at which the guard first objected, or -1. */
function violationChunk(guard: PacketSizeGuard, chunks: Buffer[]): number {
  return chunks.findIndex((c) => guard.feed(c) !== null);
}

describe("PacketSizeGuard", () => {
  it("accepts a packet of exactly the limit and refuses one byte more, counting header bytes", () => {
    for (const limit of [2, 128, 131, 300, 16_389, 256 * 1024]) {
      expect(new PacketSizeGuard(limit).feed(packetOfTotal(limit))).toBeNull();
      const over = new PacketSizeGuard(limit).feed(packetOfTotal(limit + 1));
      expect(over).toMatch(new RegExp(`packet of ${limit + 1} bytes exceeds the limit of ${limit}`));
    }
  });

  it("refuses an oversize packet as soon as its length field is complete, before any body", () => {
    const guard = new PacketSizeGuard(LIMIT);
    // 0xFF 0xFF 0xFF 0x7F: the largest legal remaining length (268435455), with no body at all.
    expect(guard.feed(Buffer.from([0x30, 0xff, 0xff, 0xff]))).toBeNull();
    expect(guard.feed(Buffer.from([0x7f]))).toMatch(/exceeds the limit/);
  });

  it("refuses a remaining length of more than 4 bytes (malformed) at its 4th byte", () => {
    const five = Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(violationIndex(new PacketSizeGuard(10 ** 9), five)).toBe(4);
    expect(new PacketSizeGuard(10 ** 9).feed(five)).toMatch(/malformed remaining length/);
    // Five bytes that encode 0 are just as malformed.
    const zero = Buffer.from([0xc0, 0x80, 0x80, 0x80, 0x80, 0x00]);
    expect(new PacketSizeGuard(10 ** 9).feed(zero)).toMatch(/malformed/);
    // A 4-byte length is legal.
    expect(new PacketSizeGuard(10 ** 9).feed(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x01]))).toBeNull();
  });

  it("treats zero-length packets as complete: the next byte is a new fixed header", () => {
    const guard = new PacketSizeGuard(LIMIT);
    const pings = Buffer.from([0xc0, 0x00, 0xd0, 0x00, 0xe0, 0x00]);
    for (let i = 0; i < 100; i++) expect(guard.feed(pings)).toBeNull();
    // If a zero-length packet had left the guard waiting for a body, this header would be swallowed.
    expect(guard.feed(Buffer.from([0x30, 0xff, 0x7f]))).toMatch(/exceeds/);
    // A limit of 2 admits exactly the two-byte packets.
    const tiny = new PacketSizeGuard(2);
    expect(tiny.feed(pings)).toBeNull();
    expect(tiny.feed(Buffer.from([0x30, 0x01]))).toMatch(/3 bytes exceeds the limit of 2/);
  });

  it("tracks packet boundaries byte by byte: body bytes that look like huge lengths are not headers", () => {
    // Bodies full of 0xFF: a guard that lost the boundary would read them as a 5-byte length.
    const body = (n: number) => Buffer.concat([Buffer.from([0x30]), varint(n), Buffer.alloc(n, 0xff)]);
    const stream = Buffer.concat([body(0), body(1), body(127), body(128), body(LIMIT - 3), body(5)]);
    expect(violationIndex(new PacketSizeGuard(LIMIT), stream)).toBe(-1);
    const withOversize = Buffer.concat([stream, Buffer.from([0x30]), varint(LIMIT)]);
    // The violation is the last byte of the oversize packet's length field, no earlier and no later.
    expect(violationIndex(new PacketSizeGuard(LIMIT), withOversize)).toBe(withOversize.length - 1);
  });

  it("finds the same first violation however the stream is split (property)", () => {
    const packetArb = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.integer({ min: 0, max: LIMIT - 3 }).map((n) => ({ bytes: packet(n), bad: false })),
      },
      {
        weight: 1,
        arbitrary: fc.integer({ min: LIMIT - 2, max: 70_000 }).map((n) => ({ bytes: packet(n), bad: true })),
      },
      {
        weight: 1,
        arbitrary: fc.constant({ bytes: Buffer.from([0x30, 0x80, 0x80, 0x80, 0x80, 0x01]), bad: true }),
      },
    );
    fc.assert(
      fc.property(
        fc.array(packetArb, { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (packets, cuts) => {
          // The model: the first bad packet's length field ends (or overflows) at a known offset.
          let offset = 0;
          let expected = -1;
          for (const p of packets) {
            if (p.bad) {
              const lenEnd = p.bytes.findIndex((b, i) => i > 0 && ((b & 0x80) === 0 || i === 4));
              expected = offset + lenEnd;
              break;
            }
            offset += p.bytes.length;
          }
          const stream = Buffer.concat(packets.map((p) => p.bytes));
          expect(violationIndex(new PacketSizeGuard(LIMIT), stream)).toBe(expected);
          const chunks = split(stream, cuts);
          let chunkOfExpected = -1;
          if (expected >= 0) {
            let seen = 0;
            chunkOfExpected = chunks.findIndex((c) => {
              seen += c.length;
              return seen > expected;
            });
          }
          expect(violationChunk(new PacketSizeGuard(LIMIT), chunks)).toBe(chunkOfExpected);
        },
      ),
      { seed: 4242, numRuns: 400 },
    );
  });
});

describe("guardPacketSize", () => {
  it("passes chunks through to the reader and destroys the stream on a violation", async () => {
    const conn = new PassThrough();
    const reasons: string[] = [];
    guardPacketSize(conn, LIMIT, (r) => reasons.push(r));
    const ok = packet(10);
    conn.write(ok);
    await new Promise((r) => setImmediate(r));
    expect(conn.read()).toEqual(ok);
    conn.write(Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]));
    await new Promise((r) => setImmediate(r));
    expect(conn.read()).toBeNull();
    expect(reasons).toEqual([expect.stringMatching(/exceeds the limit of 300/)]);
    expect(conn.destroyed).toBe(true);
  });
});

describe("first packet limit", () => {
  it("holds the first packet (CONNECT) to the smaller limit, later packets to the full one", () => {
    const header = (len: number) => Buffer.concat([Buffer.from([0x30]), varint(len)]);
    const first = new PacketSizeGuard(256 * 1024, 1024);
    expect(first.feed(header(2000))).toMatch(/exceeds the limit of 1024/);
    const later = new PacketSizeGuard(256 * 1024, 1024);
    expect(later.feed(header(100))).toBeNull();
    expect(later.feed(new Uint8Array(100))).toBeNull();
    expect(later.feed(header(2000))).toBeNull();
  });
});

describe("guardPacketSize before CONNECT", () => {
  it("cuts a connection whose first packet declares more than FIRST_PACKET_BYTES, even under the full limit", async () => {
    const conn = new PassThrough();
    const reasons: string[] = [];
    guardPacketSize(conn, 256 * 1024, (r) => reasons.push(r));
    // A CONNECT header declaring 262,000 bytes (issue 17, item 5): well under 256 KiB, over 64 KiB.
    conn.write(Buffer.concat([Buffer.from([0x10]), varint(262_000)]));
    await new Promise((r) => setImmediate(r));
    expect(conn.read()).toBeNull();
    expect(reasons).toEqual([expect.stringMatching(/exceeds the limit of 65536/)]);
    expect(conn.destroyed).toBe(true);
  });
});
