/**
 * A telemetry load worker (forked by bench/telemetry-bench.ts): holds a share of the simulated
 * devices as real mqtt.js connections. Each device publishes `things/{thing}/telemetry` with a JSON
 * object of `metrics` numbers, QoS 1: open loop at a given interval per device ({cmd:"rate",intervalMs}),
 * or closed loop ({cmd:"go"}: the next publish after the PUBACK). {cmd:"pause"} stops publishing,
 * {cmd:"count"} asks for the messages sent, {cmd:"stop"} ends. Worker replies {ready}, {paused},
 * {messages}, {done, messages}.
 */
import mqtt, { type MqttClient } from "mqtt";

const [url, first, count, metrics] = [
  process.argv[2] as string,
  Number(process.argv[3]),
  Number(process.argv[4]),
  Number(process.argv[5]),
];
const send = (m: unknown) => process.send?.(m);

const clients: MqttClient[] = [];
let running = false;
let messages = 0;

function payload(i: number): string {
  const o: Record<string, number> = {};
  for (let m = 0; m < metrics; m++) o[`m${m}`] = Math.round((i * 7 + m * 13 + Math.random() * 100) * 10) / 10;
  return JSON.stringify(o);
}

async function connectAll(): Promise<void> {
  // A few hundred connects at a time: the node accepts them as fast as it can without a SYN storm.
  const BATCH = 250;
  for (let i = 0; i < count; i += BATCH) {
    await Promise.all(
      Array.from({ length: Math.min(BATCH, count - i) }, (_, j) => {
        const thing = `dev-${first + i + j}`;
        const c = mqtt.connect(url, {
          clientId: thing,
          protocolVersion: 4,
          reconnectPeriod: 0,
          connectTimeout: 30_000,
        });
        clients.push(c);
        return new Promise<void>((resolve, reject) => {
          c.once("connect", () => resolve());
          c.once("error", reject);
        });
      }),
    );
  }
}

async function loop(c: MqttClient, index: number): Promise<void> {
  const topic = `things/dev-${first + index}/telemetry`;
  let n = 0;
  while (running) {
    await c.publishAsync(topic, payload(n++), { qos: 1 });
    messages++;
  }
}

/** Open loop: every device publishes once per `intervalMs` (random phase), QoS 1, not waiting for acks. */
const timers: NodeJS.Timeout[] = [];
function openLoop(intervalMs: number): void {
  clients.forEach((c, i) => {
    const topic = `things/dev-${first + i}/telemetry`;
    let n = 0;
    const publish = () => {
      c.publish(topic, payload(n++), { qos: 1 });
      messages++;
    };
    const phase = setTimeout(() => {
      publish();
      timers.push(setInterval(publish, intervalMs));
    }, Math.random() * intervalMs);
    timers.push(phase);
  });
}

function stopAll(): void {
  running = false;
  for (const t of timers.splice(0)) clearTimeout(t);
}

process.on("message", async (m: { cmd: string; intervalMs?: number }) => {
  if (m.cmd === "go") {
    running = true;
    clients.forEach((c, i) => void loop(c, i).catch(() => {}));
  } else if (m.cmd === "rate") {
    stopAll();
    openLoop(m.intervalMs as number);
  } else if (m.cmd === "pause") {
    stopAll();
    send({ paused: true });
  } else if (m.cmd === "count") {
    send({ messages });
  } else if (m.cmd === "stop") {
    stopAll();
    await new Promise((r) => setTimeout(r, 500));
    send({ done: true, messages });
    await Promise.all(clients.map((c) => c.endAsync(true)));
    process.exit(0);
  }
});

connectAll().then(
  () => send({ ready: true }),
  (err) => {
    process.stderr.write(`telemetry worker: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
