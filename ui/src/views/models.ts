// The model registry: every model; one model's versions with their metrics
// and source run, and each alias's moves over time with their reasons.
import { ApiError, enc, getJson } from "../api";
import { h } from "../dom";
import * as fmt from "../format";
import type { View } from "../router";
import type { AliasMove, ModelDetail, ModelSummary } from "../types";
import { artifactHref, errorBox, listView, loading, modelHref, runHref, section } from "../widgets";

export const modelsView: View = (root) =>
  listView<{ models: ModelSummary[] }>(root, "Models", "/api/v1/models", (r) =>
      r.models.length === 0
        ? h("p", { class: "muted" }, "No registered models yet (a pipeline's register: block, or mlpipe models register).")
        : h("table", { class: "grid" },
            h("thead", {}, h("tr", {}, ["Model", "Description", "Versions", "Aliases", "Created"].map((t) => h("th", {}, t)))),
            h("tbody", {}, r.models.map((m) => h("tr", {},
              h("td", {}, h("a", { href: modelHref(m.name) }, m.name)),
              h("td", {}, m.description || "—"),
              h("td", { class: "num" }, `${m.versions} (latest v${m.latest})`),
              h("td", {}, Object.entries(m.aliases).map(([a, v]) => h("span", { class: "tag" }, `${a} → v${v}`))),
              h("td", {}, fmt.time(m.created)))))),
  );

export const modelView: View = (root, route) => {
  const name = route.params[0] ?? "";
  document.title = `${name} · mlpipe`;
  let closed = false;
  root.append(loading());
  void (async () => {
    let m: ModelDetail;
    try {
      m = await getJson<ModelDetail>(`/api/v1/models/${enc(name)}`);
    } catch (e) {
      if (closed) return;
      root.replaceChildren(
        errorBox(e instanceof ApiError && e.status === 404 ? new Error(`model ${name} not found`) : e, { href: "/models", text: "Back to the models" }),
      );
      return;
    }
    if (closed) return;
    // Metric columns: the union over versions, test metrics (evaluate.*) first.
    const metricNames = [...new Set(m.versions.flatMap((v) => Object.keys(v.metrics)))].sort(
      (a, b) => Number(!a.startsWith("evaluate.")) - Number(!b.startsWith("evaluate.")) || a.localeCompare(b),
    ).slice(0, 8);
    const history = h("div", {}, loading());
    root.replaceChildren(
      h("div", { class: "toolbar" }, h("h1", {}, `Model ${m.name}`), m.aliases.map((a) => h("span", { class: "tag" }, `${a.alias} → v${a.version}`))),
      m.description ? h("p", {}, m.description) : "",
      section(
        "Versions",
        h("div", { class: "table-scroll" },
          h("table", { class: "grid compact" },
            h("thead", {}, h("tr", {}, ["Version", "Aliases", "Source", "Run", "Created", ...metricNames].map((t) => h("th", {}, t)))),
            h("tbody", {}, [...m.versions].reverse().map((v) => h("tr", {},
              h("td", {}, v.label),
              h("td", {}, v.aliases.map((a) => h("span", { class: "tag" }, a))),
              h("td", {}, h("a", { href: artifactHref(v.source || v.ref) }, v.source || fmt.shortDigest(v.ref))),
              h("td", {}, v.run ? h("a", { href: runHref(v.run) }, `#${v.run}`) : "—"),
              h("td", {}, fmt.time(v.created)),
              metricNames.map((k) => h("td", { class: "num" }, fmt.num(v.metrics[k])))))))),
      ),
      section("Alias history", history),
    );
    const parts = await Promise.all(
      m.aliases.map((a) =>
        getJson<{ history: AliasMove[] }>(`/api/v1/models/${enc(name)}/aliases/${enc(a.alias)}/history`)
          .then((r) => r.history.map((x) => ({ alias: a.alias, ...x })))
          .catch(() => []),
      ),
    );
    if (closed) return;
    const moves = parts.flat().sort((a, b) => (b.changed ?? "").localeCompare(a.changed ?? ""));
    history.replaceChildren(
      moves.length === 0
        ? h("p", { class: "muted" }, "No alias moves.")
        : h("table", { class: "grid compact" },
            h("thead", {}, h("tr", {}, ["When", "Alias", "Move", "Reason"].map((t) => h("th", {}, t)))),
            h("tbody", {}, moves.map((x) => h("tr", {},
              h("td", {}, fmt.time(x.changed)),
              h("td", {}, x.alias),
              h("td", {}, `${x.from === null ? "created" : `v${x.from}`} → ${x.to === null ? "deleted" : `v${x.to}`}`),
              h("td", {}, x.reason || "—"))))),
    );
  })();
  return () => {
    closed = true;
  };
};
