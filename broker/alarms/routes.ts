import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Principal } from "../../shared/acl.ts";
import { mayOperate, mayReadFleet } from "../../shared/acl.ts";
import {
  type Alarm,
  AlarmTransitionError,
  acknowledge,
  clear,
  isOpen,
  shelve,
} from "../../shared/alarms-lifecycle.ts";
import { matchesThing } from "../../shared/glob.ts";
import { parseDuration } from "../../shared/telemetry-duration.ts";
import type { AlarmService } from "./alarm-service.ts";

type Q = Record<string, string | undefined>;
type IdParams = { system: string; rule: string; thing: string };

const seconds = () => Math.floor(Date.now() / 1000);
const fail = (reply: FastifyReply, code: number, error: string, message: string) =>
  reply.code(code).send({ code, error, message, timestamp: seconds() });

/** The body of a POST as an object (empty and non-JSON bodies are `{}` / refused). */
function bodyOf(req: FastifyRequest): Record<string, unknown> | null {
  const raw = req.body;
  if (raw === undefined || raw === null || raw === "") return {};
  if (typeof raw === "object" && !Buffer.isBuffer(raw)) return raw as Record<string, unknown>;
  const text = Buffer.isBuffer(raw) ? raw.toString("utf8") : String(raw);
  if (text.trim() === "") return {};
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** HTTP API of the alarms capability (docs/alarms.md): list, act on, review, rules, counts. */
export function alarmRoutes(
  app: FastifyInstance,
  who: (req: FastifyRequest) => Principal,
  svc: AlarmService,
): void {
  const readable = (req: FastifyRequest, reply: FastifyReply): Principal | undefined => {
    const p = who(req);
    if (mayReadFleet(p)) return p;
    fail(reply, 403, "ALARM_FORBIDDEN", `role ${p.role} may not read alarms`);
    return undefined;
  };
  const visible = (p: Principal) => (a: Alarm) => matchesThing(p.things, a.thing);

  app.get("/alarms", async (req, reply) => {
    const p = readable(req, reply);
    if (!p) return reply;
    const q = req.query as Q;
    if (q.state !== undefined && !["open", "raised", "acknowledged", "cleared", "all"].includes(q.state))
      return fail(reply, 400, "ALARM_BAD_QUERY", "state is one of open, raised, acknowledged, cleared, all");
    const state = q.state ?? "open";
    const results = [...svc.store.all()]
      .filter(visible(p))
      .filter((a) => (state === "all" ? true : state === "open" ? isOpen(a) : a.state === state))
      .filter((a) => q.system === undefined || a.system === q.system)
      .filter((a) => q.thing === undefined || a.thing === q.thing)
      .sort((a, b) => b.raisedAt - a.raisedAt);
    return { results, timestamp: seconds() };
  });

  app.get("/alarms/rules", async (req, reply) => {
    if (!readable(req, reply)) return reply;
    const s = svc.rulesSnapshot();
    return {
      dir: svc.rulesDir ?? null,
      files: s.files,
      rules: s.rules.map(({ things: _t, ...r }) => r),
      problems: s.problems,
    };
  });

  app.get("/alarms/counts", async (req, reply) => {
    if (!readable(req, reply)) return reply;
    const system = (req.query as Q).system;
    if (system === undefined) return fail(reply, 400, "ALARM_BAD_QUERY", "system is required");
    return { system, ...svc.counts(system) };
  });

  const act =
    (name: string, run: (a: Alarm, p: Principal, req: FastifyRequest) => ReturnType<typeof acknowledge>) =>
    async (req: FastifyRequest<{ Params: IdParams }>, reply: FastifyReply) => {
      const p = who(req);
      if (!mayOperate(p)) return fail(reply, 403, "ALARM_FORBIDDEN", `role ${p.role} may not ${name} alarms`);
      const { system, rule, thing } = req.params;
      const a = svc.store.get(`${system}/${rule}/${thing}`);
      if (!a || !matchesThing(p.things, a.thing))
        return fail(reply, 404, "ALARM_NOT_FOUND", `no alarm ${system}/${rule}/${thing}`);
      if (a.site !== svc.site)
        return fail(reply, 409, "ALARM_REMOTE", `alarm ${a.id} belongs to site ${a.site}; act on it there`);
      try {
        return svc.apply(run(a, p, req), name === "clear" ? a.id : undefined);
      } catch (err) {
        if (err instanceof AlarmTransitionError)
          return fail(reply, err.code === "ALARM_BAD_SHELVE" ? 400 : 409, err.code, err.message);
        throw err;
      }
    };

  app.post<{ Params: IdParams }>(
    "/alarms/:system/:rule/:thing/ack",
    act("acknowledge", (a, p) => acknowledge(a, p.name, Date.now())),
  );
  app.post<{ Params: IdParams }>(
    "/alarms/:system/:rule/:thing/clear",
    act("clear", (a, p) => clear(a, Date.now(), p.name)),
  );
  app.post<{ Params: IdParams }>(
    "/alarms/:system/:rule/:thing/shelve",
    act("shelve", (a, p, req) => {
      const body = bodyOf(req);
      const text = (req.query as Q).for ?? (typeof body?.for === "string" ? body.for : undefined);
      if (text === undefined || (text !== "0" && parseDuration(text) === null))
        throw new AlarmTransitionError(
          "ALARM_BAD_SHELVE",
          "shelve needs for: a duration like 30m or 2h (0 unshelves)",
        );
      const now = Date.now();
      return shelve(a, text === "0" ? now : now + (parseDuration(text) as number), p.name, now);
    }),
  );

  app.get<{ Params: { name: string } }>("/systems/:name/review", async (req, reply) => {
    if (!readable(req, reply)) return reply;
    const text = (req.query as Q).since ?? "7d";
    const ms = parseDuration(text);
    if (ms === null) return fail(reply, 400, "ALARM_BAD_QUERY", "since is a duration like 24h or 7d");
    if (!svc.fleet.systemExists(req.params.name))
      return fail(reply, 404, "ALARM_NO_SYSTEM", `No system named '${req.params.name}'`);
    return svc.review(req.params.name, Date.now() - ms);
  });
}
