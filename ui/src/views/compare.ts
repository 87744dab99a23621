// Compare runs (/compare?runs=3,7,9): params and final metrics side by side
// with the rows that differ marked, each metric's curves overlaid (one uPlot
// series per run), and a parallel-coordinates plot of the params against a
// chosen metric (?metric=STEP.NAME). Every number links to its run.
import uPlot from "uplot";
import { ApiError, enc, getJson } from "../api";
import { h } from "../dom";
import * as fmt from "../format";
import { navigate, type View } from "../router";
import type { MetricValue, Run } from "../types";
import { errorBox, loading, runHref, section } from "../widgets";
import { chartAxis } from "./curve";
import { parallelCoordinates, type Axis } from "./parallel_coords";

// Beyond this many runs the side-by-side table would be too wide to read:
// the parallel coordinates show them all.
const SIDE_BY_SIDE_MAX = 12;
export const COMPARE_MAX = 200;
const READS_AT_ONCE = 6;
const PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777"];

export const colourOf = (i: number): string => PALETTE[i % PALETTE.length]!;

interface Compared {
  run: Run;
  metrics: Map<string, MetricValue>; // "step.name" -> final value
}

// Reads `ids` a few at a time: many runs must not open a connection each at once.
async function readAll(ids: number[]): Promise<Compared[]> {
  const out: Compared[] = new Array(ids.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < ids.length) {
      const i = next++;
      const id = ids[i]!;
      const [run, m] = await Promise.all([
        getJson<Run>(`/api/v1/runs/${id}`),
        getJson<{ metrics: MetricValue[] }>(`/api/v1/runs/${id}/metrics`),
      ]);
      out[i] = { run, metrics: new Map(m.metrics.map((x) => [`${x.step}.${x.name}`, x])) };
    }
  }
  await Promise.all(Array.from({ length: Math.min(READS_AT_ONCE, ids.length) }, worker));
  return out;
}

const shown = (v: unknown): string =>
  v === undefined ? "—" : typeof v === "number" ? fmt.num(v) : typeof v === "object" ? JSON.stringify(v) : String(v);

// A table with one column per run; a row whose values are not all equal is
// marked (class "differs", a ≠ in its first cell).
function sideBySide(runs: Compared[], params: string[], metrics: string[]): HTMLElement {
  const row = (label: string, values: unknown[], title: string): HTMLElement => {
    const texts = values.map(shown);
    const differs = new Set(texts).size > 1;
    return h("tr", { class: differs ? "differs" : "" },
      h("th", { scope: "row", title }, differs ? h("span", { class: "diff-mark", title: "the runs differ" }, "≠ ") : null, label),
      texts.map((t) => h("td", { class: `num${differs && t !== texts[0] ? " changed" : ""}` }, t)));
  };
  return h("table", { class: "grid compact compare-table" },
    h("thead", {}, h("tr", {}, h("th", {}, ""), runs.map((c, i) =>
      h("th", {}, h("span", { class: "swatch", style: `background:${colourOf(i)}` }), h("a", { href: runHref(c.run.id) }, `#${c.run.id}`))))),
    h("tbody", {},
      row("pipeline", runs.map((c) => c.run.pipeline), ""),
      row("status", runs.map((c) => c.run.status), ""),
      row("duration", runs.map((c) => fmt.duration(c.run.duration_s)), ""),
      params.length ? h("tr", { class: "group" }, h("th", { colspan: runs.length + 1 }, "Params")) : null,
      params.map((p) => row(p, runs.map((c) => c.run.params[p]), "param")),
      metrics.length ? h("tr", { class: "group" }, h("th", { colspan: runs.length + 1 }, "Metrics")) : null,
      metrics.map((m) => row(m, runs.map((c) => c.metrics.get(m)?.value ?? undefined), "final value"))));
}

interface CurveSeries {
  step: string;
  points: { iteration: number; value: number }[];
}

