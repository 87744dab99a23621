// A graph drawn as SVG, laid out by dagre (left to right) in a Web Worker
// (dag_layout.ts): the run's DAG, an artifact's lineage, a pipeline's steps.
// Nodes are links; their status colour can change in place (live runs)
// without a new layout.
import { s } from "./dom";
import { layoutGraph } from "./dag_layout";

export interface GraphNode {
  id: string;
  label: string;
  sub?: string; // a second line: a duration, a type
  status?: string; // colours the node (status-* classes)
  kind?: string; // "artifact" | "execution" | "step": its shape
  href?: string;
  selected?: boolean;
}

export interface DrawnGraph {
  svg: SVGSVGElement;
  update(id: string, status: string, sub?: string): void;
}

const CHAR_W = 7.5;

// Resolves once the worker has laid the graph out; the page's thread only
// builds the SVG.
export async function drawGraph(nodes: GraphNode[], edges: { from: string; to: string; label?: string | null }[]): Promise<DrawnGraph> {
  const ids = new Set(nodes.map((n) => n.id));
  const layout = await layoutGraph(
    nodes.map((n) => {
      const w = Math.max(90, Math.max(n.label.length, (n.sub ?? "").length) * CHAR_W + 24);
      return { id: n.id, width: Math.min(w, 320), height: n.sub ? 44 : 32 };
    }),
    edges.filter((e) => ids.has(e.from) && ids.has(e.to)).map((e) => ({ from: e.from, to: e.to })),
  );
  const svg = s("svg", {
    class: "graph",
    viewBox: `0 0 ${layout.width} ${layout.height}`,
    width: layout.width,
    height: layout.height,
    role: "img",
    "aria-label": "graph",
  }) as SVGSVGElement;
  svg.append(
    s("defs", {}, s("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto" },
      s("path", { d: "M0,0 L10,5 L0,10 z", class: "arrowhead" }))),
  );
  for (const e of layout.edges) {
    if (e.points.length === 0) continue;
    const d = e.points.map((p, i) => `${i ? "L" : "M"}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(" ");
    svg.append(s("path", { d, class: "edge", "marker-end": "url(#arrow)" }));
  }
  const boxes = new Map(layout.nodes.map((b) => [b.id, b]));
  const byId = new Map<string, { rect: SVGElement; sub: SVGElement | null; group: SVGElement }>();
  for (const n of nodes) {
    const box = boxes.get(n.id);
    if (!box) continue;
    const x = box.x - box.width / 2;
    const y = box.y - box.height / 2;
    const rect = s("rect", {
      x, y, width: box.width, height: box.height, rx: n.kind === "artifact" ? 14 : 4,
      class: `node-box node-${n.kind ?? "step"} status-fill-${n.status ?? "none"}${n.selected ? " selected" : ""}`,
    });
    const title = s("text", { x: box.x, y: n.sub ? y + 18 : box.y + 4.5, class: "node-label" }, clip(n.label, box.width));
    const sub = n.sub ? s("text", { x: box.x, y: y + 35, class: "node-sub" }, clip(n.sub, box.width)) : null;
    const inner = [rect, title, sub, s("title", {}, `${n.label}${n.status ? ` (${n.status})` : ""}`)];
    const group = n.href
      ? s("a", { href: n.href, class: "node", "data-node": n.id, "data-status": n.status ?? "" }, ...inner)
      : s("g", { class: "node", "data-node": n.id, "data-status": n.status ?? "" }, ...inner);
    svg.append(group);
    byId.set(n.id, { rect, sub, group });
  }
  return {
    svg,
    update(id, status, subText) {
      const n = byId.get(id);
      if (!n) return;
      // A re-read run re-applies every step's state: only a change touches the DOM.
      if (n.group.getAttribute("data-status") === status && (subText === undefined || n.sub?.textContent === subText)) return;
      n.rect.setAttribute("class", n.rect.getAttribute("class")!.replace(/status-fill-\S+/, `status-fill-${status}`));
      n.group.setAttribute("data-status", status);
      if (subText !== undefined && n.sub) n.sub.textContent = subText;
    },
  };
}

function clip(text: string, width: number): string {
  const max = Math.floor((width - 12) / CHAR_W);
  return text.length > max ? text.slice(0, max - 1) + "…" : text;
}
