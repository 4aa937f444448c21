import type { FastifyReply, FastifyRequest } from "fastify";
import type { JsonObject } from "../../shared/json.ts";
import type { LiveJob } from "./job-runner.ts";
import { type JobService, summary, thingJson } from "./job-service.ts";

/** A slow reader gets at most this much buffered; then the stream ends with `overflow`. */
const MAX_BACKLOG_BYTES = 4 * 1024 * 1024;
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
  req: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
  const send = (event: string, data: JsonObject) => {
    if (res.writableLength > MAX_BACKLOG_BYTES) {
      res.end(
        `event: overflow\ndata: ${JSON.stringify({ reason: "the reader fell behind; reconnect" })}\n\n`,
      );
      stop();
      return;
    }
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const started = ((first.things ?? []) as JsonObject[]).filter((t) => t.status !== "pending");
  delete first.things;
  send("job", first);
  // A late reader first gets every thing that has an outcome already.
  for (const t of started) send("thing", t);
  const live = jobs.live(id);
  if (!live) {
    send("end", first);
    res.end();
    return reply;
  }
  let progress: NodeJS.Timeout | undefined;
  const onJob = (job: LiveJob) => {
    if (job.row.id !== id || res.writableEnded) return;
    send("job", summary(job.row, job.counts));
    // The runner forgets a job once it is over; look after it has.
    setImmediate(() => endIfOver(job));
  };
  const onThing = (job: LiveJob, r: Parameters<typeof thingJson>[0]) => {
    if (job.row.id !== id) return;
    send("thing", thingJson(r));
    progress ??= setTimeout(() => {
      progress = undefined;
      send("job", summary(job.row, job.counts));
      endIfOver(job);
    }, PROGRESS_MS);
  };
  const endIfOver = (job: LiveJob) => {
    if (jobs.live(id) !== undefined || res.writableEnded) return;
    send("end", summary(job.row, job.counts));
    res.end();
    stop();
  };
  const heartbeat = setInterval(() => {
    res.write(": keep-alive\n\n");
    endIfOver(live);
  }, 5000);
  const stop = () => {
    clearInterval(heartbeat);
    clearTimeout(progress);
    jobs.events.off("job", onJob);
    jobs.events.off("thing", onThing);
  };
  jobs.events.on("job", onJob);
  jobs.events.on("thing", onThing);
  req.raw.on("close", stop);
  return reply;
}
