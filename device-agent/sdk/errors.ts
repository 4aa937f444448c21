/**
 * Errors the SDK surfaces. A `ShadowRejectedError` is the node's (or AWS's) answer `{code, message}` on a
 * `/rejected` topic, or a refused subscription (403); a `DeviceConnectionError` means the request never got
 * an answer (offline, timed out, closed, credentials refused) and says nothing about the shadow.
 */
export class ShadowRejectedError extends Error {
  override readonly name = "ShadowRejectedError";
  constructor(
    /** AWS error code: 400, 403, 404, 409, 413, 429, 500, 503. */
    readonly code: number,
    readonly op: "get" | "update" | "delete" | "subscribe",
    message: string,
    readonly clientToken?: string,
  ) {
    super(`${op} rejected (${code}): ${message}`);
  }
}

export type ConnectionFailure = "offline" | "timeout" | "closed" | "refused";

export class DeviceConnectionError extends Error {
  override readonly name = "DeviceConnectionError";
  constructor(
    readonly reason: ConnectionFailure,
    message: string,
    /** CONNACK return code when the broker refused the connection (4 bad credentials, 5 not authorized). */
    readonly returnCode?: number,
  ) {
    super(message);
  }
}

/** Codes worth retrying: throttled, or the node failed or is shutting down. Everything else is final. */
const TRANSIENT_CODES = new Set([429, 500, 503]);

/** Whether a failed request may succeed if sent again later (the payload is not the problem). */
export function isTransient(err: unknown): boolean {
  if (err instanceof ShadowRejectedError) return TRANSIENT_CODES.has(err.code);
  return err instanceof DeviceConnectionError && err.reason !== "closed";
}
