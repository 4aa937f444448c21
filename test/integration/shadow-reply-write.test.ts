import { connect, Socket } from "node:net";
import { generate, type Packet, parser } from "mqtt-packet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestNode, type TestNode } from "../helpers/node.ts";
import { encodeConnect } from "../helpers/raw-mqtt.ts";

/** A packet as it arrived, with the number of socket writes the node had made to this client by then. */
interface Arrival {
  packet: Packet;
  writes: number;
}

/**
 * Socket writes (`_write`/`_writev` calls, one system call each) per local port of the peer: the node
 * runs in this process, so its end of a test client's connection is one of these sockets.
 */
const writesTo = new Map<number, number>();
const proto = Socket.prototype as unknown as Record<"_write" | "_writev", (...a: unknown[]) => unknown>;
const original = { _write: proto._write, _writev: proto._writev };
for (const name of ["_write", "_writev"] as const) {
  proto[name] = function (this: Socket, ...args: unknown[]) {
    const port = this.remotePort;
    if (port !== undefined) writesTo.set(port, (writesTo.get(port) ?? 0) + 1);
    return original[name].apply(this, args);
  };
}

/** A bare MQTT 3.1.1 connection that records in which socket read each packet arrived. */
class ReadRecorder {
  readonly arrivals: Arrival[] = [];
  private readonly socket: Socket;
  private nextId = 1;

  constructor(port: number) {
    this.socket = connect({ port, host: "127.0.0.1" });
    this.socket.setNoDelay(true);
    const p = parser({ protocolVersion: 4 });
    p.on("packet", (packet: Packet) => {
      this.arrivals.push({ packet, writes: writesTo.get(this.socket.localPort ?? 0) ?? 0 });
      if (packet.cmd === "publish" && packet.qos === 1)
        this.send({ cmd: "puback", messageId: packet.messageId ?? 0 });
    });
    this.socket.on("data", (d: Buffer) => p.parse(d));
  }

  get port(): number {
    return this.socket.localPort ?? 0;
  }

  send(packet: Packet): void {
    this.socket.write(generate(packet, { protocolVersion: 4 }));
  }

  id(): number {
    return this.nextId++;
  }

  /** The first arrival after index `from` that satisfies `match`, within 10 s. */
  async await(match: (p: Packet) => boolean, from = 0): Promise<Arrival> {
    for (let i = 0; i < 400; i++) {
      const found = this.arrivals.slice(from).find((a) => match(a.packet));
      if (found) return found;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`expected packet not received; got ${this.arrivals.map((a) => a.packet.cmd)}`);
  }

  async open(clientId: string, filters: string[]): Promise<void> {
    this.socket.write(encodeConnect({ clientId }));
    await this.await((p) => p.cmd === "connack");
    if (filters.length === 0) return;
    const messageId = this.id();
    this.send({ cmd: "subscribe", messageId, subscriptions: filters.map((topic) => ({ topic, qos: 1 })) });
    await this.await((p) => p.cmd === "suback");
  }

  /** Publishes an update (QoS 1); returns its PUBACK's arrival and the accepted reply's, if asked. */
  async update(thing: string, n: number, withReply: boolean): Promise<{ puback: Arrival; reply?: Arrival }> {
    const from = this.arrivals.length;
    const messageId = this.id();
    const payload = JSON.stringify({ state: { reported: { n } }, clientToken: `t${n}` });
    this.send({
      cmd: "publish",
      topic: `$aws/things/${thing}/shadow/update`,
      payload,
      qos: 1,
      messageId,
      retain: false,
      dup: false,
    });
    const puback = await this.await((p) => p.cmd === "puback" && p.messageId === messageId, from);
    if (!withReply) return { puback };
    const reply = await this.await(
      (p) => p.cmd === "publish" && p.topic.endsWith("/update/accepted") && p.payload.includes(`"t${n}"`),
      from,
    );
    return { puback, reply };
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * The PUBACK of a shadow request and its reply leave the node in one socket write (reply-cork.ts,
 * docs/shadow-engine.md "Threads"), counted on the node's end of the connection. The first version
 * released the cork a turn too early and the two went out in two writes again, unnoticed.
 */
describe("shadow reply and PUBACK on the wire", () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await startTestNode();
  });
  afterAll(async () => {
    await node.stop();
    Object.assign(proto, original);
  });

  it("sends the PUBACK with the accepted reply, in one write, to a device subscribed to its reply topic", async () => {
    const device = new ReadRecorder(node.mqttPort);
    try {
      await device.open("wire-dev", ["$aws/things/wire-dev/shadow/update/accepted"]);
      for (let n = 1; n <= 5; n++) {
        const before = writesTo.get(device.port) ?? 0;
        const { puback, reply } = await device.update("wire-dev", n, true);
        // Both had arrived after one write: the node wrote nothing to this client in between.
        expect(puback.writes).toBe(before + 1);
        expect(reply?.writes).toBe(before + 1);
      }
    } finally {
      device.close();
    }
  });

  it("still acknowledges and answers a device that watches its shadow through a wildcard", async () => {
    const device = new ReadRecorder(node.mqttPort);
    try {
      await device.open("wire-wild", ["$aws/things/wire-wild/shadow/update/#"]);
      for (let n = 1; n <= 3; n++) await device.update("wire-wild", n, true);
    } finally {
      device.close();
    }
  });

  it("acknowledges a device that subscribes to no reply (the cork is not held for it)", async () => {
    const device = new ReadRecorder(node.mqttPort);
    try {
      await device.open("wire-quiet", []);
      for (let n = 1; n <= 3; n++) await device.update("wire-quiet", n, false);
      const doc = await fetch(`${node.httpUrl}/things/wire-quiet/shadow`).then((r) => r.json());
      expect(doc.state.reported).toEqual({ n: 3 });
    } finally {
      device.close();
    }
  });
});
