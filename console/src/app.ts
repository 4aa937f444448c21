import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError, whenSignedOut } from "./api.ts";
import { nodeEvents, useLinkStatus } from "./live.ts";
import { SignIn } from "./pages/signin.ts";
import { PAGES } from "./pages.ts";
import { useRoute } from "./router.ts";
import { currentSession, type Session, signOut } from "./session.ts";

type State =
  | { kind: "loading" }
  | { kind: "signed-out"; reason?: string }
  | { kind: "unreachable" }
  | {
      kind: "in";
      session: Session;
    };

export function App() {
  const [state, setState] = useState<State>({ kind: "loading" });

  const load = () =>
    currentSession()
      .then((session) => setState({ kind: "in", session }))
      .catch((err: unknown) =>
        setState(
          err instanceof ApiError && err.status !== 0 ? { kind: "signed-out" } : { kind: "unreachable" },
        ),
      );

  useEffect(() => {
    whenSignedOut(() => {
      nodeEvents.stop();
      setState({ kind: "signed-out", reason: "Your session ended; sign in again." });
    });
    load();
  }, []);

  useEffect(() => {
    if (state.kind === "in") nodeEvents.start();
  }, [state.kind]);

  if (state.kind === "loading") return html`<main class="centered"><p>Loading…</p></main>`;
  if (state.kind === "unreachable")
    return html`<main class="centered">
      <div class="banner error" role="alert">The node does not answer. It may be restarting or unreachable.</div>
      <button onClick=${load}>Try again</button>
    </main>`;
  if (state.kind === "signed-out")
    return html`<${SignIn} reason=${state.reason} onSignedIn=${(session: Session) => setState({ kind: "in", session })} />`;
  return html`<${Shell}
    session=${state.session}
    onSignOut=${async () => {
      nodeEvents.stop();
      await signOut();
      setState({ kind: "signed-out" });
    }}
  />`;
}

function Shell({ session, onSignOut }: { session: Session; onSignOut: () => void }) {
  const route = useRoute();
  const link = useLinkStatus();
  const page = PAGES.find((p) => p.page === route.page) ?? PAGES[0]!;
  useEffect(() => {
    document.title = `${page.title} · Umbra`;
  }, [page]);
  return html`
    <header class="top">
      <span class="brand">Umbra</span>
      <nav aria-label="Pages">
        ${PAGES.filter((p) => p.nav).map(
          (p) =>
            html`<a href=${`#/${p.page}`} aria-current=${p === page || (page.page === "things" && p.page === "") ? "page" : undefined}>${p.title}</a>`,
        )}
      </nav>
      <span class="who">
        <span class=${`link ${link}`} data-link=${link}>${link === "live" ? "● live" : link === "lost" ? "● offline" : "● connecting"}</span>
        ${session.name} <span class="role">${session.role}</span>
        ${session.anonymous ? null : html`<button class="quiet" onClick=${onSignOut}>Sign out</button>`}
      </span>
    </header>
    ${
      link === "lost"
        ? html`<div class="banner error" role="alert" data-testid="node-lost">
            Lost contact with the node. Showing the last known state; retrying…
          </div>`
        : null
    }
    <main id="main">
      <${page.component} route=${route} session=${session} />
    </main>
  `;
}
