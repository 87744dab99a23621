// One run: its DAG (live through the events stream while it runs: no
// polling), its steps with durations and why each ran or was cached, a step's
// panel (params, inputs and outputs with versions, metrics, the log tail),
// its metrics and curves, the cancel button and, for a pipeline the server
// runs, the re-run button (views/rerun.ts).
import { ApiError, enc, getJson, postJson } from "../api";
import { drawGraph, type DrawnGraph, type GraphNode } from "../dag";
import { h } from "../dom";
import { subscribe, type Subscription } from "../events";
import * as fmt from "../format";
import type { View } from "../router";
import type { MetricValue, PipelineSummary, RunDetail, Step } from "../types";
import { artifactHref, errorBox, kv, loading, pipelineHref, runHref, section, status, stepHref } from "../widgets";
import { curveChart } from "./curve";
import { logTail } from "./log_tail";
import { rerunButton } from "./rerun";

const STEP_STATUS: Record<string, string> = {
  "step.started": "running",
  "step.retrying": "running",
  "step.succeeded": "succeeded",
  "step.failed": "failed",
  "step.cached": "cached",
  "step.skipped": "skipped",
  "step.cancelled": "cancelled",
};

export const runView: View = (root, route) => {
  const idText = route.params[0] ?? "";
  const id = Number(idText);
  const stepName = route.query.get("step");
  document.title = `Run ${idText} · mlpipe`;
  const notFound = (): HTMLElement =>
    h("div", { class: "error-box", role: "alert" }, h("p", {}, `run ${idText} not found`), h("a", { href: "/runs" }, "Back to the runs"));
  if (!Number.isInteger(id) || id <= 0) {
    root.append(notFound());
    return;
  }

  let closed = false;
  let sub: Subscription | null = null;
  let graph: DrawnGraph | null = null;
  let run: RunDetail | null = null;
  let served = false; // a pipeline this server runs: it can be re-run
  const headerBox = h("div", {});
  const graphBox = h("div", { class: "graph-box" });
  const stepsBox = h("div", {});
  const panelBox = h("div", {});
  const metricsBox = h("div", {});
  root.append(loading());

  // The run, or null once the view shows why not (unknown: "run 999 not found").
  const load = async (): Promise<RunDetail | null> => {
    try {
      return await getJson<RunDetail>(`/api/v1/runs/${id}`);
    } catch (e) {
      if (!closed) {
        root.replaceChildren(e instanceof ApiError && e.status === 404 ? notFound() : errorBox(e, { href: "/runs", text: "Back to the runs" }));
      }
      return null;
    }
  };

  const refresh = async (): Promise<void> => {
    const fresh = await load();
    if (closed || !fresh) return;
    run = fresh;
    paintHeader(run);
    for (const st of run.steps) graph?.update(st.step, st.status, stepSub(st));
    paintSteps(run);
    if (stepName) void paintPanel(run);
    if (run.status !== "running" && sub) {
      // Ended while watched: the metrics are final now.
      sub.close();
      sub = null;
      void paintMetrics(run);
    }
  };

  let pending = 0;
  const refreshSoon = (): void => {
    if (pending) return;
    pending = window.setTimeout(() => {
      pending = 0;
      void refresh();
    }, 150);
  };

  void (async () => {
    // A running run: the events stream opens, then a second read after it misses no event.
    let first = await load();
    if (closed || !first) return;
    if (first.status === "running") {
      sub = subscribe({ run: id }, (e) => {
        const step = typeof e.data.step === "string" ? e.data.step : null;
        const st = STEP_STATUS[e.kind];
        if (step && st) graph?.update(step, st, st === "running" ? "running…" : undefined);
        if (e.kind.startsWith("step.") || e.kind === "run.finished") refreshSoon();
      });
      await sub.ready;
      first = (await load()) ?? first;
    }
    if (closed) return;
    run = first;
    let def: PipelineSummary | null = null;
    try {
      def = await getJson<PipelineSummary>(`/api/v1/pipelines/${enc(first.pipeline)}`);
      served = true;
    } catch {
      // A pipeline this server does not run: the DAG comes from the steps.
    }
    if (closed) return;
    root.replaceChildren(headerBox, section("Graph", graphBox), stepsBox, panelBox, metricsBox);
    paintHeader(first);
    graphBox.replaceChildren(loading());
    paintSteps(first);
    if (stepName) void paintPanel(first);
    void paintMetrics(first);
    // Laid out in a worker (dag.ts): the page stays responsive meanwhile.
    let drawn: DrawnGraph;
    try {
      drawn = await drawGraph(...dagOf(first, def, stepName));
    } catch (e) {
      graphBox.replaceChildren(h("p", { class: "muted" }, e instanceof Error ? e.message : String(e)));
      return;
    }
    if (closed) return;
    graph = drawn;
    graphBox.replaceChildren(drawn.svg);
    // Events that came while it was laid out changed nothing drawn: one
    // re-read of a running run catches the DAG up (later events apply at once).
    if (run?.status === "running") void refresh();
  })();

  function paintHeader(r: RunDetail): void {
    const cancel =
      r.status === "running"
        ? h("button", {
            class: "danger",
            onclick: async (e: Event) => {
              const b = e.currentTarget as HTMLButtonElement;
              b.disabled = true;
              try {
                await postJson(`/api/v1/runs/${r.id}/cancel`);
                b.textContent = "Cancelling…";
              } catch (err) {
                b.disabled = false;
                b.after(h("span", { class: "error-inline" }, err instanceof Error ? err.message : String(err)));
              }
            },
          }, "Cancel run")
        : null;
    headerBox.replaceChildren(
      h("div", { class: "toolbar" }, h("h1", {}, `Run #${r.id}`), status(r.status), cancel,
        served && r.status !== "running" ? rerunButton(r) : null),
      kv([
        ["Pipeline", h("a", { href: pipelineHref(r.pipeline) }, r.pipeline)],
        ["Trigger", r.trigger || "manual"],
        ["Started", fmt.time(r.started)],
        ["Ended", fmt.time(r.ended)],
        ["Duration", fmt.duration(r.duration_s)],
        ["Params", Object.entries(r.params).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(", ") || "—"],
        ["Reuses", r.reuses_run ? h("a", { href: runHref(r.reuses_run) }, `run #${r.reuses_run}`) : "—"],
      ]),
      r.notes.length ? h("ul", { class: "notes" }, r.notes.map((n) => h("li", {}, n))) : "",
    );
  }

  function paintSteps(r: RunDetail): void {
    stepsBox.replaceChildren(
      section(
        "Steps",
        h(
          "table",
          { class: "grid" },
          h("thead", {}, h("tr", {}, ["Step", "Status", "Wall", "CPU", "Peak memory", "Why"].map((t) => h("th", {}, t)))),
          h(
            "tbody",
            {},
            r.steps.map((st) =>
              h(
                "tr",
                { class: st.step === stepName ? "selected" : "" },
                h("td", {}, h("a", { href: stepHref(r.id, st.step) }, st.step)),
                h("td", {}, status(st.status)),
                // A running step's times and memory are only known when it ends.
                h("td", { class: "num" }, st.status === "running" ? "running…" : fmt.duration(st.wall_s)),
                h("td", { class: "num" }, st.status === "running" ? "—" : fmt.duration(st.cpu_s)),
                h("td", { class: "num" }, st.status === "running" ? "—" : fmt.bytes(st.peak_rss_bytes)),
                h("td", {}, st.reason || "—"),
              ),
            ),
          ),
        ),
      ),
    );
  }

  async function paintPanel(r: RunDetail): Promise<void> {
    const st = r.steps.find((x) => x.step === stepName);
    if (!st) {
      panelBox.replaceChildren(section(`Step ${stepName}`, h("p", { class: "muted" }, "This step has not started yet.")));
      return;
    }
    let params: Record<string, unknown> | null = null;
    let reused: Node | string = "—";
    try {
      if (st.execution) {
        const ex = await getJson<{ key_record?: { params?: Record<string, unknown> } }>(`/api/v1/executions/${st.execution}`);
        params = ex.key_record?.params ?? null;
      }
      if (st.reused_from) {
        // A cached step links to the execution whose outputs it reused.
        const from = await getJson<{ run: number; step: string }>(`/api/v1/executions/${st.reused_from}`);
        reused = h("a", { href: stepHref(from.run, from.step) }, `${from.step} of run #${from.run}`);
      }
    } catch {
      // shown as unknown
    }
    if (closed) return;
    const artifactList = (m: Record<string, string>): HTMLElement =>
      Object.keys(m).length
        ? h("ul", { class: "plain" }, Object.entries(m).map(([k, label]) => h("li", {}, `${k}: `, h("a", { href: artifactHref(label) }, label))))
        : h("span", { class: "muted" }, "none");
    const live = st.status === "running";
    const logs = st.status !== "cached" && st.status !== "skipped" && st.status !== "pending";
    panelBox.replaceChildren(
      h(
        "section",
        { class: "card step-panel", id: "step-panel" },
        h("h2", {}, `Step ${st.step} `, status(st.status)),
        kv([
          ["Why", st.reason || "—"],
          ["Attempts", st.attempts],
          ["Exit code", st.exit_code ?? "—"],
          ["Started", fmt.time(st.started)],
          ["Wall time", fmt.duration(st.wall_s)],
          ["CPU time", fmt.duration(st.cpu_s)],
          ["Peak memory", fmt.bytes(st.peak_rss_bytes)],
          ["Cache key", h("code", {}, st.cache_key || "—")],
          ["Reused from", reused],
        ]),
        h("h3", {}, "Params"),
        params && Object.keys(params).length
          ? h("table", { class: "grid compact" }, h("tbody", {}, Object.entries(params).map(([k, v]) => h("tr", {}, h("td", {}, k), h("td", {}, JSON.stringify(v))))))
          : h("p", { class: "muted" }, "none"),
        h("h3", {}, "Inputs"),
        artifactList(st.inputs),
        h("h3", {}, "Outputs"),
        artifactList(st.outputs),
        logs ? [h("h3", {}, "stdout"), logTail(r.id, st.step, "stdout", live), h("h3", {}, "stderr"), logTail(r.id, st.step, "stderr", live)] : null,
      ),
    );
  }

  async function paintMetrics(r: RunDetail): Promise<void> {
    let metrics: MetricValue[];
    try {
      metrics = (await getJson<{ metrics: MetricValue[] }>(`/api/v1/runs/${r.id}/metrics`)).metrics;
    } catch {
      return;
    }
    if (closed || metrics.length === 0) return;
    const shown = stepName ? metrics.filter((m) => m.step === stepName) : metrics;
    const curves = shown.filter((m) => m.points > 1).slice(0, 4);
    metricsBox.replaceChildren(
      section(
        stepName ? `Metrics of ${stepName}` : "Metrics",
        h(
          "table",
          { class: "grid compact" },
          h("thead", {}, h("tr", {}, ["Step", "Metric", "Value", "Points"].map((t) => h("th", {}, t)))),
          h("tbody", {}, shown.map((m) =>
            h("tr", {}, h("td", {}, m.step), h("td", {}, m.test ? h("strong", {}, m.name) : m.name), h("td", { class: "num" }, fmt.num(m.value)), h("td", { class: "num" }, m.points || "—")))),
        ),
        h("div", { class: "curves" }, curves.map((m) => curveChart(r.id, m))),
      ),
    );
  }

  return () => {
    closed = true;
    sub?.close();
    if (pending) clearTimeout(pending);
  };
};

