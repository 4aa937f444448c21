import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { IdentityStore } from "./identity-store.ts";

export const ADMIN_FILE = "admin.json";

/**
 * First start with authentication on and no identities: create an operator `admin` with a password
 * (for MQTT) and a bearer token (for HTTP and the CLI), and write them to DATA_DIR/admin.json with
 * mode 0600. Returns the file's path when it was created.
 */
export function bootstrapAdmin(identities: IdentityStore, dataDir: string): string | undefined {
  if (!identities.isEmpty()) return undefined;
  const path = join(dataDir, ADMIN_FILE);
  if (existsSync(path)) return undefined;
  const password = identities.add("admin", "operator", "*");
  const { token } = identities.createToken("admin", "operator", "*");
  const body = { username: "admin", password, token, role: "operator" };
  writeFileSync(path, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600, flag: "wx" });
  return path;
}
