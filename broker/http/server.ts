import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { ANONYMOUS, mayReadFleet, type Principal } from "../../shared/acl.ts";
import { renderShadow } from "../../shared/shadow-document.ts";
import { isReservedShadowName } from "../../shared/site-presence.ts";
import { CLASSIC_SHADOW, isValidThingName, type ShadowAddress } from "../../shared/topics.ts";
import type { NodeExtension } from "../extension.ts";
import type { ShadowChange, ShadowResult, ShadowService } from "../shadow/shadow-service.ts";
import type { ShadowStore } from "../shadow/shadow-store.ts";
import { type ConsoleDeps, consoleRoutes, isPublicConsolePath } from "./console-routes.ts";
import { openEventStream } from "./event-stream.ts";
import { sendProblem } from "./problem.ts";
import { authenticateRequest } from "./request-auth.ts";

export interface HttpDeps {
  service: ShadowService;
  store: ShadowStore;
  site: string;
  maxRequestBytes: number;
  /** Checks a bearer token; undefined means anonymous access (every request is ANONYMOUS). */
  authenticate?: (token: string) => Principal | undefined;
  /** Capabilities that add routes (telemetry queries, metrics, peers…). */
  extensions?: readonly NodeExtension[];
  /** The web console at `/`, its sign-in (session cookie) and identity routes (docs/console.md). */
  console?: ConsoleDeps;
}

interface ThingParams {
  thing: string;
}
interface ShadowQuery {
  name?: string;
}

const JSON_TYPES = /^(application\/json|text\/plain)(\s*;.*)?$/i;

const STREAM_RECHECK_MS = 5000;

/**
 * The HTTP API: the same documents and codes as MQTT (HTTP status = shadow code). Bodies are parsed by
 * the shadow service, not by Fastify, so a malformed body gets the same 400 document as on MQTT.
 */
