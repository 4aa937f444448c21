import { type FromWorker, STREAM_EVENTS } from "./stream-events.ts";

/** What a tab hears of the node's console stream. */
export interface LinkHandlers {
  event(name: string, data: string): void;
  /** The stream broke; `closed`: it will not retry by itself. */
  error(closed: boolean): void;
}

export interface Link {
  close(): void;
}

let worker: SharedWorker | undefined | null;

/**
 * Opens this tab's view of the node's console stream: through the shared worker
 * (console/src/stream-worker.ts), one stream for every tab of the browser, or, where a browser has
 * no shared workers, a stream of the tab's own.
 */
export function openLink(handlers: LinkHandlers): Link {
  if (worker === undefined) worker = startWorker();
  const shared = worker;
  if (!shared) return ownStream(handlers);
  shared.port.onmessage = (e: MessageEvent<FromWorker>) => {
    if (e.data.type === "event") handlers.event(e.data.event, e.data.data);
    else handlers.error(e.data.closed);
  };
  shared.port.postMessage({ type: "start" });
  return {
    close: () => {
      shared.port.onmessage = null;
      shared.port.postMessage({ type: "stop" });
    },
  };
}

function startWorker(): SharedWorker | null {
  if (typeof SharedWorker === "undefined") return null;
  try {
    const w = new SharedWorker("/console/stream-worker.js", { name: "umbra-events" });
    w.port.start();
    // A tab that goes away stops wanting the stream (the worker closes it after the last tab).
    addEventListener("pagehide", () => w.port.postMessage({ type: "stop" }));
    return w;
  } catch {
    return null;
  }
}

function ownStream(handlers: LinkHandlers): Link {
  const source = new EventSource("/console/api/events");
  for (const name of STREAM_EVENTS)
    source.addEventListener(name, (e) => handlers.event(name, (e as MessageEvent<string>).data));
  source.onerror = () => handlers.error(source.readyState === EventSource.CLOSED);
  return { close: () => source.close() };
}
