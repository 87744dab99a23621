// The page's side of the layout worker (dag_worker.ts): one worker, started
// on the first graph and kept for the next ones, with requests matched to
// answers by id. The worker's bundle has a hashed name that ui/build.mjs
// gives this bundle as __DAG_WORKER_URL__.
declare const __DAG_WORKER_URL__: string;

export interface LayoutRequest {
  id: number;
  nodes: { id: string; width: number; height: number }[];
  edges: { from: string; to: string }[];
}

export interface LayoutResult {
  id: number;
  width: number;
  height: number;
  nodes: { id: string; x: number; y: number; width: number; height: number }[];
  edges: { from: string; to: string; points: { x: number; y: number }[] }[];
  error?: string;
}

let worker: Worker | null = null;
let nextId = 1;
const waiting = new Map<number, { resolve: (r: LayoutResult) => void; reject: (e: Error) => void }>();

function start(): Worker {
  const w = new Worker(__DAG_WORKER_URL__);
  w.onmessage = (e: MessageEvent<LayoutResult>) => {
    const entry = waiting.get(e.data.id);
    if (!entry) return;
    waiting.delete(e.data.id);
    if (e.data.error) entry.reject(new Error(`graph layout: ${e.data.error}`));
    else entry.resolve(e.data);
  };
  w.onerror = (e) => {
    // A worker that cannot start or crashed: every waiting graph says so,
    // and the next one starts a new worker.
    e.preventDefault();
    for (const entry of waiting.values()) entry.reject(new Error(`graph layout: ${e.message || "the layout worker failed"}`));
    waiting.clear();
    w.terminate();
    if (worker === w) worker = null;
  };
  return w;
}

export function layoutGraph(nodes: LayoutRequest["nodes"], edges: LayoutRequest["edges"]): Promise<LayoutResult> {
  worker ??= start();
  const id = nextId++;
  const w = worker;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    w.postMessage({ id, nodes, edges } satisfies LayoutRequest);
  });
}