// One metric's curves, one series per run, on the union of their iterations.
function overlaid(runs: Compared[], key: string): HTMLElement {
  const box = h("figure", { class: "curve" }, h("figcaption", {}, key));
  const [step, ...rest] = key.split(".");
  const name = rest.join(".");
  void Promise.all(runs.map((c) => c.metrics.has(key)
    ? getJson<{ series: CurveSeries[] }>(`/api/v1/runs/${c.run.id}/metrics/${enc(name)}?step=${enc(step!)}`)
        .then((x) => x.series[0]?.points ?? []).catch(() => [])
    : Promise.resolve([]))).then((curves) => {
    if (!box.isConnected) return;
    const xs = [...new Set(curves.flatMap((pts) => pts.map((p) => p.iteration)))].sort((a, b) => a - b);
    const ys = curves.map((pts) => {
      const at = new Map(pts.map((p) => [p.iteration, p.value]));
      return xs.map((x) => at.get(x) ?? null);
    });
    const axis = chartAxis();
    new uPlot({
      width: Math.min(560, box.clientWidth || 560),
      height: 220,
      scales: { x: { time: false } },
      axes: [{ ...axis, label: "iteration" }, axis],
      series: [{ label: "iteration" }, ...runs.map((c, i) => ({ label: `#${c.run.id}`, stroke: colourOf(i), width: 1.5, spanGaps: true }))],
    }, [xs, ...ys] as uPlot.AlignedData, box);
  });
  return box;
}

function axesOf(runs: Compared[], params: string[], metric: string): Axis[] {
  const axes: Axis[] = params.map((p) => ({ name: p, values: runs.map((c) => c.run.params[p]) }));
  axes.push({ name: metric, values: runs.map((c) => c.metrics.get(metric)?.value ?? undefined), metric: true });
  return axes;
}

export function parseIds(text: string | null): number[] {
  const ids = (text ?? "").split(",").map((x) => x.trim()).filter(Boolean).map(Number);
  return [...new Set(ids.filter((x) => Number.isInteger(x) && x > 0))];
}

export const compareView: View = (root, route) => {
  const ids = parseIds(route.query.get("runs"));
  document.title = `Compare ${ids.map((i) => `#${i}`).join(", ")} · mlpipe`;
  let closed = false;
  if (ids.length < 2) {
    root.append(errorBox(new Error("pick at least two runs to compare (tick them in the runs table)"), { href: "/runs", text: "Back to the runs" }));
    return;
  }
  if (ids.length > COMPARE_MAX) {
    root.append(errorBox(new Error(`at most ${COMPARE_MAX} runs at once (${ids.length} asked)`), { href: "/runs", text: "Back to the runs" }));
    return;
  }
  root.append(h("div", { class: "toolbar" }, h("h1", {}, `Compare ${ids.length} runs`)), loading());
  void readAll(ids).then((runs) => {
    if (closed) return;
    const params = [...new Set(runs.flatMap((c) => Object.keys(c.run.params)))].sort();
    const metrics = [...new Set(runs.flatMap((c) => [...c.metrics.keys()]))].sort();
    const curves = metrics.filter((m) => runs.some((c) => (c.metrics.get(m)?.points ?? 0) > 1));
    const numeric = metrics.filter((m) => runs.some((c) => typeof c.metrics.get(m)?.value === "number"));
    const asked = route.query.get("metric");
    // The default: the first metric a step declared as its test (e.g. evaluate's).
    const isTest = (m: string): boolean => runs.some((c) => c.metrics.get(m)?.test === true);
    const metric = asked && numeric.includes(asked) ? asked : numeric.find(isTest) ?? numeric[0] ?? "";
    const picker = h("select", { name: "metric", "aria-label": "metric" }, numeric.map((m) => h("option", { value: m }, m)));
    picker.value = metric;
    picker.addEventListener("change", () => {
      navigate(`/compare?runs=${ids.join(",")}&metric=${enc(picker.value)}`, true);
    });
    root.lastElementChild!.replaceWith(h("div", {},
      runs.length <= SIDE_BY_SIDE_MAX
        ? section("Side by side", sideBySide(runs, params, metrics))
        : h("p", { class: "muted" }, `${runs.length} runs: too many side by side; the parallel coordinates show them all.`),
      curves.length && runs.length <= SIDE_BY_SIDE_MAX
        ? section("Curves", h("div", { class: "curves" }, curves.slice(0, 8).map((m) => overlaid(runs, m))))
        : null,
      metric
        ? section("Parallel coordinates", h("p", {}, "Params against ", picker, " (each line a run; click one to open it)"),
            parallelCoordinates(axesOf(runs, params, metric), runs.map((c) => c.run.id)))
        : null));
  }).catch((e) => {
    if (closed) return;
    const message = e instanceof ApiError && e.status === 404 ? new Error(e.message) : e;
    root.lastElementChild!.replaceWith(errorBox(message, { href: "/runs", text: "Back to the runs" }));
  });
  return () => {
    closed = true;
  };
};
