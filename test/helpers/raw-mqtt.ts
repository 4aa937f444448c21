import { connect, type Socket } from "node:net";
// mqtt-packet is not a direct dependency: it comes with aedes and mqtt (hoisted into node_modules).
// It encodes and decodes single packets only; everything the protocol does on top is up to the test.
import {
  generate,
  type IConnackPacket,
  type IConnectPacket,
  type IPublishPacket,
  type ISubackPacket,
  type Packet,
  type PacketCmd,
  parser,
  type QoS,
} from "mqtt-packet";

type PacketOf<C extends PacketCmd> = Extract<Packet, { cmd: C }>;

export interface RawConnect {
  clientId: string;
  clean?: boolean;
  keepalive?: number;
  will?: IConnectPacket["will"];
}

/** What a test observes of a delivered PUBLISH (message ids differ between brokers, so they are left out). */
export interface Delivery {
  topic: string;
  payload: string;
  qos: QoS;
  retain: boolean;
}

export function delivery(p: IPublishPacket): Delivery {
  return { topic: p.topic, payload: p.payload.toString(), qos: p.qos, retain: p.retain };
}

function utf8Field(s: string | Buffer): Buffer {
  const b = Buffer.from(s);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

/** Encodes an MQTT remaining length (variable byte integer; values over 2^28-1 need a 5th byte). */
export function remainingLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

/**
 * CONNECT encoded by hand (MQTT 3.1.1 §3.1): mqtt-packet refuses to encode some packets a broker must
 * handle, e.g. an empty client id with clean session 0.
 */
export function encodeConnect(opts: RawConnect): Buffer {
  const will = opts.will;
  let flags = (opts.clean ?? true) ? 0x02 : 0;
  if (will) flags |= 0x04 | ((will.qos ?? 0) << 3) | (will.retain ? 0x20 : 0);
  const keepalive = Buffer.alloc(2);
  keepalive.writeUInt16BE(opts.keepalive ?? 60);
  const body = Buffer.concat([
    utf8Field("MQTT"),
    Buffer.from([4, flags]),
    keepalive,
    utf8Field(opts.clientId),
    ...(will ? [utf8Field(will.topic), utf8Field(will.payload)] : []),
  ]);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]);
}

/**
 * An MQTT 3.1.1 client on a bare TCP socket: it sends exactly the packets the test writes and records
 * every packet the broker sends, in order. It never acknowledges anything by itself, except that
 * incoming QoS 1 PUBLISHes are PUBACKed when `autoAck` is on (the default) so brokers keep delivering.
 */
export class RawClient {
  private readonly received: Packet[] = [];
  private readonly waiters: (() => void)[] = [];
  private nextId = 1;
  private isClosed = false;
  /** Resolves when the broker (or the test) closed the connection. */
  readonly closed: Promise<void>;

  private constructor(
    private readonly socket: Socket,
    public autoAck = true,
  ) {
    const p = parser({ protocolVersion: 4 });
    p.on("packet", (packet: Packet) => {
      if (this.autoAck && packet.cmd === "publish" && packet.qos === 1) {
        this.send({ cmd: "puback", messageId: packet.messageId });
      }
      this.received.push(packet);
      this.wake();
    });
    p.on("error", (err: Error) => socket.destroy(err));
    socket.on("data", (d: Buffer) => p.parse(d));
    this.closed = new Promise((resolve) => {
      socket.once("close", () => {
        this.isClosed = true;
        this.wake();
        resolve();
      });
    });
    // A reset by the peer is an observation (the connection closed), not a test error.
    socket.on("error", () => {});
  }

