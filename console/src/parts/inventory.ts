import { html } from "htm/preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, api, enc } from "../api.ts";
import { formatTime } from "../format.ts";
import { coalesced, errorText } from "../load.ts";
import { useFleetStream } from "./fleet-stream.ts";
import { InventoryForm } from "./inventory-form.ts";
import { type AttributeDoc, inventoryRows, type Origin } from "./inventory-model.ts";

/** The origin of a key as a badge: a device-filled key is marked as such. */
export function originBadge(origin: Origin) {
  return origin === "device"
    ? html`<span class="badge info" data-origin="device">filled by device</span>`
    : html`<span class="badge" data-origin="operator">set by operator</span>`;
}

/**
 * A thing's inventory attributes (docs/fleet.md): each key with its value and who set it, the version;
 * operators edit them (a PATCH). Follows the thing's record (a fleet-query follow on the node stream) and re-reads the
 * attributes when it changes, so a device or another operator's write shows without a reload.
 */
export function InventoryPanel({
  thing,
  editable,
  focus,
}: {
  thing: string;
  editable: boolean;
  focus: boolean;
}) {
  // undefined: loading; null: the thing has no attributes yet (404).
  const [doc, setDoc] = useState<AttributeDoc | null | undefined>();
  const [error, setError] = useState<string | undefined>();
  const reread = useRef(() => {});

  useEffect(() => {
    let stop = false;
    // Coalesced: a thing whose shadow changes many times a second costs one read at a time.
    reread.current = coalesced(() =>
      api<AttributeDoc>(`/things/${enc(thing)}/attributes`)
        .then((d) => {
          if (stop) return;
          setDoc((old) => (old && old.version > d.version ? old : d));
          setError(undefined);
        })
        .catch((err: unknown) => {
          if (stop) return;
          if (err instanceof ApiError && err.status === 404) {
            setDoc((old) => old ?? null);
            setError(undefined);
          } else setError(errorText(err));
        }),
    );
    reread.current();
    return () => {
      stop = true;
    };
  }, [thing]);

  // The thing's record on the page's node stream: re-read when it changes, and once the node follows
  // it (a change between the first read and then is not missed).
  useFleetStream(`thingName:${JSON.stringify(thing)}`, {
    match: () => reread.current(),
    unmatch: () => {},
    following: () => reread.current(),
  });

  useEffect(() => {
    if (focus && doc !== undefined) document.getElementById("inventory")?.scrollIntoView();
  }, [focus, doc === undefined]);

  const rows = doc ? inventoryRows(doc) : [];
  return html`<section class="card" id="inventory" aria-labelledby="h-inventory" data-testid="inventory">
    <h2 id="h-inventory">Inventory</h2>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    ${doc === undefined && !error ? html`<p>Loading attributes…</p>` : null}
    ${
      doc
        ? html`<p class="meta" data-testid="inventory-version">Version <strong>${doc.version}</strong>, changed ${formatTime(doc.updatedAt)}</p>`
        : null
    }
    ${doc === null ? html`<p class="empty">No attributes yet.</p>` : null}
    ${
      rows.length > 0
        ? html`<table data-testid="inventory-table">
          <caption class="sr-only">Attributes of ${thing}, with who set each</caption>
          <thead><tr><th scope="col">Key</th><th scope="col">Value</th><th scope="col">Set by</th></tr></thead>
          <tbody>${rows.map(
            (r) => html`<tr key=${r.key} data-key=${r.key}>
              <th scope="row"><code>${r.key}</code></th><td>${String(r.value)}</td><td>${originBadge(r.origin)}</td>
            </tr>`,
          )}</tbody>
        </table>`
        : null
    }
    <p class="hint">A device, its bridge or its host agent fills what it knows; a key an operator set is
      never overwritten by a device.${editable ? " Saving a key here makes it the operator's." : ""}</p>
    ${
      editable && doc !== undefined
        ? html`<${InventoryForm} key=${thing} thing=${thing} doc=${doc} onSaved=${(d: AttributeDoc) => setDoc(d)} />`
        : null
    }
  </section>`;
}
