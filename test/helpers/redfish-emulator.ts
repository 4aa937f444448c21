import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import type { CertFiles } from "./certs.ts";
import {
  type EmulatorState,
  error,
  RESET_TYPES,
  redfishResources,
  session,
} from "./redfish-emulator-resources.ts";

/**
 * A small Redfish service (DMTF DSP0266 / schema 2023.x shapes) for driver tests: ServiceRoot,
 * Systems/1 (PowerState, #ComputerSystem.Reset), Chassis/1 with Power and Thermal, SessionService
 * with sessions (POST → 201 + X-Auth-Token + Location, DELETE), Basic auth, 401 otherwise, and an
 * ETag on Systems/1 that a PATCH must send back in If-Match (as iLO requires). It listens on 127.0.0.1
 * over TLS with a test certificate. Knobs let a test expire sessions, drop connections, read counters.
 */

export interface RedfishEmulatorOptions {
  tls: CertFiles;
  username?: string;
  password?: string;
  /** Initial PowerState. */
  powerState?: "On" | "Off";
}

export interface RedfishEmulator {
  url: string;
  port: number;
  state: EmulatorState;
  /** Counters: logins (POST Sessions), deletes (DELETE session), 401s sent. */
  counts: { logins: number; deletes: number; unauthorized: number };
  /** Number of live sessions. */
  sessions(): number;
  /** Forgets every session token, like a BMC whose sessions timed out. */
  expireSessions(): void;
  /** Closes every open connection (kept-alive ones included), like a BMC web server restart. */
  dropConnections(): void;
  /** The next request that arrives on a reused connection finds it closed instead of answered. */
  resetNextReusedRequest(): void;
  close(): Promise<void>;
}

export async function startRedfishEmulator(opts: RedfishEmulatorOptions): Promise<RedfishEmulator> {
  const username = opts.username ?? "admin";
  const password = opts.password ?? "password";
  const tokens = new Map<string, string>(); // token → session id
  const state: RedfishEmulator["state"] = {
    powerState: opts.powerState ?? "On",
    watts: 212,
    temps: [41, 38],
    assetTag: "",
    resets: [],
  };
  const counts = { logins: 0, deletes: 0, unauthorized: 0 };
  const served = new WeakMap<object, number>(); // requests per connection
  let resetReused = false;
  let version = 1; // of Systems/1, for its ETag
  const systemEtag = () => `W/"${version}"`;

  const resources = () => redfishResources(state, [...tokens.values()]);

  const authorized = (req: IncomingMessage): boolean => {
    const token = req.headers["x-auth-token"];
    if (typeof token === "string" && tokens.has(token)) return true;
    const basic = req.headers.authorization;
    if (typeof basic === "string" && basic.startsWith("Basic ")) {
      return Buffer.from(basic.slice(6), "base64").toString() === `${username}:${password}`;
    }
    return false;
  };

  const handle = (req: IncomingMessage, res: ServerResponse, body: unknown) => {
    const path = (req.url ?? "/").split("?")[0]?.replace(/\/+$/, "") || "/";
    const sessions = "/redfish/v1/SessionService/Sessions";
    // DSP0266 §13.3.1: the service root and the session login are reachable without credentials.
    if (req.method === "GET" && (path === "/redfish/v1" || path === "/redfish")) {
      return send(res, 200, path === "/redfish" ? { v1: "/redfish/v1/" } : resources()["/redfish/v1"]);
    }
    if (req.method === "POST" && path === sessions) {
      const b = body as { UserName?: unknown; Password?: unknown } | undefined;
      if (b?.UserName !== username || b?.Password !== password) {
        counts.unauthorized += 1;
        return send(res, 401, error("Base.1.15.0.NoValidSession", "Invalid username or password."));
      }
      const id = randomBytes(4).toString("hex");
      const token = randomBytes(16).toString("hex");
      tokens.set(token, id);
      counts.logins += 1;
      res.setHeader("X-Auth-Token", token);
      res.setHeader("Location", `${sessions}/${id}`);
      return send(res, 201, session(id, username));
    }
    if (!authorized(req)) {
      counts.unauthorized += 1;
      res.setHeader("WWW-Authenticate", 'Basic realm="Redfish"');
      return send(res, 401, error("Base.1.15.0.NoValidSession", "No valid session or credentials."));
    }
    if (req.method === "DELETE" && path.startsWith(`${sessions}/`)) {
      const id = path.slice(sessions.length + 1);
      const entry = [...tokens].find(([, sid]) => sid === id);
      if (!entry) return send(res, 404, error("Base.1.15.0.ResourceMissingAtURI", "No such session."));
      tokens.delete(entry[0]);
      counts.deletes += 1;
      return send(res, 204, undefined);
    }
    if (req.method === "POST" && path === "/redfish/v1/Systems/1/Actions/ComputerSystem.Reset") {
      const type = (body as { ResetType?: unknown } | undefined)?.ResetType;
      if (typeof type !== "string" || !RESET_TYPES.includes(type)) {
        return send(res, 400, error("Base.1.15.0.ActionParameterValueNotInList", `Bad ResetType ${type}.`));
      }
      state.resets.push(type);
      state.powerState = type === "ForceOff" || type === "GracefulShutdown" ? "Off" : "On";
      version += 1;
      return send(res, 204, undefined);
    }
    if (req.method === "PATCH" && path === "/redfish/v1/Systems/1") {
      // Like iLO: PATCH needs the current ETag (DSP0266 §9.5), 428 without, 412 when stale.
      const ifMatch = req.headers["if-match"];
      if (ifMatch === undefined) {
        return send(res, 428, error("Base.1.15.0.PreconditionRequired", "If-Match header required."));
      }
      if (ifMatch !== systemEtag()) {
        return send(res, 412, error("Base.1.15.0.PreconditionFailed", "ETag does not match."));
      }
      const tag = (body as { AssetTag?: unknown } | undefined)?.AssetTag;
      if (typeof tag !== "string") {
        return send(res, 400, error("Base.1.15.0.PropertyNotWritable", "Only AssetTag is writable."));
      }
      state.assetTag = tag;
      version += 1;
      return send(res, 200, resources()[path]);
    }
    const resource = resources()[path];
    if (req.method === "GET" && path === "/redfish/v1/Systems/1") res.setHeader("ETag", systemEtag());
    if (req.method === "GET" && resource) return send(res, 200, resource);
    if (resource)
      return send(res, 405, error("Base.1.15.0.OperationNotAllowed", `${req.method} not allowed.`));
    return send(res, 404, error("Base.1.15.0.ResourceMissingAtURI", `${path} not found.`));
  };

  const server: Server = createServer(
    { cert: readFileSync(opts.tls.cert), key: readFileSync(opts.tls.key) },
    (req, res) => {
      const n = (served.get(req.socket) ?? 0) + 1;
      served.set(req.socket, n);
      if (resetReused && n > 1) {
        resetReused = false;
        req.socket.destroy(); // the client sees "socket hang up" (ECONNRESET)
        return;
      }
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const text = Buffer.concat(chunks).toString();
        let body: unknown;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          return send(res, 400, error("Base.1.15.0.MalformedJSON", "Malformed JSON."));
        }
        handle(req, res, body);
      });
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    state,
    counts,
    sessions: () => tokens.size,
    expireSessions: () => tokens.clear(),
    dropConnections: () => server.closeAllConnections(),
    resetNextReusedRequest: () => {
      resetReused = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.setHeader("OData-Version", "4.0");
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json;charset=utf-8" }).end(text);
}
