import { html } from "htm/preact";
import { useState } from "preact/hooks";
import { ApiError } from "../api.ts";
import { type Session, signIn } from "../session.ts";

export function SignIn({ reason, onSignedIn }: { reason?: string; onSignedIn: (s: Session) => void }) {
  const [mode, setMode] = useState<"password" | "token">("password");
  const [error, setError] = useState<string | undefined>(reason);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    setBusy(true);
    setError(undefined);
    try {
      const session = await signIn(
        mode === "token"
          ? { token: String(form.get("token") ?? "") }
          : { username: String(form.get("username") ?? ""), password: String(form.get("password") ?? "") },
      );
      onSignedIn(session);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return html`<main class="centered">
    <form class="card signin" onSubmit=${submit} aria-labelledby="signin-title">
      <h1 id="signin-title">Sign in to Umbra</h1>
      <div class="tabs" role="group" aria-label="Sign-in method">
        <button type="button" aria-pressed=${mode === "password"} onClick=${() => setMode("password")}>
          User name and password
        </button>
        <button type="button" aria-pressed=${mode === "token"} onClick=${() => setMode("token")}>Bearer token</button>
      </div>
      ${
        mode === "password"
          ? html`<label>User name <input name="username" autocomplete="username" required /></label>
              <label>Password <input name="password" type="password" autocomplete="current-password" required /></label>`
          : html`<label>Token <input name="token" autocomplete="off" placeholder="umb_…" required /></label>`
      }
      ${error ? html`<p class="error" role="alert">${error}</p>` : null}
      <button type="submit" class="primary" disabled=${busy}>Sign in</button>
      <p class="hint">Operators and viewers sign in here; <code>umbra user add</code> creates them.</p>
    </form>
  </main>`;
}
