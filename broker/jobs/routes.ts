import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Principal } from "../../shared/acl.ts";
import { parseClaimRequest } from "../../shared/jobs-claims.ts";
import { JobError } from "../../shared/jobs-spec.ts";
import type { JsonValue } from "../../shared/json.ts";
import type { ClaimRegistry } from "./claim-registry.ts";
import { type JobService, mayRead, mayWrite } from "./job-service.ts";
import { streamJob } from "./job-stream.ts";

const now = () => Math.floor(Date.now() / 1000);

/** Jobs' and claims' errors as `{code, error, message, timestamp}`; anything else is a bug (500). */
function answer(reply: FastifyReply, run: () => unknown): unknown {
  try {
    return run();
  } catch (err) {
    if (!(err instanceof JobError)) throw err;
    return reply
      .code(err.status)
      .send({ code: err.status, error: err.code, message: err.message, timestamp: now() });
  }
}

function jsonBody(body: unknown): JsonValue {
  const text = Buffer.isBuffer(body) ? body.toString("utf8") : typeof body === "string" ? body : "";
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    throw new JobError(400, "invalid_json", "the body must be JSON");
  }
}

type Id = { Params: { id: string } };

/** HTTP routes of jobs and claims (docs/jobs.md "API"). */
export function jobRoutes(
  jobs: JobService,
  claims: ClaimRegistry,
  app: FastifyInstance,
  who: (req: FastifyRequest) => Principal,
): void {
  app.post("/jobs/dry-run", async (req, reply) =>
    answer(reply, () => jobs.dryRun(jsonBody(req.body), who(req))),
  );
  app.post("/jobs", async (req, reply) =>
    answer(reply, () => reply.code(201).send(jobs.create(jsonBody(req.body), who(req)))),
  );
  app.get("/jobs", async (req, reply) => answer(reply, () => ({ jobs: jobs.list(who(req)) })));
  app.get<Id>("/jobs/:id", async (req, reply) =>
    answer(reply, () =>
      jobs.get(req.params.id, who(req), (req.query as { things?: string }).things !== "false"),
    ),
  );
  for (const action of ["pause", "resume", "cancel"] as const) {
    app.post<Id>(`/jobs/:id/${action}`, async (req, reply) =>
      answer(reply, () => jobs.control(req.params.id, action, who(req))),
    );
  }
  app.get<Id>("/jobs/:id/stream", async (req, reply) =>
    answer(reply, () => {
      const first = jobs.get(req.params.id, who(req), true);
      return streamJob(jobs, req.params.id, first, reply);
    }),
  );

  app.post("/claims", async (req, reply) =>
    answer(reply, () => {
      const p = who(req);
      mayWrite(p);
      const created = claims.create(parseClaimRequest(jsonBody(req.body), now()), p.name);
      return reply.code(201).send({ ...created.claim, overlaps: created.overlaps });
    }),
  );
  app.get("/claims", async (req, reply) =>
    answer(reply, () => {
      mayRead(who(req));
      return { claims: claims.list((req.query as { all?: string }).all === "true") };
    }),
  );
  app.delete<Id>("/claims/:id", async (req, reply) =>
    answer(reply, () => {
      const p = who(req);
      mayWrite(p);
      return claims.release(req.params.id, p);
    }),
  );
}
