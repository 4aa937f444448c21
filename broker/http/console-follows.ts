import { randomBytes } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Principal } from "../../shared/acl.ts";
import { JobError } from "../../shared/jobs-spec.ts";
import { QueryError } from "../../shared/query/index.ts";
import type { EventStream } from "./event-stream.ts";
import { problemBody, sendProblem } from "./problem.ts";

/** Starts following on a stream (sending events on it until it closes); answers what to reply. */
export type Follower = (stream: EventStream) => unknown;

/** What a console stream can follow; each throws (QueryError, JobError) before following. */
export interface FollowSources {
  /** A fleet query: `match` `{key, thing, record}` and `unmatch` `{key, thing}` (GET /things/stream's). */
  followQuery?: (q: string) => Follower;
  /** A job: `job`, `thing`, `end` with `key` (GET /jobs/{id}/stream's). */
  followJob?: (id: string, who: Principal) => Follower;
}

/**
 * Follows one console stream may hold at once: a page holds one or two (fleet rows, inventory, a
 * job), and the stream is shared by the tabs of a browser; past this a new follow ends the oldest
 * (one a tab left behind when it closed without saying so).
 */
export const MAX_FOLLOWS = 64;
const KEY = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * The console's one event stream per tab (`GET /console/api/events`) and what each page asked it to
 * follow besides the node-wide summaries: a browser allows 6 connections per host for all its tabs,
 * so a page must not open a stream of its own (docs/console.md). Each stream gets an id (sent in
 * `hello`); `PUT /console/api/events/{id}/follows/{key}` starts a follow whose events go down that
 * stream tagged with `key`, replacing the follow of that key; `DELETE` stops it; all end with the stream.
 */
export class ConsoleStreams {
  private readonly streams = new Map<
    string,
    { owner: string; stream: EventStream; follows: Map<string, Sub> }
  >();

  /** Registers an open stream of `owner` (a principal's name); returns its id. */
  add(owner: string, stream: EventStream): string {
    const id = randomBytes(16).toString("base64url");
    const entry = { owner, stream, follows: new Map<string, Sub>() };
    this.streams.set(id, entry);
    stream.onClose(() => {
      this.streams.delete(id);
      for (const sub of entry.follows.values()) sub.close();
    });
    return id;
  }

  /**
   * Follows `follower` on stream `id` under `key`. An unknown stream, or one of another principal, is
   * `missing` (404: the page reconnected meanwhile); a bad key is `refused` (400).
   */
  follow(
    id: string,
    owner: string,
    key: string,
    follower: Follower,
  ): { ok: true; answer: unknown } | { ok: false; error: "missing" | "refused"; message: string } {
    const entry = this.streams.get(id);
    if (!entry || entry.owner !== owner || entry.stream.closed)
      return { ok: false, error: "missing", message: `No open event stream '${id}' of yours` };
    if (!KEY.test(key))
      return { ok: false, error: "refused", message: "A follow key is 1-64 letters, digits, _ . : -" };
    entry.follows.get(key)?.close();
    entry.follows.delete(key);
    for (const [old, sub] of entry.follows) {
      if (entry.follows.size < MAX_FOLLOWS) break;
      sub.close();
      entry.follows.delete(old);
    }
    const sub = new Sub(entry.stream, key);
    entry.follows.set(key, sub);
    return { ok: true, answer: follower(sub) };
  }

  /** Stops the follow `key` of stream `id` (nothing if there is none). */
  unfollow(id: string, owner: string, key: string): void {
    const entry = this.streams.get(id);
    if (!entry || entry.owner !== owner) return;
    entry.follows.get(key)?.close();
    entry.follows.delete(key);
  }
}

/** One follow as a stream of its own: its events go down the console stream with `key` added. */
class Sub implements EventStream {
  private readonly cleanups: (() => void)[] = [];
  private over = false;

  constructor(
    private readonly outer: EventStream,
    private readonly key: string,
  ) {}

  send(event: string, data: unknown): void {
    if (!this.closed) this.outer.send(event, { key: this.key, ...(data as object) });
  }

  end(event?: string, data?: unknown): void {
    if (event !== undefined) this.send(event, data);
    this.close();
  }

  onClose(cleanup: () => void): void {
    if (this.over) cleanup();
    else this.cleanups.push(cleanup);
  }

  get closed(): boolean {
    return this.over || this.outer.closed;
  }

  close(): void {
    if (this.over) return;
    this.over = true;
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }
}

type FollowReq = { Params: { stream: string; key: string } };

/**
 * `PUT /console/api/events/{stream}/follows/{key}` with `{q}` (a fleet query) or `{job}` (a job id):
 * the stream also carries that follow's events, each with `key`; `DELETE` stops it. 404 for a stream
 * that is not (or no longer) the caller's: the page sets its follows again on the next `hello`.
 */
export function consoleFollowRoutes(
  app: FastifyInstance,
  streams: ConsoleStreams,
  sources: FollowSources,
  reader: (req: FastifyRequest, reply: FastifyReply) => Principal | undefined,
): void {
  app.put<FollowReq>("/console/api/events/:stream/follows/:key", async (req, reply) => {
    const p = reader(req, reply);
    if (!p) return reply;
    let body: { q?: unknown; job?: unknown };
    try {
      body = JSON.parse(String(req.body ?? "")) ?? {};
    } catch {
      return sendProblem(reply, 400, "Send JSON: {q: fleet query} or {job: job id}");
    }
    const { q, job } = body;
    let follower: Follower;
    try {
      if (typeof q === "string" && sources.followQuery) follower = sources.followQuery(q);
      else if (typeof job === "string" && sources.followJob) follower = sources.followJob(job, p);
      else return sendProblem(reply, 400, "Body must be {q: fleet query} or {job: job id}");
    } catch (err) {
      if (err instanceof QueryError)
        return reply.code(400).send({
          ...problemBody(400, err.message),
          error: err.code,
          position: err.position,
          problem: err.problem,
        });
      if (err instanceof JobError)
        return reply.code(err.status).send({ ...problemBody(err.status, err.message), error: err.code });
      throw err;
    }
    const r = streams.follow(req.params.stream, p.name, req.params.key, follower);
    if (!r.ok) return sendProblem(reply, r.error === "missing" ? 404 : 400, r.message);
    return { following: r.answer };
  });
  app.delete<FollowReq>("/console/api/events/:stream/follows/:key", async (req, reply) => {
    const p = reader(req, reply);
    if (!p) return reply;
    streams.unfollow(req.params.stream, p.name, req.params.key);
    return reply.code(204).send();
  });
}
