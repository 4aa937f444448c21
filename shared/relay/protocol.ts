import { brotliCompressSync, brotliDecompressSync, constants } from "node:zlib";
import { isValidShadowName, isValidThingName } from "../topics.ts";
import {
  type ChangeSet,
  type DecodeOptions,
  decodeChangeSets,
  type EncodeOptions,
  encodeChangeSets,
} from "./change-codec.ts";

/**
 * Relay frames: what two sites say to each other on `$umbra/relay/{child}/up|down`. Pure: no I/O.
 *
 * Wire layout of every frame:  "UR" | version (1 byte) | brotli( u32 header length | header JSON | body )
 * The header is a small JSON object (kind `t` and its fields); the body carries binary data (the
 * change batch of a `changes` frame, the payloads of a `messages` frame). One brotli stream per frame:
 * a frame batches many shadows, so keys, heads and change columns compress together.
 */
export const PROTOCOL_VERSION = 1;
const MAGIC = [0x55, 0x52] as const; // "UR"

/** Sent by each side when the link (re)connects: everything per-link is reset. */
export interface HelloFrame {
  t: "hello";
  /** The sender's site id. */
  site: string;
  /** Random per link session: acks name it, so an ack from an earlier session is ignored. */
  epoch: number;
  v: number;
  /**
   * The things the sender shares on this link (glob list, shared/relay/share-filter.ts); absent: all
   * its policy allows. The receiver leaves everything outside it out of its digests and frames.
   */
  things?: string;
  /**
   * Things (glob list) the receiver must not cut (agreed cuts): a child sends it to each parent but
   * its first, listing what it shares with the parents before it, so that of the parents that share a
   * thing through it only the first is a cutter (docs/shadow-engine.md, "One top per thing").
   */
  noCut?: string;
}

/**
 * Changes of one or more shadows. `heads[key]` is the sender's heads after these changes, present only
 * when they differ from the tips of the key's changes (shared/relay/heads.ts).
 */
export interface ChangesFrame {
  t: "changes";
  epoch: number;
  seq: number;
  sets: ChangeSet[];
  heads: Record<string, string[]>;
  /**
   * The shadow epoch (docs/shadow-engine.md) of each key's changes, when not 0. A receiver in an older
   * epoch adopts the newer one; one in a newer epoch ignores the changes and sends its epoch back.
   */
  shadowEpochs?: Record<string, number>;
}

/** A frame (changes or messages) applied durably. `repair`: shadows whose changes missed a dependency. */
export interface AckFrame {
  t: "ack";
  epoch: number;
  seq: number;
  repair?: Record<string, string[]>;
  /**
   * The change batch could not be rebuilt here (an abbreviated dependency this node does not hold):
   * nothing of the frame was applied; the sender resends its shadows with full dependency hashes.
   */
  refused?: true;
}

/** Bucketed digest of (shadow key, heads) over the shadows the link shares. */
export interface DigestFrame {
  t: "digest";
  /** Hex hashes, one per bucket (their count is a power of two). */
  buckets: string[];
}

/**
 * The sender's heads of every shared shadow in the listed buckets (the ones whose digests differed),
 * each head abbreviated to its first HEAD_PREFIX_CHARS hex characters (64 bits: the receiver resolves
 * them among the changes it holds; a collision is out of reach).
 */
export interface HeadsFrame {
  t: "heads";
  bucketCount: number;
  buckets: number[];
  heads: Record<string, string[]>;
}

export const HEAD_PREFIX_CHARS = 16;

/** Plain-topic messages forwarded store-and-forward (upstream), acked like changes. */
export interface RelayedMessage {
  /** The sending site's outbox id and the message's sequence in it (unique, never reused). */
  origin: string;
  seq: number;
  topic: string;
  /** Epoch ms when the message was published at its origin. */
  ts: number;
  qos: 0 | 1 | 2;
  payload: Uint8Array;
}

