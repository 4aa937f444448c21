import { type NodeEvent, nodeEvents } from "../../broker/cli/node-client.ts";

/** One server-sent event: its `event:` name and the JSON of its `data:` line. */
export type SseEvent = NodeEvent;

/** Reads a server-sent event stream with fetch; `next()` returns events in order, with a timeout. */
export class SseReader {
  readonly status: number;
  readonly contentType: string | null;
  private readonly events: SseEvent[] = [];
  private waiter: (() => void) | undefined;
  private ended = false;

  private constructor(
    res: Response,
    private readonly abort: AbortController,
  ) {
    this.status = res.status;
    this.contentType = res.headers.get("content-type");
    if (res.body) this.pump(res.body).catch(() => {});
    else this.ended = true;
  }

  /** Resolves once the response headers arrive; a stream that sends none within timeoutMs is an error. */
  static async open(url: string, timeoutMs = 5000): Promise<SseReader> {
    const abort = new AbortController();
    const timer = setTimeout(
      () => abort.abort(new Error(`no response headers from ${url} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    try {
      const res = await fetch(url, { signal: abort.signal });
      return new SseReader(res, abort);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The frames are parsed by the CLI's reader (`nodeEvents`): the tests read what `umbra` reads. */
  private async pump(body: ReadableStream<Uint8Array>): Promise<void> {
    try {
      for await (const e of nodeEvents(body)) {
        this.events.push(e);
        this.waiter?.();
      }
    } finally {
      this.ended = true;
      this.waiter?.();
    }
  }

  /** The next event; rejects after timeoutMs or when the stream ends first. */
  async next(timeoutMs = 5000): Promise<SseEvent> {
    const deadline = Date.now() + timeoutMs;
    while (this.events.length === 0) {
      if (this.ended) throw new Error("event stream ended");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no event within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    return this.events.shift() as SseEvent;
  }

  /** Events received and not yet taken. */
  get buffered(): number {
    return this.events.length;
  }

  close(): void {
    this.abort.abort();
  }
}