  /** Opens a TCP connection (no MQTT yet). */
  static open(port: number, host = "127.0.0.1"): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host });
      socket.once("connect", () => {
        socket.removeListener("error", reject);
        resolve(new RawClient(socket));
      });
      socket.once("error", reject);
    });
  }

  /** Opens a connection, sends CONNECT and returns the client with the CONNACK. */
  static async connect(
    port: number,
    opts: RawConnect,
  ): Promise<{ client: RawClient; connack: IConnackPacket }> {
    const client = await RawClient.open(port);
    client.sendBytes(encodeConnect(opts));
    const connack = await client.next("connack");
    return { client, connack };
  }

  get isOpen(): boolean {
    return !this.isClosed;
  }

  send(packet: Packet): void {
    this.socket.write(generate(packet, { protocolVersion: 4 }));
  }

  /** Writes bytes as they are: for packets mqtt-packet refuses to build (it is a client-side encoder). */
  sendBytes(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  newMessageId(): number {
    const id = this.nextId;
    this.nextId = (this.nextId % 65535) + 1;
    return id;
  }

  /** Takes the first received packet (in arrival order) that satisfies `match`; waits up to timeoutMs for it. */
  async take<C extends PacketCmd>(
    cmd: C,
    match: (p: PacketOf<C>) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<PacketOf<C>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.received.findIndex((p) => p.cmd === cmd && match(p as PacketOf<C>));
      if (i >= 0) return this.received.splice(i, 1)[0] as PacketOf<C>;
      const left = deadline - Date.now();
      if (left <= 0 || this.isClosed) {
        const why = this.isClosed ? "connection closed" : `${timeoutMs} ms passed`;
        throw new Error(`no ${cmd} received (${why}); unclaimed: ${this.describeReceived()}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  next<C extends PacketCmd>(cmd: C, timeoutMs = 5000): Promise<PacketOf<C>> {
    return this.take(cmd, () => true, timeoutMs);
  }

  /** The next PUBLISH on `topic`. */
  nextPublish(topic: string, timeoutMs = 5000): Promise<IPublishPacket> {
    return this.take("publish", (p) => p.topic === topic, timeoutMs);
  }

  /** All received PUBLISHes not yet taken, removed from the buffer. */
  drainPublishes(): IPublishPacket[] {
    const out: IPublishPacket[] = [];
    for (let i = 0; i < this.received.length; ) {
      const p = this.received[i] as Packet;
      if (p.cmd === "publish") {
        out.push(p);
        this.received.splice(i, 1);
      } else i++;
    }
    return out;
  }

  async subscribe(filters: { topic: string; qos: QoS }[]): Promise<ISubackPacket> {
    const messageId = this.newMessageId();
    this.send({ cmd: "subscribe", messageId, subscriptions: filters });
    return this.take("suback", (p) => p.messageId === messageId);
  }

  async unsubscribe(topics: string[]): Promise<void> {
    const messageId = this.newMessageId();
    this.send({ cmd: "unsubscribe", messageId, unsubscriptions: topics });
    await this.take("unsuback", (p) => p.messageId === messageId);
  }

  /** Publishes; QoS 1 waits for the matching PUBACK. */
  async publish(
    topic: string,
    payload: string | Buffer,
    opts: { qos?: QoS; retain?: boolean } = {},
  ): Promise<void> {
    const qos = opts.qos ?? 0;
    const messageId = qos > 0 ? this.newMessageId() : undefined;
    this.send({ cmd: "publish", topic, payload, qos, retain: opts.retain ?? false, dup: false, messageId });
    if (qos === 1) await this.take("puback", (p) => p.messageId === messageId);
  }

  /** PINGREQ → PINGRESP: proves the connection is alive and every earlier packet has been processed. */
  async ping(timeoutMs = 5000): Promise<void> {
    this.send({ cmd: "pingreq" });
    await this.next("pingresp", timeoutMs);
  }

  /** Clean close: DISCONNECT, then wait for the broker to close the socket. */
  async disconnect(): Promise<void> {
    if (this.isClosed) return;
    this.send({ cmd: "disconnect" });
    this.socket.end();
    await this.closed;
  }

  /** Abnormal close (no DISCONNECT): the broker must publish the will, if any. */
  async destroy(): Promise<void> {
    this.socket.destroy();
    await this.closed;
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private describeReceived(): string {
    if (this.received.length === 0) return "none";
    return this.received.map((p) => (p.cmd === "publish" ? `publish ${p.topic}` : p.cmd)).join(", ");
  }
}
