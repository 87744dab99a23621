// The monitoring record (GET /api/v1/series): one series over time, a line per
// label set (a pipeline, a step, a deployment's variant), drawn by uPlot, with
// each label set's newest value.
import uPlot from "uplot";
import { enc, getJson } from "../api";
import { h } from "../dom";
import * as fmt from "../format";
import { navigate, type View } from "../router";
import { errorBox, loading, section } from "../widgets";
import { chartAxis } from "./curve";

// The series the server records, with how to show a value.
const SERIES: [string, string, (v: number) => string][] = [
  ["mlpipe_run_duration_seconds", "retraining: run duration", fmt.duration],
  ["mlpipe_run_queue_seconds", "retraining: time in the queue", fmt.duration],
  ["mlpipe_change_to_run_finished_seconds", "retraining: data change to run finished", fmt.duration],
  ["mlpipe_step_duration_seconds", "steps: wall time", fmt.duration],
  ["mlpipe_step_cpu_seconds", "steps: CPU time", fmt.duration],
  ["mlpipe_step_peak_rss_bytes", "steps: peak memory", fmt.bytes],
  ["mlpipe_inference_latency_seconds", "inference: latency quantiles", fmt.duration],
  ["mlpipe_inference_requests_total", "inference: requests", fmt.num],
  ["mlpipe_inference_errors_total", "inference: errors", fmt.num],
  ["mlpipe_drift_psi", "drift: PSI per feature", fmt.num],
  ["mlpipe_estimated_accuracy", "performance: estimated accuracy (CBPE)", fmt.num],
  ["mlpipe_realised_accuracy", "performance: realised accuracy", fmt.num],
];
const COLOURS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777"];

interface Point {
  labels: string;
  time_ns: number;
  value: number;
}

export const monitoringView: View = (root, route) => {
  document.title = "Monitoring · mlpipe";
  const name = route.query.get("series") ?? SERIES[0]![0];
  const show = SERIES.find(([n]) => n === name)?.[2] ?? fmt.num;
  let closed = false;
  const select = h("select", { name: "series", "aria-label": "series" },
    SERIES.map(([n, title]) => h("option", { value: n }, title)));
  select.value = name;
  select.addEventListener("change", () => navigate(`/monitoring?series=${enc(select.value)}`, true));
  const body = h("div", {}, loading());
  root.append(h("div", { class: "toolbar" }, h("h1", {}, "Monitoring"), select), body);
  getJson<{ points: Point[] }>(`/api/v1/series?name=${enc(name)}`)
    .then(({ points }) => {
      if (closed) return;
      if (points.length === 0) {
        body.replaceChildren(h("p", { class: "muted" }, "No points yet: the server records them as its runs end and as it scrapes its deployments."));
        return;
      }
      // One x axis for every label set: the union of their times (seconds), gaps as null.
      const sets = [...new Set(points.map((p) => p.labels))];
      const xs = [...new Set(points.map((p) => p.time_ns))].sort((a, b) => a - b);
      const index = new Map(xs.map((t, i) => [t, i]));
      const ys = sets.map(() => xs.map((): number | null => null));
      for (const p of points) ys[sets.indexOf(p.labels)]![index.get(p.time_ns)!] = p.value;
      const chart = h("div", { class: "series-chart" });
      const latest = sets.map((labels) => points.filter((p) => p.labels === labels).at(-1)!);
      body.replaceChildren(
        section(`${name} (${points.length} points)`, chart),
        section("Newest value per label set",
          h("table", { class: "grid compact" },
            h("thead", {}, h("tr", {}, ["Labels", "Value", "When"].map((t) => h("th", {}, t)))),
            h("tbody", {}, latest.map((p) => h("tr", {}, h("td", {}, h("code", {}, p.labels || "—")), h("td", { class: "num" }, show(p.value)), h("td", {}, fmt.timeNs(p.time_ns))))))),
      );
      const axis = chartAxis();
      new uPlot(
        {
          width: Math.max(300, Math.min(1100, chart.clientWidth || 800)),
          height: 280,
          axes: [axis, { ...axis, values: (_u: uPlot, vals: number[]) => vals.map(show), size: 80 }],
          series: [{}, ...sets.map((labels, i) => ({ label: labels || name, stroke: COLOURS[i % COLOURS.length], width: 1.5, spanGaps: true, points: { show: true, size: 5 } }))],
        },
        [xs.map((t) => t / 1e9), ...ys],
        chart,
      );
    })
    .catch((e) => {
      if (!closed) body.replaceChildren(errorBox(e, { href: "/runs", text: "Back to the runs" }));
    });
  return () => {
    closed = true;
  };
};
