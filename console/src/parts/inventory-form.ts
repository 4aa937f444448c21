import { html } from "htm/preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, api, enc } from "../api.ts";
import {
  type AttributeDoc,
  at,
  FIELDS,
  type FormValues,
  formValues,
  type LabelRow,
  originOf,
  patchOf,
} from "./inventory-model.ts";

type Status = { kind: "ok" | "error"; text: string };

/** The words for a refused write: the node's own message, with what the status means here. */
function refusal(err: unknown, base: number): string {
  if (!(err instanceof ApiError)) return String(err);
  if (err.status === 409)
    return `Version conflict (409): you edited version ${base}; ${err.message}. Nothing was changed. Reload the current attributes and apply your edit again.`;
  if (err.status === 403) return `Refused (403): ${err.message}`;
  if (err.status === 400) return `Not accepted (400): ${err.message}`;
  return err.status === 0 ? err.message : `${err.message} (${err.status})`;
}

/**
 * Operators edit a thing's attributes: the typed keys and the labels. Saving sends a PATCH of what
 * changed (an emptied field or a removed label deletes the key) with the version the edit started from.
 * The form follows the live document until the operator starts typing.
 */
export function InventoryForm(props: {
  thing: string;
  doc: AttributeDoc | null;
  onSaved: (doc: AttributeDoc) => void;
}) {
  const { thing, doc, onSaved } = props;
  const attributes = doc?.attributes ?? {};
  const [values, setValues] = useState<FormValues>(() => formValues(attributes));
  const [base, setBase] = useState(doc?.version ?? 0);
  const [dirty, setDirty] = useState(false);
  const [check, setCheck] = useState(true);
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState<Status | undefined>();

  // Follows the live document while the operator has not started editing. Keyed on the document
  // only: "Reload current" resets the form itself, so typing right after it is never overwritten.
  const editing = useRef(false);
  const reset = (d: AttributeDoc | null) => {
    setValues(formValues(d?.attributes ?? {}));
    setBase(d?.version ?? 0);
  };
  useEffect(() => {
    if (!editing.current) reset(doc);
  }, [doc]);
  const markDirty = (d: boolean) => {
    editing.current = d;
    setDirty(d);
  };

  const change = (next: FormValues) => {
    setValues(next);
    markDirty(true);
  };
  const setField = (key: string, text: string) =>
    change({ ...values, fields: { ...values.fields, [key]: text } });
  const setLabel = (i: number, row: LabelRow) =>
    change({ ...values, labels: values.labels.map((l, j) => (j === i ? row : l)) });

  const save = async (e: Event) => {
    e.preventDefault();
    const patch = patchOf(attributes, values);
    if (Object.keys(patch).length === 0) {
      setStatus({ kind: "ok", text: "Nothing changed." });
      return;
    }
    setBusy(true);
    try {
      const q = check ? `?version=${base}` : "";
      const r = await api<AttributeDoc & { kept?: string[] }>(`/things/${enc(thing)}/attributes${q}`, {
        method: "PATCH",
        body: patch,
      });
      setStatus({ kind: "ok", text: `Saved: version ${r.version}` });
      markDirty(false);
      onSaved(r);
    } catch (err) {
      setStatus({ kind: "error", text: refusal(err, base) });
    } finally {
      setBusy(false);
    }
  };

  return html`<form class="editor" onSubmit=${save} aria-labelledby="h-inventory-edit" data-testid="inventory-editor">
    <h3 id="h-inventory-edit">Edit inventory</h3>
    <p class="hint">An emptied field or a removed label deletes the key.</p>
    <div class="inventory-fields">
      ${FIELDS.map((f) => {
        const key = f.path.join(".");
        const device =
          doc && at(attributes, f.path) !== undefined && originOf(doc.origins, f.path) === "device";
        return html`<label>
          <span>${f.label}${device ? html` <span class="hint">(filled by device)</span>` : null}</span>
          <input name=${key} inputmode=${f.numeric ? "numeric" : undefined} value=${values.fields[key] ?? ""}
            onInput=${(e: Event) => setField(key, (e.target as HTMLInputElement).value)} />
        </label>`;
      })}
    </div>
    <fieldset>
      <legend>Labels</legend>
      ${values.labels.map(
        (l, i) => html`<div class="row" key=${i} data-label-row=${i}>
          <label>Label name <input value=${l.name} aria-label=${`Label name ${i + 1}`}
            onInput=${(e: Event) => setLabel(i, { ...l, name: (e.target as HTMLInputElement).value })} /></label>
          <label>Value <input value=${l.value} aria-label=${`Value ${i + 1}`}
            onInput=${(e: Event) => setLabel(i, { ...l, value: (e.target as HTMLInputElement).value })} /></label>
          <button type="button" aria-label=${`Remove label ${l.name || i + 1}`}
            onClick=${() => change({ ...values, labels: values.labels.filter((_, j) => j !== i) })}>Remove</button>
        </div>`,
      )}
      <button type="button" onClick=${() => change({ ...values, labels: [...values.labels, { name: "", value: "" }] })}>Add label</button>
    </fieldset>
    <div class="row">
      <label class="inline"><input type="checkbox" checked=${check} onChange=${(e: Event) => setCheck((e.target as HTMLInputElement).checked)} />
        Only if still at version ${base}</label>
      <button type="submit" class="primary" disabled=${busy}>Save inventory</button>
      ${
        dirty
          ? html`<button type="button" onClick=${() => {
              markDirty(false);
              reset(doc);
              setStatus(undefined);
            }}>Reload current</button>`
          : null
      }
    </div>
    ${status ? html`<p class=${status.kind} role=${status.kind === "ok" ? "status" : "alert"} data-testid="inventory-status">${status.text}</p>` : null}
  </form>`;
}
