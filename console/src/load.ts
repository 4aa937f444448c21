import { useEffect, useState } from "preact/hooks";
import { ApiError, api } from "./api.ts";

/** The message a page shows for a failed call (the node's own message when it gave one). */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.status === 0 ? err.message : `${err.message} (${err.status})`;
  return String(err);
}

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  reload: () => void;
}

/**
 * Reads `path` (again whenever it changes, every `pollMs` if given, and on `reload()`), keeping the
 * last answer on screen while a re-read fails (the error is shown beside it).
 */
export function useApi<T>(path: string | undefined, pollMs?: number): Loaded<T> {
  const [data, setData] = useState<T | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (path === undefined) return;
    let stop = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = () =>
      api<T>(path)
        .then((d) => {
          if (stop) return;
          setData(d);
          setError(undefined);
        })
        .catch((err: unknown) => !stop && setError(errorText(err)))
        .finally(() => {
          if (!stop && pollMs) timer = setTimeout(load, pollMs);
        });
    load();
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, [path, pollMs, tick]);
  return { data, error, reload: () => setTick((n) => n + 1) };
}

/**
 * A re-read that never runs twice at once: `read` runs now if idle; a call while it runs makes it run
 * once more when done (however many calls came meanwhile), so a fast-changing source costs one
 * request at a time, not one per change.
 */
export function coalesced(read: () => Promise<unknown>): () => void {
  let running = false;
  let again = false;
  const run = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    again = false;
    read()
      .catch(() => undefined)
      .finally(() => {
        running = false;
        if (again) run();
      });
  };
  return run;
}
