/**
 * Durations and instants as people type them: `90s`, `15m`, `1h`, `7d`, `2w`; instants as Unix
 * milliseconds, ISO 8601, or relative to now (`-1h`, `now`). The one duration grammar of Umbra: HTTP
 * query parameters, the CLI's `--since`, and the agent's and the bridge's config files.
 */

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/;

/** Milliseconds of a duration like `1h` or `500ms`; null when it is not one (or is zero). */
export function parseDuration(text: string): number | null {
  const m = DURATION.exec(text.trim());
  if (!m) return null;
  const ms = Math.round(Number(m[1]) * (UNIT_MS[m[2] as string] as number));
  return ms > 0 && Number.isFinite(ms) ? ms : null;
}

/** `3600000` → `1h`: the largest unit that divides the duration exactly. */
export function formatDuration(ms: number): string {
  for (const unit of ["w", "d", "h", "m", "s"]) {
    const size = UNIT_MS[unit] as number;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/**
 * An instant: Unix milliseconds (digits), `now`, `-<duration>` (before `now`) or an ISO 8601 date.
 * Returns null when the text is none of these.
 */
export function parseInstant(text: string, now: number): number | null {
  const t = text.trim();
  if (t === "now") return now;
  if (/^\d+$/.test(t)) return Number(t);
  if (t.startsWith("-")) {
    const d = parseDuration(t.slice(1));
    return d === null ? null : now - d;
  }
  // Date.parse accepts many loose forms; require something ISO-like (a year and a month).
  if (!/^\d{4}-\d{2}/.test(t)) return null;
  return parseIsoUtc(t);
}

/**
 * An ISO 8601 date or date-time as Unix milliseconds, or null. A date-time without a zone designator is
 * UTC: `Date.parse` would read it as the node's local time, so the same sample would land at another
 * instant on a node in another time zone.
 */
export function parseIsoUtc(text: string): number | null {
  const noZone = /T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text);
  const ms = Date.parse(noZone ? `${text}Z` : text);
  return Number.isNaN(ms) ? null : ms;
}