export function buildHttpServer(deps: HttpDeps, tls?: { key: Buffer; cert: Buffer }): FastifyInstance {
  // maxParamLength: Fastify's default (100) answers 414 for valid thing names of 101-128 characters.
  const app = Fastify({
    ...(tls ? { https: { key: tls.key, cert: tls.cert } } : {}),
    logger: false,
    forceCloseConnections: true,
    bodyLimit: Math.max(deps.maxRequestBytes * 4, 1024 * 1024),
    routerOptions: { maxParamLength: 512 },
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (req, body, done) => {
    const type = req.headers["content-type"];
    // No route, no body to judge: the not-found handler answers 404 or 405, never 415.
    if (type && !JSON_TYPES.test(type) && req.routeOptions.url !== undefined) {
      done(
        Object.assign(new Error(`Unsupported content type '${type}'; send application/json`), {
          statusCode: 415,
        }),
      );
      return;
    }
    done(null, body);
  });
  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
    const code = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    sendProblem(reply, code, err.message);
  });
  // A path that exists with other methods is a 405 naming them (Allow), in the API's error shape.
  const routes: { methods: string[]; path: RegExp }[] = [];
  app.addHook("onRoute", (route) => {
    const methods = ([] as string[]).concat(route.method);
    const pattern = route.url.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/:[^/]+/g, "[^/]+");
    routes.push({ methods, path: new RegExp(`^${pattern}$`) });
  });
  app.setNotFoundHandler((req, reply) => {
    const url = req.url.split("?")[0] ?? "/";
    const allow = [...new Set(routes.filter((r) => r.path.test(url)).flatMap((r) => r.methods))];
    if (allow.length > 0) {
      reply.header("allow", allow.join(", "));
      return sendProblem(reply, 405, `${req.method} is not allowed here; use ${allow.join(", ")}`);
    }
    return sendProblem(reply, 404, `No such resource: ${req.method} ${url}`);
  });

  // Who is asking: a bearer token checked against the node's identities (401 without a valid one).
  const principals = new WeakMap<object, Principal>();
  const who = (req: FastifyRequest): Principal => principals.get(req) ?? ANONYMOUS;
  app.addHook("onRequest", async (req, reply) => {
    const path = req.url.split("?")[0] ?? "";
    if (!deps.authenticate || path === "/healthz" || isPublicConsolePath(req.method, path)) return;
    const auth = authenticateRequest(req, deps.authenticate, deps.console?.sessions);
    if (!auth.ok) {
      if (auth.challenge) reply.header("www-authenticate", 'Bearer realm="umbra"');
      return sendProblem(reply, auth.code, auth.message);
    }
    principals.set(req, auth.principal);
    streams.set(req, Date.now());
    req.raw.once("close", () => streams.delete(req));
  });
  // Long-lived answers (server-sent events: shadow watch, fleet, jobs, the console) outlive the check
  // above: every few seconds each request still open after that long is checked again, and one whose
  // token, session or identity was revoked since is ended, so revocation reaches open streams in seconds.
  const streams = new Map<FastifyRequest, number>();
  const recheck = setInterval(() => {
    if (!deps.authenticate) return;
    const now = Date.now();
    for (const [req, since] of streams) {
      if (now - since < STREAM_RECHECK_MS) continue; // an ordinary request, answered by now
      if (!authenticateRequest(req, deps.authenticate, deps.console?.sessions).ok) {
        streams.delete(req);
        req.raw.socket?.destroy();
      }
    }
  }, STREAM_RECHECK_MS);
  recheck.unref();
  app.addHook("onClose", async () => clearInterval(recheck));
  // `?name=` (empty) names no shadow: refused as MQTT refuses an empty name level, not read as the
  // classic shadow (issue 17).
  app.addHook("preHandler", async (req, reply) => {
    if ((req.query as { name?: unknown } | undefined)?.name === "")
      return sendProblem(
        reply,
        400,
        "Invalid shadow name: use 1-64 characters of [$a-zA-Z0-9:_-] (omit name for the classic shadow)",
      );
  });
  const forbidListing = (req: FastifyRequest, reply: FastifyReply) => {
    const role = who(req).role;
    if (mayReadFleet(who(req))) return false;
    sendProblem(reply, 403, `role ${role} may not list things`);
    return true;
  };

  const addrOf = (thing: string, q: ShadowQuery): ShadowAddress => ({
    thing,
    shadow: q.name ?? CLASSIC_SHADOW,
  });
  const send = (reply: FastifyReply, result: ShadowResult) =>
    result.ok ? reply.code(200).send(result.body) : reply.code(result.error.code).send(result.error);

  app.get("/healthz", async () => ({ status: "ok", site: deps.site }));

  app.get<{ Params: ThingParams; Querystring: ShadowQuery }>("/things/:thing/shadow", async (req, reply) =>
    send(reply, await deps.service.get(addrOf(req.params.thing, req.query), "", who(req))),
  );
  app.post<{ Params: ThingParams; Querystring: ShadowQuery }>("/things/:thing/shadow", async (req, reply) =>
    send(
      reply,
      await deps.service.update(
        addrOf(req.params.thing, req.query),
        (req.body as Buffer | undefined) ?? "",
        who(req),
      ),
    ),
  );
  app.delete<{ Params: ThingParams; Querystring: ShadowQuery }>("/things/:thing/shadow", async (req, reply) =>
    send(
      reply,
      await deps.service.delete(
        addrOf(req.params.thing, req.query),
        (req.body as Buffer | undefined) ?? "",
        who(req),
      ),
    ),
  );

  app.get<{ Querystring: { cursor?: string; limit?: string } }>("/things", async (req, reply) => {
    for (const ext of deps.extensions ?? []) {
      const answered = ext.thingQuery?.(req, reply, who(req));
      if (answered) return answered;
    }
    if (forbidListing(req, reply)) return reply;
    const limit = req.query.limit === undefined ? 100 : Number(req.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      return sendProblem(reply, 400, "limit must be an integer from 1 to 1000");
    }
    return deps.store.listThings(req.query.cursor ?? "", limit);
  });

  app.get<{ Params: ThingParams }>("/things/:thing/shadows", async (req, reply) => {
    if (forbidListing(req, reply)) return reply;
    if (!isValidThingName(req.params.thing)) return sendProblem(reply, 400, "Invalid thing name");
    const names = deps.store.listShadows(req.params.thing);
    return {
      thing: req.params.thing,
      classic: names.includes(CLASSIC_SHADOW),
      // The node's reserved shadows ($umbra-presence, $umbra-attributes) are readable but not listed.
      results: names.filter((n) => n !== CLASSIC_SHADOW && !isReservedShadowName(n)),
      timestamp: Math.floor(Date.now() / 1000),
    };
  });

  /** Server-sent events: the current document, then every change (what `umbra shadow watch` reads). */
  app.get<{ Params: ThingParams; Querystring: ShadowQuery }>(
    "/things/:thing/shadow/events",
    async (req, reply) => {
      const addr = addrOf(req.params.thing, req.query);
      // Listen before the first read, so a change committed while that read waits for its group commit
      // is held, not lost; a change no newer than what was sent is already in it (versions only grow).
      const early: ShadowChange[] = [];
      let forward = (change: ShadowChange) => void early.push(change);
      const onChange = (change: ShadowChange) => {
        if (change.addr.thing === addr.thing && change.addr.shadow === addr.shadow) forward(change);
      };
      deps.service.on("change", onChange);
      const first = await deps.service.get(addr, "", who(req));
      if (!first.ok && first.error.code !== 404) {
        deps.service.off("change", onChange);
        return send(reply, first);
      }
      // A client that left during the first read gets a stream that is already closed: cleaned up at once.
      const stream = openEventStream(reply);
      stream.onClose(() => deps.service.off("change", onChange));
      let sent = 0;
      if (first.ok) {
        stream.send("shadow", first.body);
        sent = first.body.version as number;
      }
      forward = (change) => {
        if (change.current.version <= sent) return;
        sent = change.current.version;
        if (change.kind === "delete")
          stream.send("deleted", { version: change.current.version, timestamp: change.timestamp });
        else stream.send("shadow", renderShadow(change.current, change.timestamp));
      };
      for (const change of early) forward(change);
    },
  );

  for (const ext of deps.extensions ?? []) ext.routes?.(app, who);
  if (deps.console) {
    const { authenticate, console: consoleDeps } = deps;
    consoleRoutes(app, consoleDeps, who, {
      site: deps.site,
      secure: tls !== undefined,
      verifyToken: authenticate,
    });
  }

  return app;
}
