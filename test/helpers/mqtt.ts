import mqtt, { type IClientOptions, type MqttClient } from "mqtt";

/** Connects an mqtt.js client (MQTT 3.1.1) and waits for CONNACK. */
export async function connectClient(url: string, opts: IClientOptions = {}): Promise<MqttClient> {
  const client = mqtt.connect(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ...opts });
  await new Promise<void>((resolve, reject) => {
    client.once("connect", () => resolve());
    client.once("error", reject);
  });
  return client;
}

/** Collects messages per topic; `next(topic)` resolves with the next (or an already buffered) message. */
export class Inbox {
  private readonly queues = new Map<string, Buffer[]>();
  private readonly waiters = new Map<string, ((p: Buffer) => void)[]>();

  constructor(client: MqttClient) {
    client.on("message", (topic, payload) => {
      const waiting = this.waiters.get(topic);
      const w = waiting?.shift();
      if (w) w(payload);
      else this.queues.set(topic, [...(this.queues.get(topic) ?? []), payload]);
    });
  }

  next(topic: string, timeoutMs = 5000): Promise<Buffer> {
    const queued = this.queues.get(topic);
    const first = queued?.shift();
    if (first) return Promise.resolve(first);
    return new Promise((resolve, reject) => {
      const list = this.waiters.get(topic) ?? [];
      const waiter = (p: Buffer) => {
        clearTimeout(timer);
        resolve(p);
      };
      // A waiter that timed out is removed, so it cannot swallow a message meant for the next caller.
      const timer = setTimeout(() => {
        const i = list.indexOf(waiter);
        if (i >= 0) list.splice(i, 1);
        reject(new Error(`no message on ${topic} within ${timeoutMs} ms`));
      }, timeoutMs);
      list.push(waiter);
      this.waiters.set(topic, list);
    });
  }

  async nextJson<T = Record<string, unknown>>(topic: string, timeoutMs = 5000): Promise<T> {
    return JSON.parse((await this.next(topic, timeoutMs)).toString()) as T;
  }

  /** Messages buffered (not yet taken) on a topic. */
  pending(topic: string): number {
    return this.queues.get(topic)?.length ?? 0;
  }
}
