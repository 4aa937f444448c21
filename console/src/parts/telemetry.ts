import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError, api, enc } from "../api.ts";
import { LineChart, type Point } from "./line-chart.ts";

const RANGES = [
  { label: "15 min", ms: 15 * 60_000 },
  { label: "1 h", ms: 3600_000 },
  { label: "6 h", ms: 6 * 3600_000 },
  { label: "24 h", ms: 24 * 3600_000 },
  { label: "7 d", ms: 7 * 24 * 3600_000 },
];

type RawPoint = [number, number];
interface Bucket {
  ts: number;
  avg: number;
}
interface Series {
  metric: string;
  points: (RawPoint | Bucket)[];
  truncated?: boolean;
}

/** Telemetry of a thing: its metrics, one chart with a range (presets, or drag across the chart to zoom). */
export function TelemetryPanel({ thing }: { thing: string }) {
  const [metrics, setMetrics] = useState<string[] | undefined>();
  const [unavailable, setUnavailable] = useState<string | undefined>();
  const [metric, setMetric] = useState<string | undefined>();
  const [range, setRange] = useState<{ from: number; to: number; label: string }>(() => rangeOf(RANGES[1]!));
  const [series, setSeries] = useState<{ points: Point[]; step: string } | undefined>();

  useEffect(() => {
    api<{ metrics: Record<string, unknown> }>(`/things/${enc(thing)}/telemetry/latest`)
      .then((r) => {
        const names = Object.keys(r.metrics).sort();
        setMetrics(names);
        setMetric((m) => m ?? names[0]);
      })
      .catch((err: unknown) =>
        setUnavailable(
          err instanceof ApiError && err.status === 404
            ? "Telemetry is not enabled on this node."
            : String((err as Error).message),
        ),
      );
  }, [thing]);

  useEffect(() => {
    if (!metric) return;
    api<{ step: string; series: Series[] }>(
      `/things/${enc(thing)}/telemetry?metric=${enc(metric)}&from=${Math.floor(range.from)}&to=${Math.ceil(range.to)}`,
    )
      .then((r) => {
        const points = (r.series[0]?.points ?? []).map(
          (p): Point => (Array.isArray(p) ? [p[0], p[1]] : [p.ts, p.avg]),
        );
        setSeries({ points, step: r.step });
      })
      .catch(() => setSeries({ points: [], step: "?" }));
  }, [thing, metric, range]);

  return html`<section class="card telemetry" aria-labelledby="telemetry-title" data-testid="telemetry">
    <h2 id="telemetry-title">Telemetry</h2>
    ${unavailable ? html`<p class="empty">${unavailable}</p>` : null}
    ${metrics && metrics.length === 0 ? html`<p class="empty">No telemetry from this thing yet.</p>` : null}
    ${
      metrics && metrics.length > 0
        ? html`<div class="row">
            <label>Metric
              <select value=${metric} onChange=${(e: Event) => setMetric((e.target as HTMLSelectElement).value)}>
                ${metrics.map((m) => html`<option value=${m}>${m}</option>`)}
              </select>
            </label>
            <span role="group" aria-label="Time range" class="ranges">
              ${RANGES.map((r) => html`<button type="button" aria-pressed=${range.label === r.label} onClick=${() => setRange(rangeOf(r))}>${r.label}</button>`)}
            </span>
          </div>
          <p class="meta">${new Date(range.from).toLocaleString()} – ${new Date(range.to).toLocaleString()}
            ${series ? ` · step ${series.step} · ${series.points.length} points` : ""}</p>
          ${
            series
              ? html`<${LineChart} points=${series.points} from=${range.from} to=${range.to} label=${`${metric} over time`}
                onSelect=${(from: number, to: number) => setRange({ from, to, label: "custom" })} />`
              : html`<p>Loading…</p>`
          }`
        : null
    }
  </section>`;
}

function rangeOf(r: { label: string; ms: number }) {
  const to = Date.now();
  return { from: to - r.ms, to, label: r.label };
}
