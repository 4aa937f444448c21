import fc from "fast-check";
import { generate, type Packet } from "mqtt-packet";
import { remainingLength } from "./raw-mqtt.ts";

/** The remaining-length encoder of the raw client, under the name the fuzz cases use. */
export const varint = remainingLength;

/**
 * Byte streams for fuzzing an MQTT listener from raw sockets: random bytes, valid packet sequences
 * (built with mqtt-packet), the same mutated or truncated, and fixed headers whose remaining-length
 * field is oversize, malformed or declares far more than is ever sent. A case runs several such
 * streams on concurrent sockets, each cut into chunks written with small delays so they interleave.
 */

/** Credentials a fuzz CONNECT may carry (a secure node needs them to get past CONNECT). */
export interface FuzzCredentials {
  username: string;
  password: string;
  /**
   * Client ids held by clients of other identities (the healthy probe): CONNECTs with these
   * credentials try them too, and the node must refuse rather than let them take the session over.
   */
  stealIds?: string[];
}

export interface SocketScript {
  kind: "random" | "valid" | "mutated" | "truncated" | "oversize" | "declared";
  /** The stream, already cut into the chunks written one after the other. */
  chunks: Buffer[];
  /** Pause before each chunk after the first (ms): interleaves sockets of one case. */
  delayMs: number;
}

export interface FuzzCase {
  sockets: SocketScript[];
}

/**
 * Client ids the fuzz uses: short, so a mutation can never turn one into a healthy probe's id (on an
 * anonymous node taking a client id over is legitimate MQTT and would kick the probe).
 */
const ownIds = ["fz0", "fz1", "fz2", "", "fz-long-but-valid-id"];
// fuzz-dev is the fuzz identity's own thing on a secure node: its shadow writes get past the ACL.
const things = ["fz-a", "fuzz-dev"];
const topic = fc.oneof(
  fc.constantFrom(
    ...things.flatMap((t) => [
      `$umbra/things/${t}/shadow/update`,
      `$aws/things/${t}/shadow/get`,
      `$umbra/things/${t}/shadow/name/n1/delete`,
      `$umbra/things/${t}/shadow/update/accepted`,
      `things/${t}/telemetry`,
      `$umbra/things/${t}/presence`,
    ]),
    "$SYS/broker/x",
    "$umbra/denied",
    "$umbra/relay/x",
    "a/+/b",
    "a/#",
    "plain",
    "\u0000nul",
  ),
  fc.string({ minLength: 1, maxLength: 20 }),
);
const filter = fc.oneof(
  fc.constantFrom("#", "+", "+/#", "$umbra/#", "$aws/things/+/shadow/#", "a/#/b", "a+", "$umbra/denied", ""),
  topic,
);
const payload = fc.oneof(
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
  fc.constantFrom(
    '{"state":{"reported":{"x":1}}}',
    '{"state":{"desired":{"y":"on"}},"version":1}',
    '{"state":null}',
    "{",
  ),
);
const messageId = fc.integer({ min: 0, max: 65535 });
const qos = fc.constantFrom(0, 1, 2) as fc.Arbitrary<0 | 1 | 2>;

function connectPacket(creds: FuzzCredentials | undefined): fc.Arbitrary<Packet> {
  return fc
    .record({
      clientId: fc.constantFrom(...ownIds, ...(creds?.stealIds ?? [])),
      clean: fc.boolean(),
      keepalive: fc.constantFrom(0, 1, 2, 60, 65535),
      version: fc.constantFrom(4, 4, 4, 3, 5) as fc.Arbitrary<3 | 4 | 5>,
      auth: fc.constantFrom("given", "given", "given", "given", "none", "wrong"),
      will: fc.option(fc.record({ topic, payload, qos, retain: fc.boolean() }), { nil: undefined }),
    })
    .map((r) => {
      const user =
        r.auth === "none" || !creds
          ? {}
          : { username: creds.username, password: Buffer.from(r.auth === "wrong" ? "nope" : creds.password) };
      return {
        cmd: "connect",
        protocolId: r.version === 3 ? "MQIsdp" : "MQTT",
        protocolVersion: r.version,
        clientId: r.clientId,
        clean: r.clean,
        keepalive: r.keepalive,
        ...user,
        ...(r.will ? { will: { ...r.will, payload: Buffer.from(r.will.payload) } } : {}),
      } as Packet;
    });
}

/** Any packet a client could send after CONNECT (and a few a client must not send). */
const sessionPacket: fc.Arbitrary<Packet> = fc.oneof(
  fc
    .record({ topic, payload, qos, retain: fc.boolean(), dup: fc.boolean(), messageId })
    .map((p) => ({ cmd: "publish", ...p, messageId: p.qos > 0 ? p.messageId || 1 : undefined }) as Packet),
  fc
    .record({ messageId, subs: fc.array(fc.record({ topic: filter, qos }), { minLength: 1, maxLength: 3 }) })
    .map((r) => ({ cmd: "subscribe", messageId: r.messageId, subscriptions: r.subs }) as Packet),
  fc
    .record({ messageId, topics: fc.array(filter, { minLength: 1, maxLength: 3 }) })
    .map((r) => ({ cmd: "unsubscribe", messageId: r.messageId, unsubscriptions: r.topics }) as Packet),
  fc
    .record({ cmd: fc.constantFrom("puback", "pubrec", "pubrel", "pubcomp", "unsuback"), messageId })
    .map((r) => r as Packet),
  fc.constantFrom<Packet>({ cmd: "pingreq" }, { cmd: "pingreq" }, { cmd: "pingresp" }, { cmd: "disconnect" }),
  fc.constant<Packet>({ cmd: "connack", returnCode: 0, sessionPresent: false }),
);

