import { createServer } from "node:http";
import { describe, expect, it } from "vitest";
import { HttpDelivery } from "../../broker/alarms/http-delivery.ts";
import { AlarmNotifications, type AlarmNotifier } from "../../broker/alarms/notify.ts";
import { type Alarm, type Firing, fire, shelve } from "../../shared/alarms-lifecycle.ts";
import { createLogger } from "../../shared/logger.ts";

const F: Firing = {
  id: "s/r/t",
  system: "s",
  rule: "r",
  thing: "t",
  kind: "offline",
  severity: "major",
  site: "edge",
  summary: "x",
};

describe("alarm notifications", () => {
  it("nothing is sent for shelved alarms or things under maintenance; acks are not pages", () => {
    const sent: string[] = [];
    const n: AlarmNotifier = { notify: (a, e) => sent.push(`${e.kind} ${a.thing}`) };
    const maintenance = new Set(["t2"]);
    const policy = new AlarmNotifications(
      [n],
      (t) => maintenance.has(t),
      () => 1000,
    );
    const a = fire(undefined, F, 0);
    policy.notify(a.alarm, a.event as NonNullable<typeof a.event>);
    const b = fire(undefined, { ...F, id: "s/r/t2", thing: "t2" }, 0);
    policy.notify(b.alarm, b.event as NonNullable<typeof b.event>);
    const shelved: Alarm = shelve(a.alarm, 5000, "ann", 0).alarm;
    policy.notify(shelved, { id: F.id, kind: "cleared", ts: 1000 });
    policy.notify(a.alarm, { id: F.id, kind: "acknowledged", ts: 1000, by: "ann" });
    expect(sent).toEqual(["raised t"]);
  });

  it("retries with backoff a bounded number of times, then gives up; the queue is bounded", async () => {
    let hits = 0;
    const server = createServer((_req, res) => {
      hits++;
      res.statusCode = 500;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
    const d = new HttpDelivery(url, createLogger("silent"), {
      attempts: 3,
      backoffMs: 10,
      maxQueue: 2,
      timeoutMs: 5000,
    });
    for (let i = 0; i < 4; i++) d.send({ i });
    const deadline = Date.now() + 30_000;
    while (d.pending > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    // The first message was in flight; of the three queued behind it, the oldest was dropped.
    expect(d.stats).toEqual({ sent: 0, failed: 3, dropped: 1 });
    expect(hits).toBe(9);
    d.close();
    await new Promise<void>((r) => server.close(() => r()));
  }, 60_000);
});
