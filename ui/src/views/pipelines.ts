// The pipelines the server runs: their triggers and last runs; one pipeline
// with its graph, each trigger's last fire and its reason, and a button to
// start a run (POST, with the token). A schedule's next fire time is the
// API's (`next_fire_ns`), never computed here.
import { ApiError, enc, getJson, postJson } from "../api";
import { drawGraph } from "../dag";
import { h } from "../dom";
import * as fmt from "../format";
import type { View } from "../router";
import type { PipelineSummary, Trigger } from "../types";
import { errorBox, listView, kv, loading, pipelineHref, runHref, section, status } from "../widgets";

function triggerText(t: Trigger): string {
  const skip = new Set(["id", "kind", "line", "column", "name", "paused", "pipeline", "next_fire_ns"]);
  const rest = Object.entries(t).filter(([k]) => !skip.has(k)).map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`);
  return `${t.kind}${t.name && t.name !== t.kind ? ` ${t.name}` : ""}${rest.length ? ` (${rest.join(", ")})` : ""}${t.paused ? " [paused]" : ""}`;
}

function lastRuns(p: PipelineSummary): HTMLElement {
  if (p.last_runs.length === 0) return h("span", { class: "muted" }, "no runs yet");
  return h("span", { class: "last-runs" }, p.last_runs.map((r) =>
    h("a", { href: runHref(r.id), title: `${r.status}, ${fmt.timeNs(r.started_ns)}` }, `#${r.id} `, status(r.status))));
}

interface Fire {
  id: number;
  trigger: string;
  reason: string;
  state: string;
  detail: string;
  run: number | null;
  fired_ns: number;
}

// The trigger's newest fire among `fires` (newest first): when, why, what became of it.
function nextFire(t: Trigger): HTMLElement | null {
  if (typeof t.next_fire_ns !== "number") return null;
  const due = t.next_fire_ns <= Date.now() * 1e6;
  return h("span", { class: "next-fire" }, due ? "next fire: due now" : `next fire: ${fmt.timeNs(t.next_fire_ns)}`, h("br"));
}

function lastFire(t: Trigger, fires: Fire[]): HTMLElement {
  const f = fires.find((x) => x.trigger === t.id);
  if (!f) return h("span", { class: "muted" }, "never fired (in the last 200 fires)");
  return h("span", { class: "last-fire" }, `last fire ${f.id}: ${fmt.timeNs(f.fired_ns)}, ${f.reason || "no reason recorded"} → `,
    status(f.state), f.run ? [" ", h("a", { href: runHref(f.run) }, `run #${f.run}`)] : null);
}

export const pipelinesView: View = (root) =>
  listView<{ pipelines: PipelineSummary[] }>(root, "Pipelines", "/api/v1/pipelines", (r) =>
      r.pipelines.length === 0
        ? h("p", { class: "muted" }, "This server runs no pipelines.")
        : h("table", { class: "grid" },
            h("thead", {}, h("tr", {}, ["Pipeline", "Triggers", "Last runs", "Brakes"].map((t) => h("th", {}, t)))),
            h("tbody", {}, r.pipelines.map((p) => h("tr", {},
              h("td", {}, h("a", { href: pipelineHref(p.name) }, p.name)),
              h("td", {}, p.triggers.length ? h("ul", { class: "plain" }, p.triggers.map((t) =>
                h("li", {}, triggerText(t), typeof t.next_fire_ns === "number" ? [h("br"), nextFire(t)] : null))) : "none"),
              h("td", {}, lastRuns(p)),
              h("td", {}, `concurrency ${p.concurrency}, cooldown ${fmt.duration(p.cooldown_s)}${p.max_runs_per_day ? `, ${p.max_runs_per_day}/day` : ""}`))))),
  );

export const pipelineView: View = (root, route) => {
  const name = route.params[0] ?? "";
  document.title = `${name} · mlpipe`;
  let closed = false;
  root.append(loading());
  void (async () => {
    let p: PipelineSummary;
    let summary: PipelineSummary | undefined;
    let fires: Fire[];
    try {
      [p, summary, fires] = await Promise.all([
        getJson<PipelineSummary>(`/api/v1/pipelines/${enc(name)}`),
        getJson<{ pipelines: PipelineSummary[] }>("/api/v1/pipelines").then((r) => r.pipelines.find((x) => x.name === name)),
        getJson<{ fires: Fire[] }>(`/api/v1/fires?pipeline=${enc(name)}&limit=200`).then((r) => r.fires),
      ]);
    } catch (e) {
      if (closed) return;
      root.replaceChildren(errorBox(
        e instanceof ApiError && e.status === 404 ? new Error(`pipeline ${name} is not run by this server`) : e,
        { href: "/pipelines", text: "Back to the pipelines" }));
      return;
    }
    if (closed) return;
    const message = h("span", { class: "muted" });
    const runButton = h("button", {
      class: "primary",
      onclick: async () => {
        runButton.disabled = true;
        try {
          const r = await postJson<{ fire: { id: number; state: string } }>(`/api/v1/pipelines/${enc(name)}/runs`);
          message.textContent = `fire ${r.fire.id}: ${r.fire.state}`;
        } catch (e) {
          message.textContent = e instanceof Error ? e.message : String(e);
        } finally {
          runButton.disabled = false;
        }
      },
    }, "Run now");
    const steps = p.steps ?? [];
    const edges = steps.flatMap((s) => [
      ...Object.values(s.inputs).filter((i) => i.kind === "step_output").map((i) => ({ from: i.value.split(".")[0]!, to: s.name })),
      ...s.after.map((a) => ({ from: a, to: s.name })),
    ]);
    const graphBox = h("div", { class: "graph-box" }, loading());
    root.replaceChildren(
      h("div", { class: "toolbar" }, h("h1", {}, `Pipeline ${p.name}`), runButton, message),
      p.description ? h("p", {}, p.description) : "",
      kv([
        ["Spec", h("code", {}, p.spec)],
        ["Triggers", p.triggers.length ? h("ul", { class: "plain triggers" }, p.triggers.map((t) =>
          h("li", {}, triggerText(t), h("br"), nextFire(t), lastFire(t, fires)))) : "none"],
        ["Fires by hand", lastFire({ id: "api", kind: "api" }, fires)],
        ["Last runs", summary ? lastRuns(summary) : "—"],
        ["All runs", h("a", { href: `/runs?pipeline=${enc(p.name)}` }, `runs of ${p.name}`)],
      ]),
      section("Graph", graphBox),
    );
    const graph = await drawGraph(
      steps.map((s) => ({ id: s.name, label: s.name, sub: s.outputs.map((o) => o.name).join(", "), kind: "step" })), edges);
    if (!closed) graphBox.replaceChildren(graph.svg);
  })();
  return () => {
    closed = true;
  };
};
