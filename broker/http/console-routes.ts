import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { extname, join, resolve } from "node:path";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Principal } from "../../shared/acl.ts";
import type { IdentityStore } from "../auth/identity-store.ts";
import { type ConsoleApiDeps, consoleApiRoutes } from "./console-api.ts";
import { identityRoutes } from "./identity-routes.ts";
import { type SessionDeps, sessionRoutes } from "./session-routes.ts";

/** The built console (`npm run build:console`), committed so `npm start` serves it with no build step. */
export const CONSOLE_DIST = resolve(import.meta.dirname, "../../console/dist");

/** What the console needs from the node beyond the HTTP API's own dependencies. */
export interface ConsoleDeps extends ConsoleApiDeps, Omit<SessionDeps, "verifyToken"> {
  identities: IdentityStore;
  /** MQTT listeners for the "ready mosquitto_pub line" (`mqtt` → port, `mqtts` → port). */
  mqttPorts: { mqtt?: number; mqtts?: number };
  /** Where the built assets are (tests may point elsewhere). */
  distDir?: string;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

/** Everything from this node, nothing from elsewhere: the console works on an offline site. */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  if (!existsSync(dir)) return assets;
  for (const file of readdirSync(dir)) {
    const type = TYPES[extname(file)];
    if (!type) continue;
    const body = readFileSync(join(dir, file));
    const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 16)}"`;
    assets.set(file, { body, type, etag });
  }
  return assets;
}

/** Paths served without credentials: the page and its assets (the sign-in form is part of them). */
export function isPublicConsolePath(method: string, path: string): boolean {
  if (method === "POST" && path === "/session") return true;
  if (method !== "GET" && method !== "HEAD") return false;
  return path === "/" || (path.startsWith("/console/") && !path.startsWith("/console/api/"));
}

/**
 * The web console: `GET /` and `GET /console/{asset}` (public: static files only), the sign-in routes,
 * identities over HTTP and the console's fleet reads. docs/console.md.
 */
export function consoleRoutes(
  app: FastifyInstance,
  deps: ConsoleDeps,
  principalOf: (req: FastifyRequest) => Principal,
  opts: {
    site: string;
    secure: boolean;
    verifyToken?: (token: string) => Principal | undefined;
  },
): void {
  const assets = loadAssets(deps.distDir ?? CONSOLE_DIST);
  const serve = (file: string) => async (req: FastifyRequest, reply: import("fastify").FastifyReply) => {
    const asset = assets.get(file);
    if (!asset) {
      return reply.code(file === "index.html" ? 503 : 404).send({
        code: file === "index.html" ? 503 : 404,
        message:
          file === "index.html" ? "console not built: run `npm run build:console`" : "no such console asset",
      });
    }
    reply
      .header("content-type", asset.type)
      .header("etag", asset.etag)
      .header("cache-control", "no-cache")
      .header("x-content-type-options", "nosniff")
      .header("referrer-policy", "no-referrer");
    if (file === "index.html") reply.header("content-security-policy", CSP).header("x-frame-options", "DENY");
    if (req.headers["if-none-match"] === asset.etag) return reply.code(304).send();
    return reply.send(asset.body);
  };

  app.get("/", serve("index.html"));
  app.get<{ Params: { file: string } }>("/console/:file", (req, reply) => serve(req.params.file)(req, reply));
  sessionRoutes(app, { ...deps, verifyToken: opts.verifyToken }, principalOf, opts.secure);
  identityRoutes(app, deps.identities, principalOf);
  consoleApiRoutes(app, deps, principalOf);
  app.get("/console/api/node", async (req) => ({
    site: opts.site,
    mqtt: deps.mqttPorts,
    who: { name: principalOf(req).name, role: principalOf(req).role },
  }));
}

/** The MQTT ports the console shows in its ready-made mosquitto_pub line. */
export function mqttPortsOf(urls: Record<string, string>): { mqtt?: number; mqtts?: number } {
  const port = (url: string | undefined) => (url ? Number(new URL(url).port) : undefined);
  const out: { mqtt?: number; mqtts?: number } = {};
  const mqtt = port(urls.mqtt);
  const mqtts = port(urls.mqtts);
  if (mqtt !== undefined) out.mqtt = mqtt;
  if (mqtts !== undefined) out.mqtts = mqtts;
  return out;
}
