import type { MqttClient } from "mqtt";
import { connectClient } from "./mqtt.ts";

/**
 * A crash-test load: one MQTT client per thing sends `reported.seq = n` updates as fast as the node
 * answers (a bounded window of requests in flight) and records which ones came back `accepted`.
 * Each thing has a single writer and every update changes `seq`, so its history is linear:
 * version and seq advance together, and "seq n is on disk" implies every seq below n is too.
 */
export interface WriterState {
  thing: string;
  /** The first seq this run sends (the thing's persisted seq + 1). */
  firstSeq: number;
  sent: number;
  acceptedCount: number;
  /** Highest seq whose update was accepted, or firstSeq - 1 when none was. */
  maxAcceptedSeq: number;
  /** Problems seen on the wire: rejections, replies out of order, versions that do not follow seq. */
  anomalies: string[];
}

export interface WriterRun {
  writers: WriterState[];
  totalAccepted(): number;
  /** Resolves once at least `n` updates were accepted in total (rejects after timeoutMs). */
  waitForAccepted(n: number, timeoutMs?: number): Promise<void>;
  /** Stops sending and drops the connections without waiting for anything. */
  stop(): Promise<void>;
}

/** The update payload and token for seq `n` of `thing`. */
export function updateFor(thing: string, seq: number): { topic: string; payload: string; token: string } {
  const token = `${thing}:${seq}`;
  return {
    topic: `$umbra/things/${thing}/shadow/update`,
    payload: JSON.stringify({ state: { reported: { seq } }, clientToken: token }),
    token,
  };
}

/**
 * Starts one writer per thing. `start` gives each thing's current seq and version (0 for a new
 * thing); the accepted reply for seq n must then carry version `versionAt + (n - seqAt)`.
 */
export async function startWriters(
  mqttUrl: string,
  start: { thing: string; seq: number; version: number }[],
  window = 16,
): Promise<WriterRun> {
  let running = true;
  let total = 0;
  const listeners = new Set<() => void>();
  const clients: MqttClient[] = [];
  const writers: WriterState[] = [];

  for (const s of start) {
    const w: WriterState = {
      thing: s.thing,
      firstSeq: s.seq + 1,
      sent: 0,
      acceptedCount: 0,
      maxAcceptedSeq: s.seq,
      anomalies: [],
    };
    writers.push(w);
    // Not the thing's name as client id: presence would add writes unrelated to what is measured.
    const client = await connectClient(mqttUrl, { clientId: `writer-${s.thing}`, clean: true });
    client.on("error", () => {}); // the node is killed under us; errors are expected
    clients.push(client);
    const base = `$umbra/things/${s.thing}/shadow/update`;
    await client.subscribeAsync([`${base}/accepted`, `${base}/rejected`], { qos: 0 });
    const send = () => {
      if (!running || !client.connected) return;
      const u = updateFor(s.thing, w.firstSeq + w.sent);
      w.sent++;
      client.publish(u.topic, u.payload, { qos: 0 });
    };
    client.on("message", (topic, payload) => {
      const body = JSON.parse(payload.toString()) as {
        clientToken?: string;
        version?: number;
        code?: number;
        message?: string;
      };
      const seq = Number(body.clientToken?.slice(s.thing.length + 1));
      if (topic.endsWith("/rejected")) {
        w.anomalies.push(`rejected seq ${seq}: ${body.code} ${body.message}`);
      } else {
        if (seq <= w.maxAcceptedSeq) w.anomalies.push(`accepted seq ${seq} after ${w.maxAcceptedSeq}`);
        const expected = s.version + (seq - s.seq);
        if (body.version !== expected)
          w.anomalies.push(`seq ${seq} accepted at version ${body.version}, expected ${expected}`);
        w.maxAcceptedSeq = Math.max(w.maxAcceptedSeq, seq);
        w.acceptedCount++;
        total++;
        for (const l of listeners) l();
      }
      send();
    });
    for (let i = 0; i < window; i++) send();
  }

  return {
    writers,
    totalAccepted: () => total,
    waitForAccepted(n, timeoutMs = 15_000) {
      if (total >= n) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`only ${total} of ${n} updates accepted within ${timeoutMs} ms`));
        }, timeoutMs);
        const check = () => {
          if (total < n) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve();
        };
        listeners.add(check);
      });
    },
    async stop() {
      running = false;
      await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})));
    },
  };
}

/** Reads a classic shadow over HTTP: its version and reported.seq (404 gives version 0, seq 0). */
export async function readSeq(httpUrl: string, thing: string): Promise<{ version: number; seq: number }> {
  const res = await fetch(`${httpUrl}/things/${thing}/shadow`);
  if (res.status === 404) return { version: 0, seq: 0 };
  if (res.status !== 200) throw new Error(`GET ${thing}: HTTP ${res.status} ${await res.text()}`);
  const doc = (await res.json()) as { version: number; state: { reported?: { seq?: number } } };
  return { version: doc.version, seq: doc.state.reported?.seq ?? 0 };
}
