// A parallel-coordinates plot in plain SVG (no library: about 80 lines beat a
// charting package's weight): one vertical axis per param, the chosen metric
// last, one polyline per run coloured by that metric (low blue, high red).
// A numeric axis is linear between its min and max; any other axis places its
// distinct values evenly. Each line is a link to its run.
import { s } from "../dom";
import * as fmt from "../format";
import { runHref } from "../widgets";

export interface Axis {
  name: string;
  values: unknown[]; // one per run; undefined: the run has none
  metric?: boolean;
}

const H = 260;
const TOP = 24;
const BOTTOM = 30;
const STEP = 140;
const LEFT = 50;
const RIGHT = 100; // the metric's name and ticks

interface Scale {
  at: (v: unknown) => number | null; // 0 (bottom) .. 1 (top); null: no value
  ticks: { pos: number; text: string }[];
}

function scaleOf(values: unknown[]): Scale {
  const present = values.filter((v) => v !== undefined && v !== null);
  if (present.length > 0 && present.every((v) => typeof v === "number")) {
    const nums = present as number[];
    const lo = Math.min(...nums);
    const hi = Math.max(...nums);
    const span = hi - lo || 1;
    const at = (v: unknown): number | null => (typeof v === "number" ? (hi === lo ? 0.5 : (v - lo) / span) : null);
    return { at, ticks: hi === lo ? [{ pos: 0.5, text: fmt.num(lo) }] : [{ pos: 0, text: fmt.num(lo) }, { pos: 1, text: fmt.num(hi) }] };
  }
  const key = (v: unknown): string => (typeof v === "object" ? JSON.stringify(v) : String(v));
  const cats = [...new Set(present.map(key))].sort();
  const pos = (i: number): number => (cats.length === 1 ? 0.5 : i / (cats.length - 1));
  return {
    at: (v) => (v === undefined || v === null ? null : pos(cats.indexOf(key(v)))),
    ticks: cats.slice(0, 12).map((c, i) => ({ pos: pos(i), text: c.length > 14 ? `${c.slice(0, 13)}…` : c })),
  };
}

// Blue (low) to red (high) through grey.
function heat(t: number): string {
  const hue = 220 - 220 * Math.max(0, Math.min(1, t));
  return `hsl(${hue.toFixed(0)} 70% 50%)`;
}

export function parallelCoordinates(axes: Axis[], runs: number[]): SVGElement {
  const width = LEFT + RIGHT + STEP * Math.max(1, axes.length - 1);
  const scales = axes.map((a) => scaleOf(a.values));
  const y = (t: number): number => TOP + (1 - t) * (H - TOP - BOTTOM);
  const x = (i: number): number => LEFT + i * STEP;
  const metricScale = scales[scales.length - 1]!;
  const metricValues = axes[axes.length - 1]!.values;
  const lines = runs.map((id, r) => {
    const pts: [number, number][] = [];
    axes.forEach((_, i) => {
      const t = scales[i]!.at(axes[i]!.values[r]);
      if (t !== null) pts.push([x(i), y(t)]);
    });
    const m = metricScale.at(metricValues[r]);
    const colour = m === null ? "var(--muted)" : heat(m);
    const tip = axes.map((a) => `${a.name}=${fmt.num(a.values[r])}`).join(" ");
    // A dot where the line meets each axis: a run with one value still
    // shows, and a level line (no height) can still be pointed at.
    return s("a", { href: runHref(id), class: "pc-line", "data-run": id },
      s("title", {}, `run #${id}: ${tip}`),
      s("polyline", { points: pts.map(([px, py]) => `${px},${py.toFixed(1)}`).join(" "), stroke: colour }),
      pts.map(([px, py]) => s("circle", { cx: px, cy: py.toFixed(1), r: 3.5, fill: colour })));
  });
  const axisEls = axes.map((a, i) => s("g", { class: a.metric ? "pc-axis metric" : "pc-axis" },
    s("line", { x1: x(i), x2: x(i), y1: y(0), y2: y(1) }),
    s("text", { x: x(i), y: TOP - 8, class: "pc-name" }, a.name),
    scales[i]!.ticks.map((t) => s("text", { x: x(i) + 4, y: y(t.pos) + 4, class: "pc-tick" }, t.text))));
  return s("svg", { class: "parallel", width, height: H, viewBox: `0 0 ${width} ${H}`, role: "img",
    "aria-label": `parallel coordinates of ${runs.length} runs` }, lines, axisEls);
}
