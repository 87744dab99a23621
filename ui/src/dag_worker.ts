// The DAG's layout, off the page's thread: dagre (a layered layout) in a Web
// Worker, so a 1,000-step run's page stays responsive while it is laid out
// (docs/benchmarks.md). Bundled on its own (ui/build.mjs) and started by
// dag_layout.ts; it answers each request with the boxes and edge points.
import dagre from "@dagrejs/dagre";
import type { LayoutRequest, LayoutResult } from "./dag_layout";

const scope = self as unknown as {
  onmessage: ((e: MessageEvent<LayoutRequest>) => void) | null;
  postMessage(message: LayoutResult): void;
};

scope.onmessage = (e) => {
  const request = e.data;
  try {
    const g = new dagre.graphlib.Graph();
    g.setGraph({ rankdir: "LR", nodesep: 18, ranksep: 46, marginx: 8, marginy: 8 });
    g.setDefaultEdgeLabel(() => ({}));
    for (const n of request.nodes) g.setNode(n.id, { width: n.width, height: n.height });
    for (const edge of request.edges) g.setEdge(edge.from, edge.to);
    dagre.layout(g);
    const graph = g.graph();
    scope.postMessage({
      id: request.id,
      width: Math.ceil(graph.width ?? 100),
      height: Math.ceil(graph.height ?? 60),
      nodes: g.nodes().map((id: string) => {
        const b = g.node(id);
        return { id, x: b.x, y: b.y, width: b.width, height: b.height };
      }),
      edges: g.edges().map((ed: { v: string; w: string }) => ({ from: ed.v, to: ed.w, points: g.edge(ed).points ?? [] })),
    });
  } catch (err) {
    scope.postMessage({ id: request.id, width: 0, height: 0, nodes: [], edges: [], error: String(err) });
  }
};
