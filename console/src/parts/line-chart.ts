import { html } from "htm/preact";
import { useState } from "preact/hooks";

export type Point = [ts: number, value: number];

const W = 720;
const H = 200;
const PAD = { left: 56, right: 12, top: 10, bottom: 24 };

/** An SVG line chart of one series over [from, to]; dragging across it selects a narrower range. */
export function LineChart({
  points,
  from,
  to,
  label,
  onSelect,
}: {
  points: Point[];
  from: number;
  to: number;
  label: string;
  onSelect: (from: number, to: number) => void;
}) {
  const [drag, setDrag] = useState<{ a: number; b: number } | undefined>();
  if (points.length === 0) return html`<p class="empty">No samples in this range.</p>`;
  const values = points.map((p) => p[1]);
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (lo === hi) {
    lo -= 1;
    hi += 1;
  }
  const x = (t: number) => PAD.left + ((t - from) / (to - from)) * (W - PAD.left - PAD.right);
  const y = (v: number) => PAD.top + (1 - (v - lo) / (hi - lo)) * (H - PAD.top - PAD.bottom);
  const path = points
    .map((p, i) => `${i === 0 ? "M" : "L"}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`)
    .join("");
  const timeAt = (clientX: number, svg: SVGSVGElement) => {
    const box = svg.getBoundingClientRect();
    const px = ((clientX - box.left) / box.width) * W;
    return from + ((px - PAD.left) / (W - PAD.left - PAD.right)) * (to - from);
  };
  const last = points[points.length - 1]!;

  return html`<figure class="chart">
    <svg viewBox=${`0 0 ${W} ${H}`} role="img" aria-label=${`${label}: ${points.length} points, last ${last[1]}`}
      onPointerDown=${(e: PointerEvent) => {
        const t = timeAt(e.clientX, e.currentTarget as SVGSVGElement);
        setDrag({ a: t, b: t });
      }}
      onPointerMove=${(e: PointerEvent) => drag && setDrag({ a: drag.a, b: timeAt(e.clientX, e.currentTarget as SVGSVGElement) })}
      onPointerUp=${() => {
        if (drag && Math.abs(drag.b - drag.a) > (to - from) / 100)
          onSelect(Math.min(drag.a, drag.b), Math.max(drag.a, drag.b));
        setDrag(undefined);
      }}>
      <line x1=${PAD.left} y1=${H - PAD.bottom} x2=${W - PAD.right} y2=${H - PAD.bottom} class="axis" />
      <line x1=${PAD.left} y1=${PAD.top} x2=${PAD.left} y2=${H - PAD.bottom} class="axis" />
      <text x=${PAD.left - 6} y=${PAD.top + 10} text-anchor="end" class="tick">${fmt(hi)}</text>
      <text x=${PAD.left - 6} y=${H - PAD.bottom} text-anchor="end" class="tick">${fmt(lo)}</text>
      <text x=${PAD.left} y=${H - 6} class="tick">${new Date(from).toLocaleTimeString()}</text>
      <text x=${W - PAD.right} y=${H - 6} text-anchor="end" class="tick">${new Date(to).toLocaleTimeString()}</text>
      <path d=${path} class="line" />
      ${drag ? html`<rect class="selection" x=${x(Math.min(drag.a, drag.b))} y=${PAD.top} width=${Math.abs(x(drag.b) - x(drag.a))} height=${H - PAD.top - PAD.bottom} />` : null}
    </svg>
    <figcaption class="hint">Drag across the chart to zoom into a range.</figcaption>
  </figure>`;
}

function fmt(v: number): string {
  return Math.abs(v) >= 1000 || Number.isInteger(v) ? String(Math.round(v)) : v.toPrecision(4);
}
