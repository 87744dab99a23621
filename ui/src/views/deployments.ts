// Deployments: each one's current variants and weights with its active
// rollout; one deployment's rollouts (with Promote and Roll back while one is
// active) and its history (revisions and decision records merged by time,
// each with its reason).
import { ApiError, enc, getJson, postJson } from "../api";
import { subscribe } from "../events";
import { h } from "../dom";
import * as fmt from "../format";
import type { View } from "../router";
import { errorBox, listView, kv, loading, modelHref, runHref, section, status } from "../widgets";

interface Variant {
  name: string;
  alias?: string;
  version?: number;
  package?: string;
  weight?: number;
}
interface Rollout {
  id: number;
  model: string;
  candidate_version: number;
  champion_version: number | null;
  run: number | null;
  state: string;
  phase: string;
  step_index: number;
  detail: string;
  created: string | null;
  updated: string | null;
}
interface Revision {
  deployment: string;
  model: string;
  revision: number;
  config: { variants?: Variant[] } & Record<string, unknown>;
  source: string;
  actor: string;
  reason: string;
  created: string | null;
  active_rollout?: Rollout | null;
  rollouts?: Rollout[];
}
interface Decision {
  id: number;
  time: string | null;
  kind: string;
  verdict: string;
  reason: string;
  actor: string;
}

export const deploymentHref = (name: string): string => `/deployments/${enc(name)}`;

function variants(r: Revision): HTMLElement {
  const vs = r.config.variants ?? [];
  if (vs.length === 0) return h("pre", { class: "json" }, JSON.stringify(r.config, null, 2));
  const total = vs.reduce((a, v) => a + (v.weight ?? 0), 0) || 1;
  return h("table", { class: "grid compact" },
    h("thead", {}, h("tr", {}, ["Variant", "Follows", "Weight", "Traffic"].map((t) => h("th", {}, t)))),
    h("tbody", {}, vs.map((v) => h("tr", {},
      h("td", {}, v.name),
      h("td", {}, v.alias ? `alias ${v.alias}` : v.version !== undefined ? `version ${v.version}` : v.package ?? "—"),
      h("td", { class: "num" }, fmt.num(v.weight ?? 0)),
      h("td", { class: "num" }, `${(((v.weight ?? 0) / total) * 100).toFixed(1)} %`)))));
}

function rolloutText(r: Rollout): string {
  return `rollout ${r.id}: ${r.model} v${r.candidate_version}${r.champion_version !== null ? ` against v${r.champion_version}` : ""}, ${r.phase}${r.phase === "steps" ? ` step ${r.step_index + 1}` : ""}`;
}

export const deploymentsView: View = (root) =>
  listView<{ deployments: Revision[] }>(root, "Deployments", "/api/v1/deployments", (r) =>
      r.deployments.length === 0
        ? h("p", { class: "muted" }, "No deployments (mlpipe deployments apply, docs/deployments.md).")
        : h("div", {}, r.deployments.map((d) => section(d.deployment,
            kv([
              ["Model", h("a", { href: modelHref(d.model) }, d.model)],
              ["Revision", `${d.revision}: ${d.reason || "—"} (${d.actor}, ${fmt.time(d.created)})`],
              ["Rollout", d.active_rollout ? h("span", {}, rolloutText(d.active_rollout), " ", status(d.active_rollout.state)) : "none active"],
            ]),
            variants(d),
            h("p", {}, h("a", { href: deploymentHref(d.deployment) }, "rollouts and history"))))),
  );

// Promote and Roll back on an active rollout (POST /api/v1/rollouts/ID/...,
// the token asked for when there is none); the view then reads the
// deployment again, and follows the rollout's events as the controller
// finishes what was asked (a promotion ends once the champion arm serves it).
function rolloutActions(r: Rollout, done: () => void): HTMLElement | null {
  const canPromote = r.state === "running" || r.state === "paused";
  const canRollBack = ["infra_gate", "running", "paused", "waiting"].includes(r.state);
  if (!canPromote && !canRollBack) return null;
  const message = h("span", { class: "muted action-result", role: "status" }, "");
  const act = (what: "promote" | "rollback", button: HTMLButtonElement) => async (): Promise<void> => {
    button.disabled = true;
    message.textContent = "";
    try {
      const after = await postJson<Rollout>(`/api/v1/rollouts/${r.id}/${what}`);
      message.textContent = `rollout ${after.id} ${after.state.replace("_", " ")}`;
      done();
    } catch (e) {
      button.disabled = false;
      message.textContent = e instanceof Error ? e.message : String(e);
      message.className = "error-inline";
    }
  };
  const promote = h("button", { type: "button", class: "primary promote" }, "Promote");
  const rollback = h("button", { type: "button", class: "danger rollback" }, "Roll back");
  promote.addEventListener("click", act("promote", promote));
  rollback.addEventListener("click", act("rollback", rollback));
  return h("span", { class: "actions" }, canPromote ? promote : null, canRollBack ? rollback : null, message);
}

