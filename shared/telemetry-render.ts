/**
 * Terminal rendering of telemetry series for `umbra telemetry`: a unicode sparkline per metric, or a
 * table of points. Pure functions of the HTTP answer, so the CLI stays a thin client.
 */
export type ApiPoint =
  | [number, number]
  | { ts: number; min: number; max: number; avg: number; last: number; count: number };

export interface ApiSeries {
  metric: string;
  points: ApiPoint[];
  truncated?: boolean;
}

const BARS = "▁▂▃▄▅▆▇█";

/** Values of a series: raw values, or bucket averages. */
export function seriesValues(points: readonly ApiPoint[]): number[] {
  return points.map((p) => (Array.isArray(p) ? p[1] : p.avg));
}

/** A sparkline of at most `width` characters (values averaged into that many groups). */
export function sparkline(values: readonly number[], width = 40): string {
  if (values.length === 0) return "";
  const groups = Math.min(width, values.length);
  const avg: number[] = [];
  for (let g = 0; g < groups; g++) {
    const from = Math.floor((g * values.length) / groups);
    const to = Math.max(from + 1, Math.floor(((g + 1) * values.length) / groups));
    const slice = values.slice(from, to);
    avg.push(slice.reduce((a, b) => a + b, 0) / slice.length);
  }
  const lo = Math.min(...avg);
  const hi = Math.max(...avg);
  return avg
    .map((v) => BARS[hi === lo ? 3 : Math.round(((v - lo) / (hi - lo)) * (BARS.length - 1))])
    .join("");
}

/**
 * One plain decimal format for every value: up to 6 significant digits, never rounded into a different
 * integer (1210.5 stays 1210.5, not 1211), and an exponent only outside 0.001–1e9.
 */
export function formatValue(v: number): string {
  const abs = Math.abs(v);
  if (abs !== 0 && (abs >= 1e9 || abs < 1e-3)) return v.toExponential(3);
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(Math.max(6, Math.ceil(Math.log10(abs + 1)) + 1))));
}

function pad(cells: string[][]): string {
  const widths = cells[0]?.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length))) ?? [];
  return cells
    .map((r) =>
      r
        .map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** One line per metric: last, min, max, points and a sparkline. */
export function renderSparklines(series: readonly ApiSeries[], width = 40): string {
  const rows = [["metric", "last", "min", "max", "points", ""]];
  for (const s of series) {
    const values = seriesValues(s.points);
    if (values.length === 0) continue;
    const mins = s.points.map((p) => (Array.isArray(p) ? p[1] : p.min));
    const maxs = s.points.map((p) => (Array.isArray(p) ? p[1] : p.max));
    const lastPoint = s.points[s.points.length - 1] as ApiPoint;
    const last = Array.isArray(lastPoint) ? lastPoint[1] : lastPoint.last;
    rows.push([
      s.metric,
      formatValue(last),
      formatValue(Math.min(...mins)),
      formatValue(Math.max(...maxs)),
      `${s.points.length}${s.truncated ? "+" : ""}`,
      sparkline(values, width),
    ]);
  }
  return pad(rows);
}

/** A table of points per metric, UTC times. */
export function renderTable(series: readonly ApiSeries[]): string {
  const out: string[] = [];
  for (const s of series) {
    if (s.points.length === 0) continue;
    const rolled = !Array.isArray(s.points[0]);
    const rows = [rolled ? ["time (UTC)", "avg", "min", "max", "last", "count"] : ["time (UTC)", "value"]];
    for (const p of s.points) {
      const time = new Date(Array.isArray(p) ? p[0] : p.ts)
        .toISOString()
        .replace("T", " ")
        .replace(/\.000Z$|Z$/, "");
      rows.push(
        Array.isArray(p)
          ? [time, formatValue(p[1])]
          : [
              time,
              formatValue(p.avg),
              formatValue(p.min),
              formatValue(p.max),
              formatValue(p.last),
              String(p.count),
            ],
      );
    }
    out.push(`${s.metric}${s.truncated ? " (truncated)" : ""}\n${pad(rows)}`);
  }
  return out.join("\n\n");
}