function stepSub(st: Step): string {
  if (st.status === "cached") return "cached";
  if (st.status === "running") return "running…";
  return st.wall_s !== null ? fmt.duration(st.wall_s) : st.status;
}

// The DAG's nodes and edges: the pipeline's definition when the server runs
// it (every step, even those not started), else the run's steps, linked by
// the artifact versions one wrote and another read.
function dagOf(r: RunDetail, def: PipelineSummary | null, selected: string | null): Parameters<typeof drawGraph> {
  const byName = new Map(r.steps.map((s) => [s.step, s]));
  const names = def?.steps ? def.steps.map((s) => s.name) : r.steps.map((s) => s.step);
  for (const s of r.steps) if (!names.includes(s.step)) names.push(s.step);
  const nodes: GraphNode[] = names.map((name) => {
    const st = byName.get(name);
    return {
      id: name,
      label: name,
      sub: st ? stepSub(st) : "pending",
      status: st?.status ?? "pending",
      kind: "step",
      href: stepHref(r.id, name),
      selected: name === selected,
    };
  });
  const edges: { from: string; to: string }[] = [];
  if (def?.steps) {
    for (const s of def.steps) {
      for (const input of Object.values(s.inputs)) {
        if (input.kind === "step_output") edges.push({ from: input.value.split(".")[0]!, to: s.name });
      }
      for (const a of s.after) edges.push({ from: a, to: s.name });
    }
  } else {
    const producer = new Map<string, string>();
    for (const s of r.steps) for (const label of Object.values(s.outputs)) producer.set(label, s.step);
    for (const s of r.steps) {
      for (const label of Object.values(s.inputs)) {
        const from = producer.get(label);
        if (from && from !== s.step) edges.push({ from, to: s.step });
      }
    }
  }
  return [nodes, edges];
}
