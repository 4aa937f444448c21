/** AWS IoT Device Shadow error codes, which Umbra uses unchanged on MQTT and HTTP. */
export type ShadowErrorCode = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 500 | 503;

/** An error with a stable code that is reported to the one requester, never crashes the node. */
export class ShadowError extends Error {
  readonly code: ShadowErrorCode;
  constructor(code: ShadowErrorCode, message: string) {
    super(message);
    this.name = "ShadowError";
    this.code = code;
  }
}

/** The payload of a `/rejected` reply. */
export interface ErrorDocument {
  code: ShadowErrorCode;
  message: string;
  timestamp: number;
  clientToken?: string;
}

export function errorDocument(err: ShadowError, timestamp: number, clientToken?: string): ErrorDocument {
  const doc: ErrorDocument = { code: err.code, message: err.message, timestamp };
  if (clientToken !== undefined) doc.clientToken = clientToken;
  return doc;
}

export function asShadowError(err: unknown): ShadowError {
  if (err instanceof ShadowError) return err;
  return new ShadowError(500, "Internal service failure");
}
