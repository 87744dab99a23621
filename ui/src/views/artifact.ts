// One artifact: its versions, size, digest, producer and consumers, a preview
// by its content type (views/preview.ts), and its lineage graph up (where it
// came from) or down (what was made from it), every node a link.
import { ApiError, apiFetch, enc, getJson } from "../api";
import { drawGraph, type GraphNode } from "../dag";
import { h } from "../dom";
import * as fmt from "../format";
import type { View } from "../router";
import type { ArtifactDetail, Lineage } from "../types";
import { artifactHref, errorBox, kv, loading, modelHref, runHref, section, status, stepHref } from "../widgets";
import { PREVIEWABLE, preview } from "./preview";

const PREVIEW_MAX_BYTES = 2 << 20;

export const artifactView: View = (root, route) => {
  const ref = route.params[0] ?? "";
  const direction = route.query.get("lineage") === "down" ? "down" : "up";
  document.title = `${ref} · mlpipe`;
  let closed = false;
  const cleanups: (() => void)[] = [];
  root.append(loading());
  void (async () => {
    let a: ArtifactDetail;
    try {
      a = await getJson<ArtifactDetail>(`/api/v1/artifacts/${enc(ref)}`);
    } catch (e) {
      if (closed) return;
      root.replaceChildren(
        e instanceof ApiError && e.status === 404
          ? errorBox(new Error(`artifact ${ref} not found`), { href: "/runs", text: "Back to the runs" })
          : errorBox(e, { href: "/runs", text: "Back to the runs" }),
      );
      return;
    }
    if (closed) return;
    const preview = h("div", { class: "preview" }, loading());
    const lineage = h("div", { class: "graph-box" }, loading());
    const other = direction === "up" ? "down" : "up";
    root.replaceChildren(
      h("div", { class: "toolbar" }, h("h1", {}, a.label || fmt.shortDigest(a.ref)), h("span", { class: "tag" }, a.type)),
      kv([
        ["Digest", h("code", {}, a.ref)],
        ["Size", `${fmt.bytes(a.size)}${a.is_dir ? " (folder)" : ""}`],
        ["Created", fmt.time(a.created)],
        ["Stored", a.stored ? (a.is_dir ? "yes" : h("span", {}, "yes ", downloadButton(a))) : `no: ${a.absent?.why ?? "unknown"}`],
        ["Producer", a.producer
          ? h("span", {}, h("a", { href: stepHref(a.producer.run, a.producer.step) }, `${a.producer.step} of run #${a.producer.run}`), " ", status(a.producer.status))
          : "a source (no producer)"],
        ["Consumers", a.consumers.length
          ? h("ul", { class: "plain" }, a.consumers.map((c) => h("li", {}, h("a", { href: stepHref(c.run, c.step) }, `${c.step} of run #${c.run}`), ` as ${c.as}`)))
          : "none"],
        ["Models", a.models.length
          ? h("ul", { class: "plain" }, a.models.map((m) => h("li", {}, m.name ? h("a", { href: modelHref(m.name) }, m.label ?? `${m.name}:v${m.version}`) : JSON.stringify(m))))
          : "none"],
      ]),
      section(
        "Versions",
        h("table", { class: "grid compact" },
          h("thead", {}, h("tr", {}, ["Version", "Digest", "Created", "Run"].map((t) => h("th", {}, t)))),
          h("tbody", {}, a.versions.map((v) => h("tr", {},
            h("td", {}, h("a", { href: artifactHref(v.label) }, v.label)),
            h("td", {}, h("code", {}, fmt.shortDigest(v.ref))),
            h("td", {}, fmt.time(v.created)),
            h("td", {}, v.producer ? h("a", { href: runHref(v.producer.run) }, `#${v.producer.run}`) : "—"))))),
      ),
      section("Preview", preview),
      section(
        "Lineage",
        h("p", { class: "lineage-switch" },
          direction === "up" ? h("strong", {}, "where it came from") : h("a", { href: `${artifactHref(ref)}?lineage=up` }, "where it came from"),
          " · ",
          direction === "down" ? h("strong", {}, "what was made from it") : h("a", { href: `${artifactHref(ref)}?lineage=down` }, "what was made from it")),
        lineage,
      ),
    );
    void paintPreview(a, preview);
    void paintLineage(ref, direction, lineage, other);
  })();

  async function paintPreview(a: ArtifactDetail, box: HTMLElement): Promise<void> {
    const base = `/api/v1/artifacts/${enc(a.ref)}/content`;
    if (!a.stored) return void box.replaceChildren(h("p", { class: "muted" }, "Not stored: nothing to preview."));
    try {
      let path: string | null = null;
      if (a.is_dir) {
        const list = await getJson<{ files: { path: string; size: number }[] }>(`${base}?list=1`);
        const files = h("ul", { class: "plain" }, list.files.map((f) => h("li", {}, h("code", {}, f.path), ` ${fmt.bytes(f.size)}`)));
        const first = list.files.find((f) => PREVIEWABLE.test(f.path) && f.size <= PREVIEW_MAX_BYTES);
        if (!first) return void box.replaceChildren(files);
        path = first.path;
        box.replaceChildren(files, h("h3", {}, first.path));
      } else if (a.size > PREVIEW_MAX_BYTES) {
        return void box.replaceChildren(h("p", { class: "muted" }, `${fmt.bytes(a.size)}: too large to preview here.`));
      } else {
        box.replaceChildren();
      }
      const shown = await preview(path ? `${base}?path=${enc(path)}` : base, path ?? a.label);
      if (closed) return shown.cleanup();
      cleanups.push(shown.cleanup);
      box.append(shown.node);
    } catch (e) {
      box.replaceChildren(h("p", { class: "muted" }, e instanceof Error ? e.message : String(e)));
    }
  }

  async function paintLineage(r: string, dir: string, box: HTMLElement, other: string): Promise<void> {
    try {
      const l = await getJson<Lineage>(`/api/v1/artifacts/${enc(r)}/lineage?direction=${dir}`);
      if (closed) return;
      if (l.edges.length === 0) {
        box.replaceChildren(h("p", { class: "muted" }, dir === "up" ? "A source: nothing made it." : `Nothing was made from it yet (try ${other}).`));
        return;
      }
      const nodes: GraphNode[] = l.nodes.map((n) =>
        n.kind === "execution"
          ? { id: n.id, label: `${n.step} (run #${n.run})`, sub: n.status, status: n.status, kind: "execution", href: stepHref(n.run!, n.step!) }
          : { id: n.id, label: n.label || fmt.shortDigest(n.ref ?? n.id), sub: n.type, kind: "artifact", href: artifactHref(n.label || n.ref || n.id), selected: n.id === l.root },
      );
      const graph = await drawGraph(nodes, l.edges);
      if (!closed) box.replaceChildren(graph.svg);
    } catch (e) {
      box.replaceChildren(h("p", { class: "muted" }, e instanceof Error ? e.message : String(e)));
    }
  }

  return () => {
    closed = true;
    for (const c of cleanups) c();
  };
};

// The file's bytes through the API (with the token when one is needed: a
// plain link could not send it), saved under the artifact's label.
function downloadButton(a: ArtifactDetail): HTMLElement {
  const button = h("button", {
    class: "download",
    onclick: async () => {
      button.disabled = true;
      try {
        const res = await apiFetch(`/api/v1/artifacts/${enc(a.ref)}/content`);
        if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
        const url = URL.createObjectURL(await res.blob());
        const link = h("a", { href: url, download: (a.label || a.ref).replace(/[/:]/g, "_") });
        document.body.append(link);
        link.click();
        link.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10000);
      } catch (e) {
        button.after(h("span", { class: "error-inline" }, e instanceof Error ? e.message : String(e)));
      } finally {
        button.disabled = false;
      }
    },
  }, `Download (${fmt.bytes(a.size)})`);
  return button;
}
