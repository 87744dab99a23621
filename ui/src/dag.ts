// A graph drawn as SVG, laid out by dagre (left to right): the run's DAG and
// an artifact's lineage. Nodes are links; their status colour can change in
// place (live runs) without a new layout.
import dagre from "@dagrejs/dagre";
import { s } from "./dom";

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

export function drawGraph(nodes: GraphNode[], edges: { from: string; to: string; label?: string | null }[]): DrawnGraph {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "LR", nodesep: 18, ranksep: 46, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) {
    const w = Math.max(90, Math.max(n.label.length, (n.sub ?? "").length) * CHAR_W + 24);
    g.setNode(n.id, { width: Math.min(w, 320), height: n.sub ? 44 : 32 });
  }
  const ids = new Set(nodes.map((n) => n.id));
  for (const e of edges) if (ids.has(e.from) && ids.has(e.to)) g.setEdge(e.from, e.to);
  dagre.layout(g);

  const graph = g.graph();
  const width = Math.ceil(graph.width ?? 100);
  const height = Math.ceil(graph.height ?? 60);
  const svg = s("svg", {
    class: "graph",
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: "img",
    "aria-label": "graph",
  }) as SVGSVGElement;
  svg.append(
    s("defs", {}, s("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto" },
      s("path", { d: "M0,0 L10,5 L0,10 z", class: "arrowhead" }))),
  );
  for (const e of g.edges()) {
    const pts = g.edge(e).points ?? [];
    if (pts.length === 0) continue;
    const d = pts.map((p: { x: number; y: number }, i: number) => `${i ? "L" : "M"}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(" ");
    svg.append(s("path", { d, class: "edge", "marker-end": "url(#arrow)" }));
  }
  const byId = new Map<string, { rect: SVGElement; sub: SVGElement | null; group: SVGElement }>();
  for (const n of nodes) {
    const box = g.node(n.id);
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
