import type { FastifyReply } from "fastify";
import type { Principal } from "../../shared/acl.ts";
import type { JsonObject } from "../../shared/json.ts";
import { type EventStream, openEventStream } from "../http/event-stream.ts";
import type { LiveJob } from "./job-runner.ts";
import { type JobService, summary, thingJson } from "./job-service.ts";

/** Keep-alive, and the check for a job that ended without a last event, this often. */
const KEEP_ALIVE_MS = 5000;
/** Progress (`job` events with counts) at most this often while things change. */
const PROGRESS_MS = 500;

/**
 * `GET /jobs/:id/stream`: server-sent events. `job` (state and counts) first, then `thing` for every thing
 * started so far; then `job` on every state change
 * and at most every 500 ms of progress; `thing` for each thing's new status; `end` once the job is over
 * and nothing is in flight (then the stream closes).
 */
export function streamJob(
  jobs: JobService,
  id: string,
  first: JsonObject,
  reply: FastifyReply,
): FastifyReply {
  let check = () => {};
  const stream = openEventStream(reply, { keepAliveMs: KEEP_ALIVE_MS, onKeepAlive: () => check() });
  check = followJob(jobs, id, first, stream);
  return reply;
}

/**
 * The same events on the console's one stream (broker/http/console-follows.ts): reads the job as `who`
 * (a JobError thrown here, before anything is sent), then follows it on a stream until it is over.
 */
export function jobFollower(jobs: JobService, id: string, who: Principal): (stream: EventStream) => unknown {
  const first = jobs.get(id, who, true);
  return (stream) => {
    const check = followJob(jobs, id, first, stream);
    const timer = setInterval(check, KEEP_ALIVE_MS);
    stream.onClose(() => clearInterval(timer));
    return { id };
  };
}

/**
 * Sends the job's events on `stream` (see streamJob); answers the check to run every few seconds,
 * which ends the stream of a job that ended without a last event.
 */
function followJob(jobs: JobService, id: string, first: JsonObject, stream: EventStream): () => void {
  const live = jobs.live(id);
  let progress: NodeJS.Timeout | undefined;
  const started = ((first.things ?? []) as JsonObject[]).filter((t) => t.status !== "pending");
  delete first.things;
  stream.send("job", first);
  // A late reader first gets every thing that has an outcome already.
  for (const t of started) stream.send("thing", t);
  if (!live) {
    stream.end("end", first);
    return () => {};
  }
  const onJob = (job: LiveJob) => {
    if (job.row.id !== id || stream.closed) return;
    stream.send("job", summary(job.row, job.counts));
    // The runner forgets a job once it is over; look after it has.
    setImmediate(() => endIfOver(job));
  };
  const onThing = (job: LiveJob, r: Parameters<typeof thingJson>[0]) => {
    if (job.row.id !== id) return;
    stream.send("thing", thingJson(r));
    progress ??= setTimeout(() => {
      progress = undefined;
      stream.send("job", summary(job.row, job.counts));
      endIfOver(job);
    }, PROGRESS_MS);
  };
  const endIfOver = (job: LiveJob) => {
    if (jobs.live(id) !== undefined || stream.closed) return;
    stream.end("end", summary(job.row, job.counts));
  };
  jobs.events.on("job", onJob);
  jobs.events.on("thing", onThing);
  stream.onClose(() => {
    clearTimeout(progress);
    jobs.events.off("job", onJob);
    jobs.events.off("thing", onThing);
  });
  return () => endIfOver(live);
}
