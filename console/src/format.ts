/** Epoch seconds as a local date and time. */
export function formatTime(epochSeconds: number | undefined): string {
  if (epochSeconds === undefined) return "—";
  return new Date(epochSeconds * 1000).toLocaleString();
}

/** A short "how long ago" for epoch seconds. */
export function ago(epochSeconds: number | undefined, now = Date.now()): string {
  if (epochSeconds === undefined) return "—";
  const s = Math.max(0, Math.round(now / 1000 - epochSeconds));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function json(value: unknown): string {
  return value === undefined ? "" : JSON.stringify(value, null, 2);
}
