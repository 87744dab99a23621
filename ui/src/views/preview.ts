// An artifact's preview, chosen by the Content-Type the API answers (decided
// by the server from the file's extension or its bytes): images as <img> from
// a blob: URL (read with the token when one is needed), HTML in a sandboxed
// frame that can run no script, the built-in evaluate's report as tables and
// curves, other JSON pretty, CSV and TSV heads as tables, text as text.
import { apiFetch } from "../api";
import { h, s } from "../dom";
import * as fmt from "../format";

const CSV_ROWS = 20;
const TEXT_CHARS = 8000;

// Files of a folder worth previewing, in the order one is picked.
export const PREVIEWABLE = /\.(html?|png|jpe?g|gif|webp|svg|json|csv|tsv|md|txt)$/i;

// The content at `url` (an /api/v1/artifacts/{ref}/content URL) as a preview.
// The caller keeps the returned cleanup (it frees a blob: URL).
export async function preview(url: string, name: string): Promise<{ node: Node; cleanup: () => void }> {
  const res = await apiFetch(url);
  if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
  const type = (res.headers.get("Content-Type") ?? "").split(";")[0]!.trim().toLowerCase();
  const none = (): void => {};
  if (type.startsWith("image/")) {
    // An <img> never runs an SVG's script.
    const blobUrl = URL.createObjectURL(await res.blob());
    return { node: h("img", { class: "preview-image", src: blobUrl, alt: name }), cleanup: () => URL.revokeObjectURL(blobUrl) };
  }
  if (type === "application/octet-stream") {
    return { node: h("p", { class: "muted" }, "Binary content: use Download."), cleanup: none };
  }
  const text = await res.text();
  if (type === "text/html") {
    // sandbox without allow-scripts: no script runs, and the frame is an
    // origin of its own (it cannot reach this page or the API).
    const frame = h("iframe", { class: "preview-html", sandbox: "", title: name, referrerpolicy: "no-referrer" });
    frame.srcdoc = text;
    return { node: frame, cleanup: none };
  }
  if (type === "application/json") {
    try {
      const value: unknown = JSON.parse(text);
      return { node: isEvaluationReport(value) ? evaluationReport(value) : h("pre", { class: "json" }, JSON.stringify(value, null, 2)), cleanup: none };
    } catch {
      // fall through: shown as text
    }
  }
  if (type === "text/csv" || type === "text/tab-separated-values") {
    return { node: table(text, type === "text/csv" ? "," : "\t"), cleanup: none };
  }
  return { node: h("pre", { class: type === "text/markdown" ? "log markdown" : "log" }, text.slice(0, TEXT_CHARS)), cleanup: none };
}

// ---- The built-in evaluate's report (docs/components.md#evaluate).
interface EvaluationReport {
  task: string;
  metrics: Record<string, number>;
  confusion_matrix?: number[][];
  roc_curve?: { fpr: number; tpr: number }[];
  pr_curve?: { recall: number; precision: number }[];
}

function isEvaluationReport(v: unknown): v is EvaluationReport {
  const o = v as Partial<EvaluationReport> | null;
  return !!o && typeof o === "object" && typeof o.task === "string" && !!o.metrics && typeof o.metrics === "object";
}

function evaluationReport(r: EvaluationReport): HTMLElement {
  const metrics = h("table", { class: "grid compact eval-metrics" },
    h("thead", {}, h("tr", {}, h("th", {}, "Metric"), h("th", {}, "Value"))),
    h("tbody", {}, Object.entries(r.metrics).map(([k, v]) => h("tr", {}, h("th", {}, k), h("td", { class: "num" }, fmt.num(v))))));
  const parts: Node[] = [h("p", {}, `Evaluation report: ${r.task}`), metrics];
  const cm = r.confusion_matrix;
  if (cm && cm.length > 0) {
    parts.push(h("h3", {}, "Confusion matrix (rows: true class, columns: predicted)"),
      h("table", { class: "grid compact confusion" },
        h("thead", {}, h("tr", {}, h("th", {}, ""), cm.map((_, j) => h("th", {}, `pred ${j}`)))),
        h("tbody", {}, cm.map((row, i) => h("tr", {}, h("th", {}, `true ${i}`), row.map((n, j) => h("td", { class: i === j ? "num diag" : "num" }, String(n))))))));
  }
  const curves: Node[] = [];
  if (r.roc_curve?.length) curves.push(curve("ROC", "false positive rate", "true positive rate", r.roc_curve.map((p) => [p.fpr, p.tpr])));
  if (r.pr_curve?.length) curves.push(curve("Precision-recall", "recall", "precision", r.pr_curve.map((p) => [p.recall, p.precision])));
  if (curves.length) parts.push(h("div", { class: "eval-curves" }, curves));
  return h("div", { class: "eval-report" }, parts);
}

// A curve on the unit square, as SVG (at most 200 points: no chart library).
function curve(title: string, x: string, y: string, points: [number, number][]): HTMLElement {
  const size = 200;
  const pad = 28;
  const at = ([px, py]: [number, number]): string => `${(pad + px * size).toFixed(1)},${(pad + (1 - py) * size).toFixed(1)}`;
  const svg = s("svg", { class: "eval-curve", viewBox: `0 0 ${size + 2 * pad} ${size + 2 * pad}`, role: "img", "aria-label": title },
    s("rect", { x: pad, y: pad, width: size, height: size, class: "frame" }),
    s("polyline", { points: points.map(at).join(" "), class: "line" }),
    s("text", { x: pad + size / 2, y: size + 2 * pad - 6, "text-anchor": "middle" }, x),
    s("text", { x: 10, y: pad + size / 2, transform: `rotate(-90 10 ${pad + size / 2})`, "text-anchor": "middle" }, y));
  return h("figure", { class: "eval-figure" }, svg, h("figcaption", {}, title));
}

// ---- Delimited text: its head as a table.
function table(text: string, sep: string): HTMLElement {
  const lines = text.split("\n", CSV_ROWS + 2).filter((l) => l.length > 0);
  const rows = lines.slice(0, CSV_ROWS + 1).map((l) => splitRow(l, sep));
  if (rows.length === 0) return h("p", { class: "muted" }, "Empty.");
  return h("div", { class: "table-scroll" },
    h("table", { class: "grid compact csv" },
      h("thead", {}, h("tr", {}, rows[0]!.map((c) => h("th", {}, c)))),
      h("tbody", {}, rows.slice(1).map((r) => h("tr", {}, r.map((c) => h("td", {}, c)))))),
    h("p", { class: "muted" }, `the first ${rows.length - 1} rows`));
}

function splitRow(line: string, sep: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === sep) {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}
