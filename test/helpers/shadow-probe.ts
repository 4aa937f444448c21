import type { IClientOptions, IClientPublishOptions, MqttClient } from "mqtt";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { connectClient } from "./mqtt.ts";
import { startTestNode, type TestNode } from "./node.ts";

/** The documents the node publishes, loosely typed: tests assert on shapes with toEqual/toMatchObject. */
export interface WireDoc {
  state?: {
    desired?: Record<string, unknown>;
    reported?: Record<string, unknown>;
    delta?: Record<string, unknown>;
  };
  metadata?: { desired?: Record<string, unknown>; reported?: Record<string, unknown> } & Record<
    string,
    unknown
  >;
  version?: number;
  timestamp?: number;
  clientToken?: string;
  code?: number;
  message?: string;
  previous?: WireDoc | null;
  current?: WireDoc;
  connection?: { connected: boolean; since: number; site: string };
  connected?: boolean;
  since?: number;
  site?: string;
}

export interface Received {
  topic: string;
  raw: Buffer;
  retain: boolean;
  /** The parsed JSON payload, or undefined when the payload is not JSON. */
  body: WireDoc | undefined;
}

type Pred = (m: Received) => boolean;

/** `{root}/things/{thing}/shadow[/name/{shadow}]`. */
export function shadowBase(thing: string, shadow = "", root: "$umbra" | "$aws" = "$umbra"): string {
  return `${root}/things/${thing}/shadow${shadow === "" ? "" : `/name/${shadow}`}`;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * An mqtt.js client that records every message it receives in order, so a test can wait for a reply
 * that matches a predicate and later assert that some other message never arrived.
 */
export class ShadowProbe {
  readonly log: Received[] = [];
  private waiters: { pred: Pred; from: number; resolve: (m: Received) => void }[] = [];

  private constructor(readonly client: MqttClient) {
    client.on("message", (topic, raw, packet) => {
      const m: Received = { topic, raw, retain: packet.retain, body: parseBody(raw) };
      const index = this.log.push(m) - 1;
      this.waiters = this.waiters.filter((w) => {
        if (index < w.from || !w.pred(m)) return true;
        w.resolve(m);
        return false;
      });
    });
  }

  static async connect(url: string, opts: IClientOptions = {}): Promise<ShadowProbe> {
    return new ShadowProbe(await connectClient(url, opts));
  }

  async subscribe(filters: string | string[]): Promise<void> {
    const granted = await this.client.subscribeAsync(filters, { qos: 1 });
    for (const g of granted) if (g.qos === 128) throw new Error(`subscription refused: ${g.topic}`);
  }

  /** Subscribes to every reply topic of one shadow. */
  watch(thing: string, shadow = "", root: "$umbra" | "$aws" = "$umbra"): Promise<void> {
    return this.subscribe(`${shadowBase(thing, shadow, root)}/#`);
  }

  async publish(
    topic: string,
    payload: string | Buffer | object,
    opts: IClientPublishOptions = {},
  ): Promise<void> {
    const data = typeof payload === "string" || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload);
    await this.client.publishAsync(topic, data, { qos: 1, ...opts });
  }

  /** Index of the next message to arrive; pass it as `from` to only consider later messages. */
  mark(): number {
    return this.log.length;
  }

  received(pred: Pred, from = 0): Received[] {
    return this.log.slice(from).filter(pred);
  }

  /** The first message at or after `from` that matches `pred` (already received or still to come). */
  waitFor(pred: Pred, what: string, from = 0, timeoutMs = 5000): Promise<Received> {
    const found = this.log.slice(from).find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`no message: ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (m: Received) => {
        clearTimeout(timer);
        resolve(m);
      };
      this.waiters.push({ pred, from, resolve: done });
    });
  }

  /**
   * Publishes a request on `{base}/{op}` and resolves with its reply on `/accepted` or `/rejected`
   * (the first one after the publish; with `token`, the first one that echoes it). The caller must
   * already be subscribed to the reply topics (see watch).
   */
  async request(
    base: string,
    op: "get" | "update" | "delete",
    payload: string | Buffer | object = "",
    token?: string,
  ): Promise<Received> {
    const from = this.mark();
    const replies = [`${base}/${op}/accepted`, `${base}/${op}/rejected`];
    const waiting = this.waitFor(
      (m) => replies.includes(m.topic) && (token === undefined || m.body?.clientToken === token),
      `reply to ${op} on ${base}${token ? ` (token ${token})` : ""}`,
      from,
    );
    await this.publish(`${base}/${op}`, payload);
    return waiting;
  }

  end(): Promise<void> {
    return this.client.endAsync();
  }
}

function parseBody(raw: Buffer): WireDoc | undefined {
  try {
    return JSON.parse(raw.toString()) as WireDoc;
  } catch {
    return undefined;
  }
}

/** Keeps the probes of a test file so afterEach can close them all. */
export class ProbePool {
  private readonly open: ShadowProbe[] = [];
  constructor(private readonly url: () => string) {}

  async connect(opts: IClientOptions = {}): Promise<ShadowProbe> {
    const p = await ShadowProbe.connect(this.url(), opts);
    this.open.push(p);
    return p;
  }

  async closeAll(): Promise<void> {
    const all = this.open.splice(0);
    await Promise.all(all.map((p) => p.end().catch(() => undefined)));
  }
}

/** Asserts an error reply: on `/rejected`, exactly `{code, message, timestamp[, clientToken]}`. */
export function expectRejected(m: Received, code: number, clientToken?: string): WireDoc {
  expect(m.topic).toMatch(/\/rejected$/);
  const body = m.body ?? {};
  expect(body.code).toBe(code);
  expect(typeof body.message).toBe("string");
  expect(body.message?.length).toBeGreaterThan(0);
  expect(Math.abs((body.timestamp ?? 0) - nowSeconds())).toBeLessThanOrEqual(5);
  const keys = ["code", "message", "timestamp", ...(clientToken === undefined ? [] : ["clientToken"])];
  expect(Object.keys(body).sort()).toEqual(keys.sort());
  expect(body.clientToken).toBe(clientToken);
  return body;
}

/** Asserts an `/accepted` reply and returns its body. */
export function expectAccepted(m: Received): WireDoc {
  expect(m.topic, `expected accepted, got ${m.raw.toString()}`).toMatch(/\/accepted$/);
  return m.body ?? {};
}

/**
 * The common setup of the shadow protocol tests: one anonymous node for the file, and a pool of probes
 * closed after each test. `device(thing)` is a probe already watching that thing's shadow topics.
 */
export interface ProbeNode {
  readonly node: TestNode;
  pool: ProbePool;
  device(thing: string): Promise<ShadowProbe>;
}

export function useProbeNode(): ProbeNode {
  let current: TestNode | undefined;
  const nodeOf = (): TestNode => {
    if (!current) throw new Error("the test node is not started yet");
    return current;
  };
  const pool = new ProbePool(() => nodeOf().mqttUrl);
  beforeAll(async () => {
    current = await startTestNode();
  });
  afterEach(() => pool.closeAll());
  afterAll(() => current?.stop());
  return {
    get node() {
      return nodeOf();
    },
    pool,
    async device(thing: string): Promise<ShadowProbe> {
      const p = await pool.connect();
      await p.watch(thing);
      return p;
    },
  };
}
