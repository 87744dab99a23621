// A metric's curve (GET /api/v1/runs/{id}/metrics/{name}) drawn by uPlot.
import uPlot from "uplot";
import { enc, getJson } from "../api";
import { h } from "../dom";
import type { MetricValue } from "../types";

interface Series {
  step: string;
  points: { iteration: number; value: number }[];
}

// uPlot draws on a canvas: its axes take the colour scheme's colours here.
export function chartAxis(): uPlot.Axis {
  const dark = matchMedia("(prefers-color-scheme: dark)").matches;
  return { stroke: dark ? "#bbb" : "#444", grid: { stroke: dark ? "#333" : "#e4e4e4" } };
}

export function curveChart(run: number, m: MetricValue): HTMLElement {
  const box = h("figure", { class: "curve" }, h("figcaption", {}, `${m.step}.${m.name}`));
  void getJson<{ series: Series[] }>(`/api/v1/runs/${run}/metrics/${enc(m.name)}?step=${enc(m.step)}`).then((c) => {
    const s = c.series[0];
    if (!s || !box.isConnected) return;
    const axis = chartAxis();
    new uPlot(
      {
        width: Math.min(520, box.clientWidth || 520),
        height: 200,
        scales: { x: { time: false } },
        axes: [{ ...axis, label: "iteration" }, axis],
        series: [{ label: "iteration" }, { label: m.name, stroke: "#3b82f6", width: 1.5 }],
        legend: { show: true },
      },
      [s.points.map((p) => p.iteration), s.points.map((p) => p.value)],
      box,
    );
  }).catch(() => box.append(h("p", { class: "muted" }, "curve unavailable")));
  return box;
}