export interface MessagesFrame {
  t: "messages";
  epoch: number;
  seq: number;
  /** Epoch ms when the frame left the sender (for the "historical" rule: same clock as `ts`). */
  sentAt: number;
  /** Every outbox seq ≤ floor is acknowledged or was dropped by the sender (outbox drop-oldest). */
  floor: number;
  messages: RelayedMessage[];
}

export type Frame = HelloFrame | ChangesFrame | AckFrame | DigestFrame | HeadsFrame | MessagesFrame;

export class FrameError extends Error {
  override name = "FrameError";
  /**
   * Set when a `changes` frame's header was fine but its change batch could not be rebuilt (a dependency
   * prefix this node cannot resolve, or a checksum mismatch after resolving one): the receiver answers
   * with a refusing ack for this epoch/seq, and the sender resends those shadows with full hashes.
   */
  refusable?: { epoch: number; seq: number };
}

/** Options of `encodeFrame`. */
export interface EncodeFrameOptions {
  /** Brotli quality 0-11 (default 7: a good ratio at a low CPU cost per frame). */
  quality?: number;
  /**
   * Dependency hashes outside the batch as 4-byte prefixes (the receiver resolves them among the
   * changes it holds). Only when the receiver is known to hold them: the heads it acknowledged.
   */
  abbreviateDeps?: boolean;
}

/** Options of `decodeFrame`. */
export interface DecodeFrameOptions extends DecodeOptions {
  /** Refuse frames that inflate past this (default 64 MiB). */
  maxPlainBytes?: number;
}

/** The one place change batches are encoded: the compact codec (shared/relay/change-codec.ts). */
export function packChangeSets(sets: readonly ChangeSet[], options?: EncodeOptions): Uint8Array {
  return encodeChangeSets(sets, options);
}

export function unpackChangeSets(bytes: Uint8Array, options?: DecodeOptions): ChangeSet[] {
  return decodeChangeSets(bytes, options);
}

function split(frame: Frame, options: EncodeFrameOptions): { header: object; body: Uint8Array } {
  if (frame.t === "changes") {
    const { sets, ...rest } = frame;
    return {
      header: rest,
      body: packChangeSets(sets, options.abbreviateDeps ? { abbreviateDeps: true } : undefined),
    };
  }
  if (frame.t === "messages") {
    const lengths = frame.messages.map((m) => m.payload.byteLength);
    const header = {
      ...frame,
      messages: frame.messages.map(({ payload: _p, ...m }, i) => ({ ...m, n: lengths[i] })),
    };
    return { header, body: Buffer.concat(frame.messages.map((m) => m.payload)) };
  }
  return { header: frame, body: new Uint8Array(0) };
}

/** Serialises and compresses a frame. */
export function encodeFrame(frame: Frame, options: EncodeFrameOptions = {}): Uint8Array {
  const quality = options.quality ?? 7;
  const { header, body } = split(frame, options);
  const json = Buffer.from(JSON.stringify(header));
  const plain = Buffer.alloc(4 + json.byteLength + body.byteLength);
  plain.writeUInt32BE(json.byteLength, 0);
  json.copy(plain, 4);
  plain.set(body, 4 + json.byteLength);
  const packed = brotliCompressSync(plain, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: quality,
      [constants.BROTLI_PARAM_SIZE_HINT]: plain.byteLength,
    },
  });
  const out = new Uint8Array(3 + packed.byteLength);
  out[0] = MAGIC[0];
  out[1] = MAGIC[1];
  out[2] = PROTOCOL_VERSION;
  out.set(packed, 3);
  return out;
}

/**
 * How far a frame may inflate by default: a bound for a hostile peer's decompression bomb (brotli turns
 * 100 bytes into 60 MiB). The relay's frame intake applies its own (broker/relay/frame-intake.ts,
 * 1 MiB for every kind, heads pages included); this default, the same, covers direct callers.
 */
