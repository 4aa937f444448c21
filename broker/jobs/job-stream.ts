import type { FastifyReply } from "fastify";
import type { JsonObject } from "../../shared/json.ts";
import { openEventStream } from "../http/event-stream.ts";
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
  const live = jobs.live(id);
  let progress: NodeJS.Timeout | undefined;
  const stream = openEventStream(reply, {
    keepAliveMs: KEEP_ALIVE_MS,
    onKeepAlive: () => {
      if (live) endIfOver(live);
    },
  });
  const started = ((first.things ?? []) as JsonObject[]).filter((t) => t.status !== "pending");
  delete first.things;
  stream.send("job", first);
  // A late reader first gets every thing that has an outcome already.
  for (const t of started) stream.send("thing", t);
  if (!live) {
    stream.end("end", first);
    return reply;
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
  return reply;
}
