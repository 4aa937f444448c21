import { DriverError } from "../types.ts";
import type { RedfishHttp, RedfishRequest, RedfishResponse } from "./redfish-http.ts";

/**
 * Authentication for one Redfish service. Sessions are the default because BMCs are slow at Basic
 * auth (every request re-checks the password, often against PAM/LDAP) and some rate-limit it; a
 * session token is checked in memory. A 401 on a request means the session expired or the BMC
 * rebooted: log in again once and retry. `close()` deletes the session, because BMCs keep only a
 * handful of sessions and a bridge that leaks them locks operators out.
 */

export interface RedfishCredentials {
  username?: string;
  password?: string;
  /** `session` (default) or `basic`; without a username no credentials are sent. */
  auth?: "session" | "basic";
}

/** Where the standard puts the session collection when the service root does not link it. */
const DEFAULT_SESSIONS = "/redfish/v1/SessionService/Sessions";

export class RedfishSession {
  private token: string | undefined;
  /** Path of our session resource, for DELETE on close. */
  private sessionPath: string | undefined;
  /** Number of logins so far (re-logins after expiry included). */
  logins = 0;

  constructor(
    private readonly http: RedfishHttp,
    private readonly creds: RedfishCredentials,
  ) {}

  /** Sends with credentials; a 401 with a session triggers one re-login and retry. */
  async send(req: RedfishRequest): Promise<RedfishResponse> {
    if (!this.creds.username) return this.http.send(req);
    if (this.creds.auth === "basic") {
      return this.http.send({ ...req, headers: { ...req.headers, authorization: this.basic() } });
    }
    if (this.token === undefined) await this.login();
    const res = await this.http.send(this.withToken(req));
    if (res.status !== 401) return res;
    this.token = undefined;
    await this.login();
    return this.http.send(this.withToken(req));
  }

  /** Deletes the session (best effort: the BMC may already be gone). */
  async close(): Promise<void> {
    const path = this.sessionPath;
    const token = this.token;
    this.token = undefined;
    this.sessionPath = undefined;
    if (path === undefined || token === undefined) return;
    await this.http
      .send({ method: "DELETE", path, headers: { "x-auth-token": token } })
      .catch(() => undefined);
  }

  private withToken(req: RedfishRequest): RedfishRequest {
    return { ...req, headers: { ...req.headers, "x-auth-token": this.token ?? "" } };
  }

  private basic(): string {
    const pair = `${this.creds.username ?? ""}:${this.creds.password ?? ""}`;
    return `Basic ${Buffer.from(pair).toString("base64")}`;
  }

  private async login(): Promise<void> {
    const collection = await this.sessionsPath();
    const res = await this.http.send({
      method: "POST",
      path: collection,
      body: { UserName: this.creds.username, Password: this.creds.password ?? "" },
    });
    if (res.status === 401 || res.status === 403) {
      throw new DriverError(
        "refused",
        `Redfish login as "${this.creds.username}" at ${this.http.origin.host} rejected (HTTP ${res.status}); ` +
          "check the device's username and password",
      );
    }
    const token = header(res, "x-auth-token");
    if (res.status < 200 || res.status > 299 || token === undefined) {
      throw new DriverError(
        "refused",
        `Redfish login at ${this.http.origin.host}${collection} failed (HTTP ${res.status}` +
          `${token === undefined ? ", no X-Auth-Token" : ""}); set auth: basic if the BMC has no sessions`,
      );
    }
    this.token = token;
    const location = header(res, "location");
    this.sessionPath = location === undefined ? undefined : new URL(location, this.http.origin).pathname;
    this.logins += 1;
  }

  /** The session collection from the service root's `Links.Sessions` (unauthenticated per DSP0266). */
  private async sessionsPath(): Promise<string> {
    const root = await this.http.send({ method: "GET", path: "/redfish/v1" });
    const links = (root.body as { Links?: { Sessions?: { "@odata.id"?: unknown } } } | undefined)?.Links;
    const id = links?.Sessions?.["@odata.id"];
    return typeof id === "string" && id.startsWith("/") ? id : DEFAULT_SESSIONS;
  }
}

function header(res: RedfishResponse, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
