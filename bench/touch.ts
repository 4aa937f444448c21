import mqtt from "mqtt";
import { Histogram } from "./histogram.ts";
import { storedThing } from "./things.ts";

export interface TouchFigures {
  ops: number;
  gets: number;
  updates: number;
  /** Replies on `/rejected`, or `get/accepted` documents that lack the stored state. */
  failures: number;
  /** Topic and payload of the first failure, to tell what went wrong. */
  firstFailure?: string;
  unanswered: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/**
 * Touches `ops` random shadows among `stored` (half gets, half reported updates) from one operator
 * client keeping `concurrency` requests in flight; replies are matched by clientToken. Shadows are
 * picked uniformly at random, so with 100k stored and a 10k cache most requests load from SQLite.
 */
export async function touchStored(
  url: string,
  stored: number,
  ops: number,
  concurrency = 64,
  timeoutMs = 120_000,
  /** The things touched (default: the stored-shadows phase's) and which one the k-th request picks. */
  how: { thing?: (i: number) => string; pick?: (k: number) => number; op?: "get" | "update" } = {},
): Promise<TouchFigures> {
  const client = await mqtt.connectAsync(url, {
    clientId: `bench-toucher-${process.pid}`,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
  });
  const h = new Histogram();
  const inFlight = new Map<string, { t: number; op: "get" | "update" }>();
  let failures = 0;
  let firstFailure: string | undefined;
  let gets = 0;
  let updates = 0;
  let issued = 0;
  let done = 0;
  let finished: () => void = () => undefined;
  const allDone = new Promise<void>((r) => {
    finished = r;
  });
  if (ops === 0) finished();
  const issue = () => {
    if (issued >= ops) return;
    const i = how.pick ? how.pick(issued) % stored : Math.floor(Math.random() * stored);
    const token = `t${issued++}`;
    const op = how.op ?? (Math.random() < 0.5 ? "get" : "update");
    inFlight.set(token, { t: performance.now(), op });
    const base = `$umbra/things/${(how.thing ?? storedThing)(i)}/shadow`;
    if (op === "get") {
      gets++;
      client.publish(`${base}/get`, JSON.stringify({ clientToken: token }), { qos: 1 });
    } else {
      updates++;
      const body = {
        state: { reported: { temp: Math.round(Math.random() * 400) / 10 } },
        clientToken: token,
      };
      client.publish(`${base}/update`, JSON.stringify(body), { qos: 1 });
    }
  };
  client.on("message", (topic, payload) => {
    const doc = JSON.parse(payload.toString()) as {
      clientToken?: string;
      state?: { reported?: { model?: string } };
    };
    const req = doc.clientToken === undefined ? undefined : inFlight.get(doc.clientToken);
    if (!req) return;
    inFlight.delete(doc.clientToken as string);
    h.record(performance.now() - req.t);
    const failed =
      topic.endsWith("/rejected") || (req.op === "get" && doc.state?.reported?.model !== "pdu-8");
    if (failed) {
      failures++;
      firstFailure ??= `${topic} ${payload.toString().slice(0, 300)}`;
    }
    done++;
    if (done >= ops) finished();
    else issue();
  });
  await client.subscribeAsync(
    ["get/accepted", "get/rejected", "update/accepted", "update/rejected"].map(
      (s) => `$umbra/things/+/shadow/${s}`,
    ),
    { qos: 1 },
  );
  const t0 = performance.now();
  for (let k = 0; k < Math.min(concurrency, ops); k++) issue();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([allDone, new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
  clearTimeout(timer);
  const seconds = (performance.now() - t0) / 1000;
  await client.endAsync(true);
  return {
    ops: done,
    gets,
    updates,
    failures,
    firstFailure,
    unanswered: issued - done,
    perSecond: done / seconds,
    p50Ms: h.quantile(0.5),
    p99Ms: h.quantile(0.99),
    maxMs: h.maxMs,
  };
}
