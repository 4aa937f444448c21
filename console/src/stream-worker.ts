/**
 * The shared worker that holds the console's one event stream for every tab of a browser profile
 * (docs/console.md): a browser allows 6 HTTP/1.1 connections per host for all its tabs, and an open
 * stream holds one for good, so a stream per tab would let 6 tabs starve every further request.
 * Tabs post `start` and `stop`; the worker opens `GET /console/api/events` while some tab wants it
 * and posts each event (and each error) to every tab. A tab that starts while the stream is open
 * gets its `hello` again (the stream's id, for its follows). Built as its own script
 * (console/dist/stream-worker.js); console/src/link.ts falls back to a stream per tab without it.
 */
import { type FromWorker, STREAM_EVENTS, type ToWorker } from "./stream-events.ts";

interface Port {
  postMessage(m: FromWorker): void;
  onmessage: ((e: { data: ToWorker }) => void) | null;
  start(): void;
}

const wanting = new Set<Port>();
let source: EventSource | undefined;
let hello: string | undefined;

function post(m: FromWorker): void {
  for (const port of wanting) port.postMessage(m);
}

function open(): void {
  if (source) return;
  const s = new EventSource("/console/api/events");
  source = s;
  for (const name of STREAM_EVENTS)
    s.addEventListener(name, (e) => {
      const data = (e as MessageEvent<string>).data;
      if (name === "hello") hello = data;
      post({ type: "event", event: name, data });
    });
  s.onerror = () => {
    const closed = s.readyState === EventSource.CLOSED;
    hello = undefined;
    if (closed && source === s) source = undefined;
    post({ type: "error", closed });
  };
}

function close(): void {
  source?.close();
  source = undefined;
  hello = undefined;
}

(self as unknown as { onconnect: (e: { ports: Port[] }) => void }).onconnect = (e) => {
  const port = e.ports[0];
  if (!port) return;
  port.onmessage = (m) => {
    if (m.data.type === "start") {
      wanting.add(port);
      if (hello !== undefined) port.postMessage({ type: "event", event: "hello", data: hello });
      open();
    } else {
      wanting.delete(port);
      if (wanting.size === 0) close();
    }
  };
  port.start();
};