/** Encodes a packet; one mqtt-packet refuses to encode becomes a reserved-type packet (type 0, then 15). */
function encode(packet: Packet, version: 3 | 4 | 5 = 4): Buffer {
  try {
    return generate(packet, { protocolVersion: version });
  } catch {
    return Buffer.from([packet.cmd === "connect" ? 0x00 : 0xf0, 0x00]);
  }
}

/** A plausible session: usually starting with CONNECT, then up to 8 packets. */
function validSession(creds: FuzzCredentials | undefined): fc.Arbitrary<Buffer> {
  return fc
    .tuple(
      fc.option(connectPacket(creds), { freq: 4, nil: undefined }),
      fc.array(sessionPacket, { maxLength: 8 }),
    )
    .map(([connect, rest]) => {
      const version = (connect as { protocolVersion?: 3 | 4 | 5 } | undefined)?.protocolVersion ?? 4;
      return Buffer.concat([...(connect ? [encode(connect, version)] : []), ...rest.map((p) => encode(p))]);
    });
}

const mutation = fc.record({
  kind: fc.constantFrom("flip", "insert", "delete", "set"),
  pos: fc.nat(),
  byte: fc.integer({ min: 0, max: 255 }),
  bit: fc.integer({ min: 0, max: 7 }),
});

type Mutation = { kind: string; pos: number; byte: number; bit: number };

function mutate(bytes: Buffer, mutations: Mutation[]): Buffer {
  let b = Buffer.from(bytes);
  for (const m of mutations) {
    if (b.length === 0) break;
    const at = m.pos % b.length;
    if (m.kind === "flip") b[at] = (b[at] as number) ^ (1 << m.bit);
    else if (m.kind === "set") b[at] = m.byte;
    else if (m.kind === "insert")
      b = Buffer.concat([b.subarray(0, at), Buffer.from([m.byte]), b.subarray(at)]);
    else b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
  }
  return b;
}

const headerByte = fc.oneof(fc.constantFrom(0x10, 0x30, 0x32, 0x82, 0xc0), fc.integer({ min: 0, max: 255 }));

/** Remaining-length fields that are oversize or malformed. */
const badLength = fc.constantFrom(
  [0xff, 0xff, 0xff, 0x7f], // 268435455, the largest legal value
  [0xff, 0xff, 0xff, 0xff, 0x01], // a 5-byte varint
  [0x80, 0x80, 0x80, 0x80, 0x00], // 5 bytes that encode 0
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
  [0x80, 0x80, 0x80, 0x01], // 2^21, 4 bytes
);

/** Arbitraries for one node; `limit` is the node's maxPacketBytes. */
export function fuzzCases(opts: { limit: number; creds?: FuzzCredentials }): fc.Arbitrary<FuzzCase> {
  const { limit, creds } = opts;
  const connectBytes = connectPacket(creds).map((p) =>
    encode(p, (p as { protocolVersion?: 3 | 4 | 5 }).protocolVersion ?? 4),
  );
  const prefix = fc.option(connectBytes, { nil: undefined }).map((b) => b ?? Buffer.alloc(0));
  const stream = fc.oneof(
    fc
      .uint8Array({ minLength: 1, maxLength: 512 })
      .map((b) => ({ kind: "random" as const, bytes: Buffer.from(b) })),
    validSession(creds).map((bytes) => ({ kind: "valid" as const, bytes })),
    fc
      .tuple(validSession(creds), fc.array(mutation, { minLength: 1, maxLength: 4 }))
      .map(([b, m]) => ({ kind: "mutated" as const, bytes: mutate(b, m) })),
    fc
      .tuple(validSession(creds), fc.nat())
      .map(([b, n]) => ({ kind: "truncated" as const, bytes: b.subarray(0, n % (b.length + 1)) })),
    fc.tuple(prefix, headerByte, badLength, fc.uint8Array({ maxLength: 32 })).map(([p, h, len, body]) => ({
      kind: "oversize" as const,
      bytes: Buffer.concat([p, Buffer.from([h, ...len]), Buffer.from(body)]),
    })),
    fc
      .tuple(
        prefix,
        headerByte,
        fc.oneof(
          fc.integer({ min: limit - 8, max: limit + 8 }),
          fc.constantFrom(1_000_000, 2 ** 28 - 1, 127, 128, 16_383, 16_384),
        ),
        fc.integer({ min: 0, max: 2048 }),
      )
      .map(([p, h, len, sent]) => ({
        kind: "declared" as const,
        // The body never completes: the node must not wait for it with unbounded memory.
        bytes: Buffer.concat([
          p,
          Buffer.from([h]),
          varint(len),
          Buffer.alloc(Math.min(sent, Math.max(len - 1, 0)), 0x41),
        ]),
      })),
  );
  const script = fc
    .record({
      s: stream,
      cuts: fc.array(fc.nat(), { maxLength: 6 }),
      delayMs: fc.integer({ min: 0, max: 3 }),
    })
    .map(({ s, cuts, delayMs }): SocketScript => ({ kind: s.kind, chunks: split(s.bytes, cuts), delayMs }));
  return fc.record({ sockets: fc.array(script, { minLength: 1, maxLength: 4 }) });
}

/** Cuts `bytes` at the given offsets (mod length), in order; empty pieces are dropped. */
export function split(bytes: Buffer, cuts: number[]): Buffer[] {
  if (bytes.length === 0) return [];
  const at = [...new Set(cuts.map((c) => c % bytes.length))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const c of [...at, bytes.length]) {
    if (c > from) out.push(bytes.subarray(from, c));
    from = Math.max(from, c);
  }
  return out;
}