export const MAX_PLAIN_BYTES = 1024 * 1024;

/** Checks the frame's magic and version; returns its compressed part. */
export function packedPart(bytes: Uint8Array): Uint8Array {
  if (bytes.byteLength < 3 || bytes[0] !== MAGIC[0] || bytes[1] !== MAGIC[1]) {
    throw new FrameError("not a relay frame");
  }
  if (bytes[2] !== PROTOCOL_VERSION) {
    throw new FrameError(
      `relay protocol version ${bytes[2]} is not supported (this node speaks ${PROTOCOL_VERSION})`,
    );
  }
  return bytes.subarray(3);
}

/**
 * Decompresses and checks a frame synchronously; throws FrameError with the reason when it is not one.
 * The relay inflates frames from peers asynchronously instead (shared/relay/frame-inflate.ts) and
 * hands the result to parseFrame.
 */
export function decodeFrame(bytes: Uint8Array, options: DecodeFrameOptions = {}): Frame {
  const maxPlainBytes = options.maxPlainBytes ?? MAX_PLAIN_BYTES;
  const packed = packedPart(bytes);
  let plain: Buffer;
  try {
    plain = brotliDecompressSync(packed, { maxOutputLength: maxPlainBytes });
  } catch (err) {
    throw new FrameError(`corrupt relay frame: ${(err as Error).message}`);
  }
  return parseFrame(plain, options);
}

/** Parses and checks an inflated frame (u32 header length | header JSON | body). */
export function parseFrame(plain: Buffer, options: DecodeOptions = {}): Frame {
  if (plain.byteLength < 4) throw new FrameError("truncated relay frame");
  const n = plain.readUInt32BE(0);
  if (4 + n > plain.byteLength) throw new FrameError("truncated relay frame header");
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(plain.subarray(4, 4 + n).toString("utf8")) as Record<string, unknown>;
  } catch {
    throw new FrameError("relay frame header is not JSON");
  }
  if (typeof header !== "object" || header === null || Array.isArray(header))
    throw new FrameError("relay frame header is not an object");
  const body = plain.subarray(4 + n);
  checkHeader(header);
  switch (header.t) {
    case "changes": {
      const h = header as Omit<ChangesFrame, "sets">;
      let sets: ChangeSet[];
      try {
        sets = unpackChangeSets(body, options);
      } catch (err) {
        const e = new FrameError(`relay change batch rejected: ${(err as Error).message}`);
        if (Number.isInteger(h.epoch) && Number.isInteger(h.seq))
          e.refusable = { epoch: h.epoch, seq: h.seq };
        throw e;
      }
      return { ...h, sets } as ChangesFrame;
    }
    case "messages": {
      let at = 0;
      const metas = (header.messages ?? []) as (Omit<RelayedMessage, "payload"> & { n: number })[];
      const messages = metas.map(({ n: len, ...m }) => {
        if (at + len > body.byteLength) throw new FrameError("truncated relay messages");
        const payload = new Uint8Array(body.subarray(at, at + len));
        at += len;
        return { ...m, payload };
      });
      return { ...(header as Omit<MessagesFrame, "messages">), messages } as MessagesFrame;
    }
    case "hello":
    case "ack":
    case "digest":
    case "heads":
      return header as unknown as Frame;
    default:
      throw new FrameError(`unknown relay frame kind ${JSON.stringify(header.t).slice(0, 40)}`);
  }
}

/** Bounds on what a peer may ask of us in one frame (digest work, keys listed). */
export const MAX_BUCKETS = 1 << 16;

const isInt = (v: unknown): v is number => Number.isSafeInteger(v);
const isStr = (v: unknown, max = 1024): v is string => typeof v === "string" && v.length <= max;
const HEX = /^[0-9a-f]{1,64}$/;
const isPow2 = (n: unknown) => isInt(n) && n > 0 && n <= MAX_BUCKETS && (n & (n - 1)) === 0;

