import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError, api, enc } from "../api.ts";
import { json } from "../format.ts";
import type { ShadowDoc } from "./live-shadow.ts";

/**
 * Edits `desired` as JSON. The text is merged into desired (AWS's update: keys left out stay, `null`
 * deletes a key). With the version check on, the update carries the version the edit started from, and
 * the node answers 409 when the shadow changed meanwhile: shown plainly, with nothing lost.
 */
export function DesiredEditor({ thing, shadow, doc }: { thing: string; shadow: string; doc?: ShadowDoc }) {
  const [text, setText] = useState(() => json(doc?.state.desired ?? {}));
  const [base, setBase] = useState<number | undefined>(doc?.version);
  const [dirty, setDirty] = useState(false);
  const [check, setCheck] = useState(true);
  const [status, setStatus] = useState<{ kind: "ok" | "error" | "conflict"; text: string } | undefined>();

  // Follow the live document until the operator starts typing.
  useEffect(() => {
    if (dirty) return;
    setText(json(doc?.state.desired ?? {}));
    setBase(doc?.version);
  }, [doc, dirty]);

  const save = async (e: Event) => {
    e.preventDefault();
    let desired: unknown;
    try {
      desired = JSON.parse(text);
    } catch (err) {
      setStatus({ kind: "error", text: `Not valid JSON: ${(err as Error).message}` });
      return;
    }
    const body: { state: { desired: unknown }; version?: number } = { state: { desired } };
    if (check && base !== undefined) body.version = base;
    try {
      const r = await api<{ version: number }>(
        `/things/${enc(thing)}/shadow${shadow ? `?name=${enc(shadow)}` : ""}`,
        {
          method: "POST",
          body,
        },
      );
      setStatus({ kind: "ok", text: `Accepted: version ${r.version}` });
      setDirty(false);
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        setStatus({
          kind: "conflict",
          text: `Version conflict (409): you edited version ${base}, but the shadow is now at version ${doc?.version ?? "?"}. Nothing was changed. Reload the current desired state and apply your edit again.`,
        });
      } else
        setStatus({
          kind: "error",
          text: err instanceof ApiError ? `${err.status}: ${err.message}` : String(err),
        });
    }
  };

  return html`<form class="card editor" onSubmit=${save} aria-labelledby="edit-title" data-testid="desired-editor">
    <h2 id="edit-title">Edit desired</h2>
    <label for="desired-json"><span>Desired state (JSON, merged: <code>null</code> deletes a key)</span></label>
    <textarea id="desired-json" rows="8" spellcheck="false" value=${text}
      onInput=${(e: Event) => {
        setText((e.target as HTMLTextAreaElement).value);
        setDirty(true);
      }}></textarea>
    <div class="row">
      <label class="inline"><input type="checkbox" checked=${check} onChange=${(e: Event) => setCheck((e.target as HTMLInputElement).checked)} />
        Only if still at version ${base ?? "—"}</label>
      <button type="submit" class="primary">Save desired</button>
      ${
        dirty
          ? html`<button type="button" onClick=${() => {
              setDirty(false);
              setStatus(undefined);
            }}>Reload current</button>`
          : null
      }
    </div>
    ${status ? html`<p class=${status.kind === "ok" ? "ok" : "error"} role=${status.kind === "ok" ? "status" : "alert"} data-testid="save-status">${status.text}</p>` : null}
  </form>`;
}
