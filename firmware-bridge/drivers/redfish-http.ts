import { readFileSync } from "node:fs";
import { Agent, request } from "node:https";
import { DriverError } from "../types.ts";

/**
 * A minimal HTTPS JSON client for one Redfish service. It uses node:https rather than the global
 * `fetch` because a per-device CA or `insecure` needs an undici `Agent` as `dispatcher`, and undici is
 * not a declared dependency (Node 20 bundles it but does not export it). One keep-alive agent per
 * device keeps one TLS connection to the BMC between polls.
 */

export interface RedfishTls {
  /** PEM text, or a path to a PEM file, of the CA(s) that signed the BMC's certificate. */
  ca?: string;
  /** Accept any certificate (self-signed BMCs without a CA). Opt-in per device only. */
  insecure?: boolean;
}

export interface RedfishResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body, or undefined for an empty body (204) or a non-JSON body. */
  body: unknown;
}

export interface RedfishRequest {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  /** Absolute path on the service, e.g. `/redfish/v1/Systems/1`. */
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
}

/** Largest response body accepted: Redfish resources are small; a huge body means a wrong URL. */
const MAX_BODY = 4 * 1024 * 1024;

/** TLS error codes that mean "the BMC answered but its certificate is not the one we trust". */
const CERT_ERRORS = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_GET_ISSUER_CERT",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

export class RedfishHttp {
  readonly origin: URL;
  private readonly agent: Agent;

  constructor(
    address: string,
    tls: RedfishTls,
    private readonly timeoutMs: number,
  ) {
    this.origin = parseOrigin(address);
    this.agent = new Agent({
      keepAlive: true,
      maxSockets: 1,
      ca: tls.ca === undefined ? undefined : loadCa(tls.ca),
      rejectUnauthorized: tls.insecure !== true,
    });
  }

  /** One request; network failures and timeouts throw `unreachable`, certificate problems `refused`. */
  async send(req: RedfishRequest): Promise<RedfishResponse> {
    try {
      return await this.attempt(req, true);
    } catch (err) {
      // The BMC closed the idle keep-alive connection just as we reused it: the request never reached
      // it, so sending it again on a fresh connection is safe (the pattern Node's http docs give).
      if (err instanceof StaleSocket) return this.attempt(req, false);
      throw err;
    }
  }

  private attempt(req: RedfishRequest, mayRetry: boolean): Promise<RedfishResponse> {
    const payload = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
    const where = `${req.method} ${this.origin.host}${req.path}`;
    return new Promise((resolve, reject) => {
      // A whole-request deadline, not the socket idle timeout: a BMC that trickles bytes is still stuck.
      const timer = setTimeout(
        () => r.destroy(new TimeoutError(`no answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      const fail = (err: Error) => {
        clearTimeout(timer);
        const stale = mayRetry && r.reusedSocket && (err as { code?: string }).code === "ECONNRESET";
        reject(stale ? new StaleSocket() : classify(err, where));
      };
      const r = request(
        {
          agent: this.agent,
          protocol: "https:",
          hostname: this.origin.hostname.replace(/^\[|\]$/g, ""), // IPv6 literals come bracketed
          port: this.origin.port || 443,
          method: req.method,
          path: req.path,
          headers: {
            accept: "application/json",
            "odata-version": "4.0",
            ...(payload ? { "content-type": "application/json", "content-length": payload.length } : {}),
            ...req.headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on("data", (c: Buffer) => {
            size += c.length;
            if (size > MAX_BODY) {
              res.destroy(new Error(`response body larger than ${MAX_BODY} bytes`));
              return;
            }
            chunks.push(c);
          });
          res.on("error", fail);
          res.on("end", () => {
            clearTimeout(timer);
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parseBody(chunks) });
          });
        },
      );
      r.on("error", fail);
      r.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

class TimeoutError extends Error {}
class StaleSocket extends Error {}

function classify(err: Error, where: string): DriverError {
  const code = (err as { code?: string }).code ?? "";
  if (CERT_ERRORS.has(code)) {
    return new DriverError(
      "refused",
      `${where}: TLS certificate not trusted (${code}); set the device's \`ca\` option to the PEM of the CA ` +
        "that signed the BMC certificate, or `insecure: true` to accept any certificate",
      { cause: err },
    );
  }
  const what = err instanceof TimeoutError ? err.message : code || err.message;
  return new DriverError("unreachable", `${where}: ${what}`, { cause: err });
}

function parseBody(chunks: Buffer[]): unknown {
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `host`, `host:port` or `https://host[:port]` → the service origin (https only: Redfish requires TLS). */
export function parseOrigin(address: string): URL {
  const withScheme = /^[a-z]+:\/\//i.test(address) ? address : `https://${address}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new DriverError("refused", `Redfish address "${address}" is not host[:port] or an https:// URL`);
  }
  if (url.protocol !== "https:") {
    throw new DriverError("refused", `Redfish address "${address}" must use https (Redfish requires TLS)`);
  }
  return url;
}

/** The `ca` option is PEM text when it holds a PEM header, otherwise a file path. */
function loadCa(ca: string): string {
  if (ca.includes("-----BEGIN")) {
    if (ca.includes("-----END")) return ca;
    // bridge.yaml's `{file: …}` secret reference reads one line: a PEM needs the plain path instead.
    throw new DriverError(
      "refused",
      "Redfish option ca holds an incomplete PEM; give the CA file's path as a string",
    );
  }
  try {
    return readFileSync(ca, "utf8");
  } catch (err) {
    throw new DriverError(
      "refused",
      `Redfish option ca: cannot read CA file ${ca}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}
