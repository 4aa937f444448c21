import { useEffect, useRef } from "preact/hooks";
import type { FleetRecord } from "./fleet-table.ts";

export interface FleetStreamHandlers {
  /** A matching thing changed (shadow, attributes, presence, systems): its whole record. */
  match: (thing: string, record: FleetRecord) => void;
  /** A thing stopped matching the query. */
  unmatch: (thing: string) => void;
}

/**
 * Follows `GET /things/stream?q=` (docs/fleet.md) while the query is shown. The browser reconnects by
 * itself after an error or the node's `overflow` close; the handlers may change on every render.
 */
export function useFleetStream(q: string | undefined, handlers: FleetStreamHandlers): void {
  const current = useRef(handlers);
  current.current = handlers;
  useEffect(() => {
    if (q === undefined) return;
    const source = new EventSource(`/things/stream?q=${encodeURIComponent(q)}`);
    source.addEventListener("match", (e) => {
      const { thing, record } = JSON.parse(e.data) as { thing: string; record: FleetRecord };
      current.current.match(thing, record);
    });
    source.addEventListener("unmatch", (e) =>
      current.current.unmatch((JSON.parse(e.data) as { thing: string }).thing),
    );
    return () => source.close();
  }, [q]);
}
