import { readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The HTTP API bearer token of a CLI call: --token, else UMBRA_TOKEN, else the token in the local
 * node's first-start credential file (DATA_DIR/admin.json), so `umbra shadow …`, `umbra telemetry …`
 * and `umbra peers` work out of the box next to `npm start`.
 */
export function apiToken(explicit: string | undefined): string | undefined {
  if (explicit) return explicit;
  if (process.env.UMBRA_TOKEN) return process.env.UMBRA_TOKEN;
  try {
    const file = join(process.env.UMBRA_DATA_DIR ?? "./data", "admin.json");
    const parsed = JSON.parse(readFileSync(file, "utf8")) as { token?: unknown };
    return typeof parsed.token === "string" ? parsed.token : undefined;
  } catch {
    return undefined;
  }
}

/** `authorization: Bearer …` when there is a token. */
export function authHeaders(explicit: string | undefined): Record<string, string> {
  const token = apiToken(explicit);
  return token ? { authorization: `Bearer ${token}` } : {};
}
