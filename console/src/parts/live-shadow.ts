import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, api, enc } from "../api.ts";
import { type Connection, useNodeEvents } from "../live.ts";
import { coalesced } from "../load.ts";

export interface ShadowDoc {
  state: { desired?: object; reported?: object; delta?: object };
  metadata: { desired?: object; reported?: object };
  version: number;
  timestamp: number;
  connection?: Connection;
  conflicts?: { desired?: object; reported?: object };
}

export type Loaded =
  | { kind: "loading" }
  | { kind: "missing" }
  | { kind: "error"; message: string }
  | { kind: "ok"; doc: ShadowDoc };

/**
 * One shadow, live, on the page's one node stream: read once, then read again whenever the stream's
 * summary of that shadow carries a newer version (and after a reconnection). Re-reads are coalesced
 * (one request at a time), so a shadow changing many times a second costs one read per round trip.
 * Presence comes from the stream's `presence` events.
 */
export function useLiveShadow(thing: string, shadow: string): { loaded: Loaded; connection?: Connection } {
  const [loaded, setLoaded] = useState<Loaded>({ kind: "loading" });
  const [connection, setConnection] = useState<Connection | undefined>();
  /** The version shown (or of the deletion), and the re-read of this shadow. */
  const live = useRef({ version: -1, reread: () => {} });

  useEffect(() => {
    setLoaded({ kind: "loading" });
    setConnection(undefined);
    let stop = false;
    const state = { version: -1, reread: () => {} };
    live.current = state;
    const path = `/things/${enc(thing)}/shadow${shadow ? `?name=${enc(shadow)}` : ""}`;
    state.reread = coalesced(() =>
      api<ShadowDoc>(path)
        .then((doc) => {
          if (stop || doc.version < state.version) return;
          state.version = doc.version;
          if (doc.connection) setConnection(doc.connection);
          setLoaded({ kind: "ok", doc });
        })
        .catch((err: unknown) => {
          if (stop) return;
          if (err instanceof ApiError && err.status === 404) setLoaded({ kind: "missing" });
          else {
            const message = err instanceof ApiError ? err.message : String(err);
            // A failed re-read keeps the document shown (the header says when the node is lost).
            setLoaded((l) => (l.kind === "ok" ? l : { kind: "error", message }));
          }
        }),
    );
    state.reread();
    return () => {
      stop = true;
    };
  }, [thing, shadow]);

  useNodeEvents(
    (e) => {
      if (e.type === "reconnected") return live.current.reread();
      if (e.data.thing !== thing) return;
      if (e.type === "presence") return setConnection(e.data.connection);
      if (e.data.shadow !== shadow) return;
      if (e.data.deleted) {
        live.current.version = e.data.version ?? live.current.version;
        setLoaded({ kind: "missing" });
      } else if ((e.data.version ?? Number.POSITIVE_INFINITY) > live.current.version) live.current.reread();
    },
    [thing, shadow],
  );

  return { loaded, connection };
}