export const deploymentView: View = (root, route) => {
  const name = route.params[0] ?? "";
  document.title = `${name} · mlpipe`;
  let closed = false;
  let pending: ReturnType<typeof setTimeout> | null = null;
  root.append(loading());
  const paint = async (): Promise<void> => {
    let d: Revision;
    let history: ({ revision: Revision } | { decision: Decision })[];
    try {
      [d, history] = await Promise.all([
        getJson<Revision>(`/api/v1/deployments/${enc(name)}`),
        getJson<{ history: ({ revision: Revision } | { decision: Decision })[] }>(`/api/v1/deployments/${enc(name)}/history?limit=100`).then((x) => x.history),
      ]);
    } catch (e) {
      if (closed) return;
      root.replaceChildren(errorBox(e instanceof ApiError && e.status === 404 ? new Error(`deployment ${name} not found`) : e,
        { href: "/deployments", text: "Back to the deployments" }));
      return;
    }
    if (closed) return;
    const again = (): void => void paint();
    root.replaceChildren(
      h("div", { class: "toolbar" }, h("h1", {}, `Deployment ${d.deployment}`), h("a", { href: modelHref(d.model) }, d.model)),
      section(`Now: revision ${d.revision}`, variants(d)),
      section("Rollouts", (d.rollouts ?? []).length === 0 ? h("p", { class: "muted" }, "none") :
        h("table", { class: "grid compact" },
          h("thead", {}, h("tr", {}, ["Rollout", "State", "Run", "Detail", "Updated", ""].map((t) => h("th", {}, t)))),
          h("tbody", {}, (d.rollouts ?? []).map((r) => h("tr", { "data-rollout": r.id },
            h("td", {}, rolloutText(r)), h("td", {}, status(r.state)),
            h("td", {}, r.run ? h("a", { href: runHref(r.run) }, `#${r.run}`) : "—"),
            h("td", {}, r.detail || "—"), h("td", {}, fmt.time(r.updated)), h("td", {}, rolloutActions(r, again))))))),
      section("History", history.length === 0 ? h("p", { class: "muted" }, "none") :
        h("table", { class: "grid compact" },
          h("thead", {}, h("tr", {}, ["When", "What", "Verdict", "Reason"].map((t) => h("th", {}, t)))),
          h("tbody", {}, history.map((x) => "revision" in x
            ? h("tr", {}, h("td", {}, fmt.time(x.revision.created)), h("td", {}, `revision ${x.revision.revision} by ${x.revision.actor}`), h("td", {}, "—"), h("td", {}, x.revision.reason || "—"))
            : h("tr", {}, h("td", {}, fmt.time(x.decision.time)), h("td", {}, `decision ${x.decision.id}: ${x.decision.kind}`), h("td", {}, status(x.decision.verdict)), h("td", {}, x.decision.reason || "—")))))),
    );
  };
  void paint();
  // The controller's moves (a step, a pause, the end) change the weights:
  // read again on each of this deployment's rollout events, at most every
  // 300 ms, and once the stream is open (a move between the first read and
  // the stream's start would be missed otherwise).
  const schedule = (): void => {
    if (pending) return;
    pending = setTimeout(() => {
      pending = null;
      if (!closed) void paint();
    }, 300);
  };
  const sub = subscribe({}, (e) => {
    if (e.kind.startsWith("rollout.") && e.data.deployment === name) schedule();
  });
  void sub.ready.then(schedule);
  return () => {
    closed = true;
    sub.close();
    if (pending) clearTimeout(pending);
  };
};
