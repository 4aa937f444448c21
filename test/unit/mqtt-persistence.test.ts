import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { SqlitePersistence } from "../../broker/mqtt/persistence/sqlite-persistence.ts";
import { REPO_ROOT } from "../helpers/node.ts";

const broker = {
  id: "umbra-test",
  counter: 0,
  mq: undefined,
  subscribe() {},
  unsubscribe() {},
  publish() {},
};
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function dbFile(): string {
  const d = mkdtempSync(join(tmpdir(), "umbra-persistence-"));
  dirs.push(d);
  return join(d, "mqtt.db");
}
async function open(file: string, opts = {}) {
  const p = new SqlitePersistence(file, opts);
  await p.setup(broker);
  return p;
}
async function drain(stream: Readable): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for await (const x of stream) out.push(x as Record<string, unknown>);
  return out;
}
const pub = (topic: string, payload: string, extra: object = {}) => ({
  cmd: "publish",
  topic,
  payload: Buffer.from(payload),
  qos: 1 as const,
  retain: false,
  brokerId: "umbra-test",
  brokerCounter: 1,
  ...extra,
});

describe("SqlitePersistence", () => {
  it("passes aedes-persistence's own abstract test suite", () => {
    const r = spawnSync(
      process.execPath,
      ["--import", "tsx", "--test", "test/contract/mqtt-persistence-abstract.ts"],
      {
        cwd: REPO_ROOT,
        encoding: "utf8",
        timeout: 120_000,
      },
    );
    const pass = Number(/^# pass (\d+)/m.exec(r.stdout)?.[1] ?? 0);
    expect(r.status, r.stdout.slice(-3000) + r.stderr).toBe(0);
    expect(/^# fail 0$/m.test(r.stdout)).toBe(true);
    expect(pass).toBeGreaterThanOrEqual(40);
  });

  it("brings back retained messages, subscriptions, queues, in-flight ids and wills after a restart", async () => {
    const file = dbFile();
    const a = await open(file);
    await a.storeRetained({ ...pub("site/status", "up"), retain: true });
    await a.storeRetained({ ...pub("site/gone", "x"), retain: true });
    await a.storeRetained({ ...pub("site/gone", ""), retain: true }); // cleared
    await a.addSubscriptions({ id: "dev-1" }, [
      { topic: "cmd/#", qos: 1 },
      { topic: "other", qos: 0 },
    ]);
    await a.removeSubscriptions({ id: "dev-1" }, ["other"]);
    await a.outgoingEnqueueCombi([{ clientId: "dev-1" }], pub("cmd/a", "one", { brokerCounter: 7 }));
    await a.outgoingEnqueueCombi(
      [{ clientId: "dev-1" }],
      pub("cmd/b", "two", { brokerCounter: 8, properties: { correlationData: Buffer.from([1, 2]) } }),
    );
    await a.outgoingUpdate({ id: "dev-1" }, pub("cmd/a", "one", { brokerCounter: 7, messageId: 42 }));
    await a.incomingStorePacket({ id: "dev-1" }, pub("in/x", "q2", { qos: 2, messageId: 9 }));
    await a.putWill({ id: "dev-1" }, pub("dev-1/will", "gone"));
    await a.destroy();

    const b = await open(file);
    expect((await drain(b.createRetainedStream("#"))).map((p) => [p.topic, String(p.payload)])).toEqual([
      ["site/status", "up"],
    ]);
    expect(b.retainedSnapshot().map((p) => p.topic)).toEqual(["site/status"]);
    const subs = await (
      b as unknown as { subscriptionsByClient(c: object): Promise<{ topic: string }[]> }
    ).subscriptionsByClient({ id: "dev-1" });
    expect(subs.map((s) => s.topic)).toEqual(["cmd/#"]);
    const queue = await drain(
      (b as unknown as { outgoingStream(c: object): Readable }).outgoingStream({ id: "dev-1" }),
    );
    expect(queue.map((p) => [p.topic, String(p.payload), p.messageId])).toEqual([
      ["cmd/a", "one", 42],
      ["cmd/b", "two", undefined],
    ]);
    const props = queue[1]?.properties as { correlationData?: unknown } | undefined;
    expect(Buffer.isBuffer(props?.correlationData)).toBe(true);
    const incoming = await (
      b as unknown as { incomingGetPacket(c: object, p: object): Promise<{ topic: string }> }
    ).incomingGetPacket({ id: "dev-1" }, { messageId: 9 });
    expect(incoming.topic).toBe("in/x");
    const will = await (
      b as unknown as { getWill(c: object): Promise<{ topic: string } | undefined> }
    ).getWill({ id: "dev-1" });
    expect(will?.topic).toBe("dev-1/will");
    // Acknowledged: gone for good.
    await b.outgoingClearMessageId({ id: "dev-1" }, pub("cmd/a", "", { messageId: 42 }));
    await b.destroy();
    const c = await open(file);
    const left = await drain(
      (c as unknown as { outgoingStream(c: object): Readable }).outgoingStream({ id: "dev-1" }),
    );
    expect(left.map((p) => p.topic)).toEqual(["cmd/b"]);
    await c.destroy();
  });

  it("keeps who owns each persistent session's client id across a restart", async () => {
    const file = dbFile();
    const a = await open(file);
    const owners = a.sessionOwners();
    owners.set("dev-1", "device:dev-1");
    owners.set("ops-1", "operator:ops");
    owners.delete("ops-1");
    await a.destroy();
    const b = await open(file);
    expect([...b.sessionOwners()]).toEqual([["dev-1", "device:dev-1"]]);
    await b.destroy();
  });

  it("bounds each client's queue and counts what did not fit", async () => {
    const overflowed: string[] = [];
    const p = await open(dbFile(), {
      maxQueuedPerClient: 3,
      onOverflow: (id: string) => overflowed.push(id),
    });
    for (let i = 0; i < 5; i++)
      await p.outgoingEnqueueCombi(
        [{ clientId: "slow" }, { clientId: "fast" }],
        pub(`t/${i}`, String(i), { brokerCounter: i + 1 }),
      );
    await p.outgoingClearMessageId({ id: "fast" }, { ...pub("t", ""), messageId: undefined });
    const slow = await drain(
      (p as unknown as { outgoingStream(c: object): Readable }).outgoingStream({ id: "slow" }),
    );
    expect(slow.map((m) => m.topic)).toEqual(["t/0", "t/1", "t/2"]);
    expect(p.overflowed).toBe(4);
    expect(overflowed.sort()).toEqual(["fast", "fast", "slow", "slow"]);
    await p.destroy();
  });

  it("keeps the queue bound across a restart and frees a place per acknowledged message", async () => {
    const file = dbFile();
    const stream = (p: SqlitePersistence, id: string) =>
      drain((p as unknown as { outgoingStream(c: object): Readable }).outgoingStream({ id }));
    const a = await open(file, { maxQueuedPerClient: 2 });
    for (let i = 0; i < 2; i++)
      await a.outgoingEnqueueCombi([{ clientId: "dev-1" }], pub(`q/${i}`, "x", { brokerCounter: i + 1 }));
    await a.outgoingUpdate({ id: "dev-1" }, pub("q/0", "x", { brokerCounter: 1, messageId: 5 }));
    // An acknowledgement from a client with nothing queued (a clean session) removes nothing of others'.
    await a.outgoingClearMessageId({ id: "clean-1" }, pub("q/0", "", { messageId: 5 }));
    await a.destroy();

    const b = await open(file, { maxQueuedPerClient: 2 });
    await b.outgoingEnqueueCombi([{ clientId: "dev-1" }], pub("q/2", "x", { brokerCounter: 3 }));
    expect(b.overflowed).toBe(1);
    await b.outgoingClearMessageId({ id: "dev-1" }, pub("q/0", "", { messageId: 5 }));
    await b.outgoingClearMessageId({ id: "dev-1" }, pub("q/0", "", { messageId: 5 })); // a duplicate PUBACK
    await b.outgoingEnqueueCombi([{ clientId: "dev-1" }], pub("q/3", "x", { brokerCounter: 4 }));
    await b.outgoingEnqueueCombi([{ clientId: "dev-1" }], pub("q/4", "x", { brokerCounter: 5 }));
    expect(b.overflowed).toBe(2);
    expect((await stream(b, "dev-1")).map((m) => m.topic)).toEqual(["q/1", "q/3"]);
    await b.destroy();
    const c = await open(file);
    expect((await stream(c, "dev-1")).map((m) => m.topic)).toEqual(["q/1", "q/3"]);
    await c.destroy();
  });
});