/** A shadow key as the relay names it: `thing` or `thing/shadow` (shared/topics.ts rules). */
export function isValidKey(key: string): boolean {
  const at = key.indexOf("/");
  if (at < 0) return isValidThingName(key);
  return isValidThingName(key.slice(0, at)) && isValidShadowName(key.slice(at + 1));
}

function headsMap(v: unknown, what: string): void {
  if (v === undefined) return;
  if (typeof v !== "object" || v === null || Array.isArray(v))
    throw new FrameError(`${what} is not an object`);
  for (const [key, heads] of Object.entries(v)) {
    if (!isValidKey(key))
      throw new FrameError(`${what}: ${JSON.stringify(key.slice(0, 80))} is not a shadow key`);
    if (!Array.isArray(heads) || !heads.every((h) => isStr(h, 64) && HEX.test(h)))
      throw new FrameError(`${what}[${key.slice(0, 80)}] is not a list of hex hashes`);
  }
}

/**
 * Checks a decoded header field by field, so a buggy or hostile peer gets a FrameError naming the
 * field instead of reaching the link's handlers with the wrong types.
 */
function checkHeader(h: Record<string, unknown>): void {
  const need = (ok: boolean, field: string) => {
    if (!ok) throw new FrameError(`relay ${String(h.t).slice(0, 16)} frame: bad or missing '${field}'`);
  };
  switch (h.t) {
    case "hello":
      need(isStr(h.site, 128) && h.site !== "", "site");
      need(isInt(h.epoch), "epoch");
      need(isInt(h.v), "v");
      need(h.things === undefined || isStr(h.things, 4096), "things");
      need(h.noCut === undefined || isStr(h.noCut, 4096), "noCut");
      return;
    case "digest":
      need(
        Array.isArray(h.buckets) &&
          isPow2(h.buckets.length) &&
          h.buckets.every((b) => b === "" || (isStr(b, 64) && HEX.test(b))),
        "buckets",
      );
      return;
    case "heads":
      need(isPow2(h.bucketCount), "bucketCount");
      need(
        Array.isArray(h.buckets) &&
          h.buckets.length <= (h.bucketCount as number) &&
          h.buckets.every((b) => isInt(b) && b >= 0 && b < (h.bucketCount as number)),
        "buckets",
      );
      need(typeof h.heads === "object" && h.heads !== null, "heads");
      headsMap(h.heads, "relay heads frame: heads");
      return;
    case "changes":
      need(isInt(h.epoch), "epoch");
      need(isInt(h.seq), "seq");
      need(typeof h.heads === "object" && h.heads !== null, "heads");
      headsMap(h.heads, "relay changes frame: heads");
      need(
        h.shadowEpochs === undefined ||
          (typeof h.shadowEpochs === "object" &&
            h.shadowEpochs !== null &&
            Object.values(h.shadowEpochs).every((e) => isInt(e) && (e as number) >= 0)),
        "shadowEpochs",
      );
      return;
    case "ack":
      need(isInt(h.epoch), "epoch");
      need(isInt(h.seq), "seq");
      headsMap(h.repair, "relay ack frame: repair");
      need(h.refused === undefined || h.refused === true, "refused");
      return;
    case "messages":
      need(isInt(h.epoch), "epoch");
      need(isInt(h.seq), "seq");
      need(typeof h.sentAt === "number", "sentAt");
      need(isInt(h.floor), "floor");
      need(
        Array.isArray(h.messages) &&
          h.messages.every((m: Record<string, unknown>) => {
            return (
              typeof m === "object" &&
              m !== null &&
              isStr(m.origin, 128) &&
              isInt(m.seq) &&
              isStr(m.topic, 65535) &&
              typeof m.ts === "number" &&
              (m.qos === 0 || m.qos === 1 || m.qos === 2) &&
              isInt(m.n) &&
              (m.n as number) >= 0
            );
          }),
        "messages",
      );
      return;
  }
}
