import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError, api, enc } from "../api.ts";
import { formatTime } from "../format.ts";
import type { PageProps } from "../pages.ts";
import { NewDevice } from "../parts/new-device.ts";
import { canEdit } from "../session.ts";

interface Identity {
  name: string;
  role: string;
  things: string;
  createdAt: number;
  revokedAt: number | null;
  /** Epoch ms when the current password was set (creation or last rotation). */
  passwordSetAt?: number;
  /** Epoch ms until which the password before the last rotation still works; null: it does not. */
  previousPasswordUntil?: number | null;
}

/** The status cell: revoked, or active (with the old password's grace after a rotation). */
function status(i: Identity) {
  if (i.revokedAt !== null)
    return html`<span class="badge off">revoked ${formatTime(i.revokedAt / 1000)}</span>`;
  return html`<span class="badge ok">active</span>${
    i.previousPasswordUntil
      ? html` <span class="badge warn" data-testid="grace">old password until ${formatTime(i.previousPasswordUntil / 1000)}</span>`
      : null
  }`;
}

/**
 * Identities of this node: when each password was set and, after a rotation with a grace, until when
 * the old one still works; operators add devices (credentials shown once) and revoke them. Rotation is
 * on the CLI only (no HTTP route by design): the help text says how.
 */
export function IdentitiesPage({ session }: PageProps) {
  const [list, setList] = useState<Identity[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [created, setCreated] = useState<{ name: string; password: string } | undefined>();
  const [confirm, setConfirm] = useState<string | undefined>();
  const editable = canEdit(session);

  const load = () =>
    api<{ identities: Identity[] }>("/identities")
      .then((r) => setList(r.identities))
      .catch((err: unknown) => setError(err instanceof ApiError ? err.message : String(err)));
  useEffect(() => {
    load();
  }, []);

  const add = async (e: Event) => {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const name = String(new FormData(form).get("name") ?? "").trim();
    setError(undefined);
    try {
      const r = await api<{ name: string; password: string }>("/identities", {
        method: "POST",
        body: { name },
      });
      setCreated(r);
      form.reset();
      load();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    }
  };

  const revoke = async (name: string) => {
    setConfirm(undefined);
    try {
      await api(`/identities/${enc(name)}`, { method: "DELETE" });
      if (created?.name === name) setCreated(undefined);
      load();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    }
  };

  return html`
    <h1>Identities</h1>
    <p class="hint" data-testid="rotate-help">To give an identity a new password, run on the node: <code>umbra device rotate <var>thing</var></code> (users: <code>umbra user rotate <var>name</var></code>);
      add <code>--grace 1h</code> to keep the old password working while devices are re-provisioned.
      Rotation is not offered here: it is done on the node's command line only (docs/security.md).</p>
    ${
      editable
        ? html`<form class="card row" onSubmit=${add} aria-labelledby="add-title">
          <h2 id="add-title">Add a device</h2>
          <label>Thing name <input name="name" required pattern="[a-zA-Z0-9:_\\-]{1,128}" placeholder="pdu-12" /></label>
          <button type="submit" class="primary">Add device</button>
        </form>`
        : null
    }
    ${created ? html`<${NewDevice} name=${created.name} password=${created.password} onDone=${() => setCreated(undefined)} />` : null}
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    ${
      !list
        ? html`<p>Loading identities…</p>`
        : html`<div class="scroll" tabindex="0"><table data-testid="identities-table">
          <caption class="sr-only">Identities</caption>
          <thead><tr><th scope="col">Name</th><th scope="col">Role</th><th scope="col">Things</th><th scope="col">Created</th><th scope="col">Password set</th><th scope="col">Status</th>${editable ? html`<th scope="col"><span class="sr-only">Actions</span></th>` : null}</tr></thead>
          <tbody>${list.map(
            (i) => html`<tr key=${i.name} data-identity=${i.name}>
              <th scope="row">${i.name}</th><td>${i.role}</td><td><code>${i.things}</code></td><td>${formatTime(i.createdAt / 1000)}</td>
              <td data-col="password-set">${i.passwordSetAt === undefined ? "—" : formatTime(i.passwordSetAt / 1000)}</td>
              <td data-col="status">${status(i)}</td>
              ${
                editable
                  ? html`<td>${
                      i.role === "device" && i.revokedAt === null
                        ? confirm === i.name
                          ? html`<span class="confirm">Revoke ${i.name}?
                            <button class="danger" onClick=${() => revoke(i.name)}>Yes, revoke</button>
                            <button onClick=${() => setConfirm(undefined)}>Cancel</button></span>`
                          : html`<button onClick=${() => setConfirm(i.name)} aria-label=${`Revoke ${i.name}`}>Revoke</button>`
                        : null
                    }</td>`
                  : null
              }
            </tr>`,
          )}</tbody>
        </table></div>`
    }
  `;
}
