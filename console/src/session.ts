import { api, setCsrf } from "./api.ts";

export interface Session {
  name: string;
  role: "operator" | "viewer" | "anonymous";
  csrf?: string;
  /** The node allows anonymous access (development): there is no sign-in. */
  anonymous?: boolean;
}

/** What the signed-in role may change (the console offers nothing else). */
export function canEdit(s: Session): boolean {
  return s.role === "operator" || s.role === "anonymous";
}

export async function currentSession(): Promise<Session> {
  const s = await api<Session>("/session", { quiet401: true });
  setCsrf(s.csrf);
  return s;
}

export async function signIn(
  credentials: { token: string } | { username: string; password: string },
): Promise<Session> {
  const s = await api<Session>("/session", {
    method: "POST",
    body: credentials,
    headers: { "x-umbra-console": "1" },
    quiet401: true,
  });
  setCsrf(s.csrf);
  return s;
}

export async function signOut(): Promise<void> {
  await api("/session", { method: "DELETE" }).catch(() => undefined);
  setCsrf(undefined);
}
