/**
 * A job over many simulated devices (docs/jobs.md): does it complete at the configured rate, and how
 * much does it slow the shadow path? One node in process (real SQLite, group commit, fleet index).
 * Devices are simulated in process: a `change` listener that answers each job write with a reported
 * update through ShadowService (the same path an MQTT device's update takes after parsing).
 *
 * Phases, each `SECONDS` long or until the job ends:
 *   1. baseline: an open-loop load of `LOAD_RATE` reported updates/s to 1,000 other things: the rate
 *      achieved and each update's latency (p50, p99);
 *   2. the same load while a job writes `desired` to `THINGS` things at `RATE` writes/min (batches of
 *      `BATCH`, each waiting for its devices to report back).
 *   3. control: the same desired writes at the same rate written directly (no job), the devices
 *      answering the same way: what any bulk change costs, to tell the job machinery's share apart.
 * Prints the job's duration against THINGS/RATE and the load's rate and latency in each phase.
 *
 *   npx tsx bench/jobs-bench.ts [things=10000] [ratePerMinute=60000] [batch=1000] [loadPerSecond=200]
 */

import type { JobsExtension } from "../broker/jobs/extension.ts";
import { ANONYMOUS, principal } from "../shared/acl.ts";
import { startTestNode } from "../test/helpers/node.ts";
import { Histogram } from "./histogram.ts";

const THINGS = Number(process.argv[2] ?? 10_000);
const RATE = Number(process.argv[3] ?? 60_000);
const BATCH = Number(process.argv[4] ?? 1000);
const LOAD_RATE = Number(process.argv[5] ?? 200);
const BASELINE_SECONDS = 10;

const node = await startTestNode();
const svc = node.service;
const jobs = (node.extensions.get("jobs") as JobsExtension).jobs;
const name = (prefix: string, i: number) => `${prefix}-${String(i).padStart(5, "0")}`;

// The fleet: THINGS job targets and 1,000 things for the background load.
const fill = async (prefix: string, n: number) => {
  for (let i = 0; i < n; i += 500) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + 500); j++) {
      const thing = name(prefix, j);
      batch.push(
        svc.update(
          { thing, shadow: "" },
          { state: { reported: { cap: 100, n: 0 } } },
          principal(thing, "device"),
        ),
      );
    }
    await Promise.all(batch);
  }
};
await fill("job", THINGS);
await fill("ctl", THINGS);
await fill("load", 1000);

// Simulated devices: report back what a job wrote.
svc.on("change", (c) => {
  if (!c.clientToken?.startsWith("job:") && !c.clientToken?.startsWith("ctl:")) return;
  const cap = (c.current.desired as { cap?: number }).cap ?? null;
  void svc.update(c.addr, { state: { reported: { cap } } }, principal(c.addr.thing, "device"));
});

/**
 * Open-loop load: LOAD_RATE reported updates/s to the 1,000 load things (issued every 10 ms whether or
 * not earlier ones have answered) until `stop()`; the achieved rate and each update's latency.
 */
async function load(stop: () => boolean): Promise<{ perSecond: number; latency: Histogram }> {
  const latency = new Histogram();
  let issued = 0;
  let done = 0;
  const started = performance.now();
  const inflight = new Set<Promise<void>>();
  while (!stop()) {
    const due = Math.floor(((performance.now() - started) / 1000) * LOAD_RATE);
    for (; issued < due; issued++) {
      const thing = name("load", issued % 1000);
      const t0 = performance.now();
      const p = svc
        .update({ thing, shadow: "" }, { state: { reported: { n: issued } } }, principal(thing, "device"))
        .then(() => {
          latency.record(performance.now() - t0);
          done++;
          inflight.delete(p);
        });
      inflight.add(p);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  await Promise.all(inflight);
  return { perSecond: (done * 1000) / (performance.now() - started), latency };
}

const show = (h: Histogram) => `p50 ${h.quantile(0.5).toFixed(1)} ms, p99 ${h.quantile(0.99).toFixed(1)} ms`;

const until = (ms: number) => {
  const end = performance.now() + ms;
  return () => performance.now() > end;
};

const baseline = await load(until(BASELINE_SECONDS * 1000));
console.log(
  `baseline: ${baseline.perSecond.toFixed(0)} of ${LOAD_RATE} reported updates/s, ${show(baseline.latency)} (${BASELINE_SECONDS} s)`,
);

const created = jobs.create(
  {
    target: { q: "thingName:job-*" },
    patch: { cap: 500 },
    rollout: { batchSize: BATCH, ratePerMinute: RATE, timeoutSeconds: 600 },
  },
  ANONYMOUS,
);
const id = created.id as string;
const jobStart = performance.now();
let state = "running";
const during = await load(() => {
  const j = jobs.get(id, ANONYMOUS, false);
  state = j.state as string;
  return state !== "running";
});
const jobSeconds = (performance.now() - jobStart) / 1000;
const final = jobs.get(id, ANONYMOUS, false);
const expected = (THINGS / RATE) * 60;
console.log(
  `job: ${THINGS} things at ${RATE}/min in batches of ${BATCH}: ${final.state} in ${jobSeconds.toFixed(1)} s (rate alone: ${expected.toFixed(1)} s; ratio ${(jobSeconds / expected).toFixed(2)})`,
);
console.log(`counts: ${JSON.stringify(final.counts)}`);
const ratio = (h: Histogram, base: Histogram) =>
  `p50 ×${(h.quantile(0.5) / base.quantile(0.5)).toFixed(2)}, p99 ×${(h.quantile(0.99) / base.quantile(0.99)).toFixed(2)}`;
console.log(
  `during the job: ${during.perSecond.toFixed(0)} of ${LOAD_RATE} reported updates/s, ${show(during.latency)}; ${ratio(during.latency, baseline.latency)} of baseline`,
);

// Control: the same desired writes at the same rate without a job (the devices answer the same way),
// to tell the cost of the job machinery from the cost of the traffic any bulk change brings.
// Its own timer, like the job's: writes issued in the load's tick would share its group commits.
let written = 0;
const ctlStart = performance.now();
const writer = setInterval(() => {
  const due = Math.min(THINGS, Math.floor(((performance.now() - ctlStart) / 60_000) * RATE));
  for (; written < due; written++) {
    const thing = name("ctl", written);
    void svc.update({ thing, shadow: "" }, { state: { desired: { cap: 500 } }, clientToken: `ctl:${thing}` });
  }
}, 60_000 / RATE);
const control = await load(() => written >= THINGS);
clearInterval(writer);
console.log(
  `control (same writes, no job): ${control.perSecond.toFixed(0)} of ${LOAD_RATE} reported updates/s, ${show(control.latency)}; ${ratio(control.latency, baseline.latency)} of baseline; the job vs control: ${ratio(during.latency, control.latency)}`,
);
await node.stop();
