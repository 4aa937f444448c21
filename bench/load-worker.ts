/**
 * A load worker: a child process (forked by bench/shadow-bench.ts) holding a share of the simulated
 * devices, so that 10,000 mqtt.js clients do not all compete for one event loop. It obeys the
 * commands of bench/protocol.ts and answers each with one WorkerReply.
 */
import { Fleet } from "./fleet.ts";
import type { WorkerCommand, WorkerReply } from "./protocol.ts";

const fleet = new Fleet();

function reply(msg: WorkerReply): void {
  process.send?.(msg);
}

async function run(msg: WorkerCommand): Promise<WorkerReply> {
  switch (msg.cmd) {
    case "connect":
      return {
        ok: true,
        result: await fleet.connect(msg.url, msg.ids, msg.mode, msg.concurrency, msg.timeoutMs),
      };
    case "closed":
      return { ok: true, result: await fleet.closed(msg.durationMs, msg.drainMs) };
    case "open":
      return { ok: true, result: await fleet.open("open", msg.rate, msg.durationMs, msg.drainMs) };
    case "desired":
      return { ok: true, result: await fleet.open("desired", msg.rate, msg.durationMs, msg.drainMs) };
    case "ping":
      return { ok: true, result: null };
    case "close":
      await fleet.close();
      return { ok: true, result: null };
  }
}

process.on("message", (msg: WorkerCommand) => {
  run(msg).then(
    (r) => {
      reply(r);
      if (msg.cmd === "close") process.disconnect();
    },
    (err: Error) => reply({ ok: false, error: err.stack ?? err.message }),
  );
});

// The orchestrator is gone (finished, crashed or killed): never linger as an orphan.
process.on("disconnect", () => process.exit(0));
