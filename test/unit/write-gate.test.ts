import { describe, expect, it } from "vitest";
import { MAIN, WORKER, WriteGate } from "../../broker/shadow/write-gate.ts";

describe("WriteGate (main-thread writes and the worker's settling between batches)", () => {
  it("lets one side in at a time, and the main thread first once it was turned away", () => {
    const gate = new WriteGate();
    const worker = new WriteGate(gate.word); // the worker's view of the same shared words
    expect(worker.tryEnter(WORKER)).toBe(true);
    expect(gate.tryEnter(MAIN)).toBe(false);
    worker.leave();
    // The main thread waits: the worker starts no further step.
    expect(worker.tryEnter(WORKER)).toBe(false);
    expect(gate.tryEnter(MAIN)).toBe(true);
    expect(worker.tryEnter(WORKER)).toBe(false);
    gate.leave();
    expect(worker.tryEnter(WORKER)).toBe(true);
    worker.leave();
  });

  it("shares its words with a worker thread", async () => {
    const { Worker } = await import("node:worker_threads");
    const gate = new WriteGate();
    expect(gate.tryEnter(MAIN)).toBe(true);
    const code = `
      const { workerData, parentPort } = require("node:worker_threads");
      const w = workerData;
      parentPort.postMessage(Atomics.compareExchange(w, 0, 0, 2) === 0);`;
    const worker = new Worker(code, { eval: true, workerData: gate.word });
    const entered = await new Promise((resolve) => worker.once("message", resolve));
    await worker.terminate();
    expect(entered).toBe(false);
    gate.leave();
  });
});
