import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from "mqtt";

/** Connects an mqtt.js client with MQTT 5 and resolves with it and its CONNACK. */
export async function connect5(
  url: string,
  opts: IClientOptions = {},
): Promise<{ client: MqttClient; connack: mqtt.IConnackPacket }> {
  const client = mqtt.connect(url, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 5000, ...opts });
  const connack = await new Promise<mqtt.IConnackPacket>((resolve, reject) => {
    client.once("connect", resolve);
    client.once("error", reject);
  });
  return { client, connack };
}

/** The CONNACK reason code of a refused MQTT 5 connection (0 if it was accepted, then closed). */
export async function refusal5(url: string, opts: IClientOptions = {}): Promise<number> {
  try {
    const { client } = await connect5(url, opts);
    await client.endAsync();
    return 0;
  } catch (err) {
    return (err as { code?: number }).code ?? -1;
  }
}

/** Every PUBLISH a client receives, with its properties, in order. */
export class Received {
  readonly packets: IPublishPacket[] = [];
  constructor(client: MqttClient) {
    client.on("message", (_topic, _payload, packet) => this.packets.push(packet));
  }
  on(topic: string): IPublishPacket[] {
    return this.packets.filter((p) => p.topic === topic);
  }
  /** Waits until `count` messages arrived on `topic` (bounded), then returns them. */
  async wait(topic: string, count = 1, limitMs = 10_000): Promise<IPublishPacket[]> {
    const end = Date.now() + limitMs;
    while (this.on(topic).length < count) {
      if (Date.now() > end)
        throw new Error(`${this.on(topic).length}/${count} messages on ${topic} in ${limitMs} ms`);
      await new Promise((r) => setTimeout(r, 25));
    }
    return this.on(topic);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
