import { describe, expect, it } from "vitest";
import { DeviceConnectionError, ShadowRejectedError } from "../../device-agent/sdk/errors.ts";
import { OfflineQueue } from "../../device-agent/sdk/offline-queue.ts";
import { Reporter } from "../../device-agent/sdk/reporter.ts";
import type { JsonObject } from "../../shared/json.ts";
import { gate, until } from "../helpers/device-sdk.ts";

/** A reporter over an in-memory queue whose `send` is scripted per call. */
function harness(
  answer: (patch: JsonObject, n: number) => Promise<JsonObject> = async () => ({ version: 1 }),
) {
  const queue = new OfflineQueue(undefined, "t");
  const sent: JsonObject[] = [];
  const errors: Error[] = [];
  const reporter = new Reporter({
    queue,
    send: (patch) => {
      sent.push(patch);
      return answer(patch, sent.length);
    },
    retry: { initialMs: 5, maxMs: 10 },
    onError: (err) => errors.push(err),
  });
  return { queue, sent, errors, reporter };
}

describe("sdk reporter (queue → node, in order)", () => {
  it("offline: resolves once queued; online: sends the coalesced queue in order, then new reports", async () => {
    const h = harness();
    await h.reporter.report({ a: 1 });
    await h.reporter.report({ b: 1 });
    await h.reporter.report({ a: 2 });
    expect(h.sent).toEqual([]);
    expect(h.reporter.queued).toBe(2);
    h.reporter.setOnline(true);
    await h.reporter.drain();
    await h.reporter.report({ c: 3 });
    expect(h.sent).toEqual([{ b: 1, a: 2 }, { c: 3 }]);
    expect(h.reporter.queued).toBe(0);
  });

  it("online: report() resolves only when the node accepted it; waiters of replaced values follow the new row", async () => {
    const held = gate<JsonObject>();
    const h = harness((_p, n) => (n === 1 ? held.promise : Promise.resolve({ version: 3 })));
    h.reporter.setOnline(true);
    let firstDone = false;
    const first = h.reporter.report({ x: 1 }).then(() => {
      firstDone = true;
    });
    await until("first sent", () => h.sent.length === 1);
    const second = h.reporter.report({ x: 2 });
    const third = h.reporter.report({ x: 3 }); // replaces the queued x: 2
    await new Promise((r) => setTimeout(r, 10));
    expect(firstDone).toBe(false);
    held.open({ version: 2 });
    await Promise.all([first, second, third]);
    expect(h.sent).toEqual([{ x: 1 }, { x: 3 }]);
  });

  it("retries transient failures (timeout, 429, 503) with the same rows, in order", async () => {
    const h = harness(async (_p, n) => {
      if (n === 1) throw new DeviceConnectionError("timeout", "no reply");
      if (n === 2) throw new ShadowRejectedError(429, "update", "slow down");
      if (n === 3) throw new ShadowRejectedError(503, "update", "shutting down");
      return { version: 1 };
    });
    h.reporter.setOnline(true);
    await h.reporter.report({ k: "v" });
    expect(h.sent).toEqual([{ k: "v" }, { k: "v" }, { k: "v" }, { k: "v" }]);
    expect(h.errors).toEqual([]);
  });

  it("a final rejection drops only the bad leaf: the batch is split to find it, the rest goes through", async () => {
    const h = harness(async (patch) => {
      if ("bad" in patch) throw new ShadowRejectedError(400, "update", "bad value");
      return { version: 1 };
    });
    await h.reporter.report({ a: 1 });
    await h.reporter.report({ bad: 1 });
    await h.reporter.report({ c: 1 });
    h.reporter.setOnline(true);
    await h.reporter.drain();
    expect(h.sent).toEqual([{ a: 1, bad: 1, c: 1 }, { a: 1 }, { bad: 1 }, { c: 1 }]);
    expect(h.errors.map((e) => (e as ShadowRejectedError).code)).toEqual([400]);
    expect(h.reporter.stats.dropped).toBe(1);
    const online = h.reporter.report({ bad: 2 });
    await expect(online).rejects.toBeInstanceOf(ShadowRejectedError);
  });

  it("going offline resolves waiting reports (they are queued) and stops sending until online again", async () => {
    const held = gate<JsonObject>();
    const h = harness((_p, n) => (n === 1 ? held.promise : Promise.resolve({ version: 1 })));
    h.reporter.setOnline(true);
    const waiting = h.reporter.report({ a: 1 });
    await until("sent", () => h.sent.length === 1);
    h.reporter.setOnline(false);
    await waiting;
    held.open(Promise.reject(new DeviceConnectionError("offline", "gone")) as unknown as JsonObject);
    await new Promise((r) => setTimeout(r, 10));
    expect(h.reporter.queued).toBe(1);
    h.reporter.setOnline(true);
    await h.reporter.drain();
    expect(h.sent).toEqual([{ a: 1 }, { a: 1 }]);
    expect(h.reporter.queued).toBe(0);
  });

  it("after close, report() rejects", async () => {
    const h = harness();
    h.reporter.close();
    await expect(h.reporter.report({ a: 1 })).rejects.toBeInstanceOf(DeviceConnectionError);
  });
});
