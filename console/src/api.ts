/** The node's HTTP API as the console calls it: same-origin, session cookie, CSRF header on writes. */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
  }
}

let csrf: string | undefined;
let onSignedOut: () => void = () => {};

/** The CSRF token of the current session (from the sign-in answer or `GET /session`). */
export function setCsrf(token: string | undefined): void {
  csrf = token;
}

/** Called when the node answers 401 (session expired or identity revoked). */
export function whenSignedOut(fn: () => void): void {
  onSignedOut = fn;
}

export interface CallOptions {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  body?: unknown;
  headers?: Record<string, string>;
  /** Do not treat 401 as "signed out" (the sign-in call itself). */
  quiet401?: boolean;
  /** Let the request outlive the page (what a closing tab sends). */
  keepalive?: boolean;
}

export async function api<T>(path: string, opts: CallOptions = {}): Promise<T> {
  const method = opts.method ?? "GET";
  const headers: Record<string, string> = { accept: "application/json", ...opts.headers };
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET" && csrf) headers["x-umbra-csrf"] = csrf;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      keepalive: opts.keepalive,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
  } catch {
    throw new ApiError(0, "The node is unreachable");
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    if (res.status === 401 && !opts.quiet401) onSignedOut();
    const message = (json as { message?: string } | undefined)?.message ?? `${res.status} ${res.statusText}`;
    throw new ApiError(res.status, message, json);
  }
  return json as T;
}

export const enc = encodeURIComponent;
