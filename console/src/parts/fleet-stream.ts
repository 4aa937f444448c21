import { useEffect, useRef } from "preact/hooks";
import { nodeEvents } from "../live.ts";
import type { FleetRecord } from "./fleet-table.ts";

export interface FleetStreamHandlers {
  /** A matching thing changed (shadow, attributes, presence, systems): its whole record. */
  match: (thing: string, record: FleetRecord) => void;
  /** A thing stopped matching the query. */
  unmatch: (thing: string) => void;
  /** The node follows the query now (also after a reconnection). */
  following?: () => void;
}

/**
 * Follows the fleet query `q` (docs/fleet.md: `match` and `unmatch`, what `GET /things/stream` sends)
 * while it is shown, on the page's one node stream (console/src/live.ts) rather than a stream of its
 * own; it is set again after every reconnection. The handlers may change on every render.
 */
export function useFleetStream(q: string | undefined, handlers: FleetStreamHandlers): void {
  const current = useRef(handlers);
  current.current = handlers;
  useEffect(() => {
    if (q === undefined) return;
    return nodeEvents.follow({
      what: { q },
      on: (event, data) => {
        if (event === "match") current.current.match(String(data.thing), data.record as FleetRecord);
        else if (event === "unmatch") current.current.unmatch(String(data.thing));
      },
      following: () => current.current.following?.(),
    });
  }, [q]);
}
