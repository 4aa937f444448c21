import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Principal } from "../../shared/acl.ts";
import { mayReadFleet } from "../../shared/acl.ts";
import { matchesThing } from "../../shared/glob.ts";
import { formatDuration } from "../../shared/telemetry-duration.ts";
import { parseTelemetryQuery, type RawQuery } from "../../shared/telemetry-query.ts";
import type { Retention } from "../../shared/telemetry-rollup.ts";
import { isValidThingName } from "../../shared/topics.ts";
import { sendProblem } from "../http/problem.ts";
import type { TelemetryService } from "./telemetry-service.ts";

/** Operators, viewers and anonymous (development) read all telemetry; devices and bridges their things'. */
export function mayReadTelemetry(p: Principal, thing: string): boolean {
  if (mayReadFleet(p)) return true;
  if (p.role === "device" || p.role === "bridge") return matchesThing(p.things, thing);
  return false;
}

/**
 * `GET /things/{thing}/telemetry?metric=&from=&to=&step=` and `GET /things/{thing}/telemetry/latest`
 * (documented in docs/telemetry.md).
 */
export function telemetryRoutes(
  app: FastifyInstance,
  principalOf: (req: FastifyRequest) => Principal,
  telemetry: TelemetryService,
  retention: Retention,
  now: () => number,
): void {
  const guard = (req: FastifyRequest<{ Params: { thing: string } }>, reply: FastifyReply): boolean => {
    const { thing } = req.params;
    if (!isValidThingName(thing)) {
      sendProblem(
        reply,
        400,
        `'${thing.slice(0, 140)}' is not a valid thing name ([a-zA-Z0-9:_-], 1-128 characters)`,
      );
      return false;
    }
    const p = principalOf(req);
    if (!mayReadTelemetry(p, thing)) {
      sendProblem(reply, 403, `${p.role} '${p.name}' may not read the telemetry of '${thing}'`);
      return false;
    }
    return true;
  };

  app.get<{ Params: { thing: string }; Querystring: RawQuery }>(
    "/things/:thing/telemetry",
    async (req, reply) => {
      if (!guard(req, reply)) return reply;
      const parsed = parseTelemetryQuery(req.query, now(), retention);
      if (!parsed.ok) return sendProblem(reply, 400, parsed.message);
      const q = parsed.query;
      return {
        thing: req.params.thing,
        from: q.from,
        to: q.to,
        step: q.step === 0 ? "raw" : formatDuration(q.step),
        tier: q.tier,
        series: telemetry.query(req.params.thing, q),
      };
    },
  );

  app.get<{ Params: { thing: string } }>("/things/:thing/telemetry/latest", async (req, reply) => {
    if (!guard(req, reply)) return reply;
    return { thing: req.params.thing, metrics: telemetry.latest(req.params.thing) };
  });
}
