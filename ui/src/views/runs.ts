// The runs table: pages of GET /api/v1/runs read through its cursor as the
// table scrolls, and only the rows in sight are in the DOM (virtualised), so
// 100,000 runs stay responsive. Sorting by another column than the API's
// order (newest first) reads every page first. Runs ticked (a click on the
// box, or Space on a focused row) are compared at /compare?runs=...; the
// ticks outlive a change of filter, so runs of several filters can be picked.
// Runs the server starts appear, and their status changes, as the events
// stream says (views/runs_live.ts).
import { getJson } from "../api";
import { h } from "../dom";
import * as fmt from "../format";
import { navigate, type View } from "../router";
import type { PipelineSummary, Run } from "../types";
import { errorBox, runHref, status } from "../widgets";
import { COMPARE_MAX } from "./compare";
import { followRuns } from "./runs_live";

const ROW_H = 34;
const FIRST_PAGE = 200;
const PAGE = 1000;
const STATUSES = ["running", "interrupted", "succeeded", "failed", "cancelled"];
const TRIGGERS = ["manual", "schedule", "on_change", "on_commit", "on_model", "webhook", "on_drift"];

const picked = new Set<number>();

type SortKey = "id" | "pipeline" | "status" | "trigger" | "started" | "duration";
interface Column {
  key: SortKey | "params";
  title: string;
  cell: (r: Run) => Node | string;
}

const columns: Column[] = [
  { key: "id", title: "Run", cell: (r) => `#${r.id}` },
  { key: "pipeline", title: "Pipeline", cell: (r) => r.pipeline },
  { key: "status", title: "Status", cell: (r) => status(r.status) },
  { key: "trigger", title: "Trigger", cell: (r) => r.trigger || "manual" },
  { key: "started", title: "Started", cell: (r) => fmt.time(r.started) },
  { key: "duration", title: "Duration", cell: (r) => fmt.duration(r.duration_s) },
  {
    key: "params",
    title: "Params",
    cell: (r) => Object.entries(r.params).map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`).join(" "),
  },
];

function choice(name: string, any: string, values: string[], current: string): HTMLSelectElement {
  const el = h("select", { name, "aria-label": name }, h("option", { value: "" }, any), values.map((v) => h("option", { value: v }, v)));
  el.value = current;
  return el;
}

function compare(a: Run, b: Run, key: SortKey): number {
  switch (key) {
    case "id":
      return a.id - b.id;
    case "duration":
      return (a.duration_s ?? Infinity) - (b.duration_s ?? Infinity);
    case "started":
      return (a.started_ns ?? 0) - (b.started_ns ?? 0) || a.id - b.id;
    default:
      return String(a[key]).localeCompare(String(b[key])) || a.id - b.id;
  }
}

export const runsView: View = (root, route) => {
  document.title = "Runs · mlpipe";
  const query = route.query;
  const pipeline = query.get("pipeline") ?? "";
  const statusFilter = query.get("status") ?? "";
  const triggerFilter = query.get("trigger") ?? "";
  const valueFilter = query.get("filter") ?? "";
  const sortKey = (query.get("sort") ?? "id") as SortKey;
  const desc = (query.get("dir") ?? "desc") === "desc";

  let rows: Run[] = [];
  let cursor: string | null = null;
  let done = false;
  let loading = false;
  let closed = false;
  let failed: unknown = null;

  const pipelineSelect = choice("pipeline", "every pipeline", pipeline ? [pipeline] : [], pipeline);
  const statusSelect = choice("status", "any status", STATUSES, statusFilter);
  const triggerSelect = choice("trigger", "any trigger", TRIGGERS, triggerFilter);
  const refilter = (): void => {
    const q = new URLSearchParams(location.search);
    for (const [k, el] of [["pipeline", pipelineSelect], ["status", statusSelect], ["trigger", triggerSelect]] as const) {
      if (el.value) q.set(k, el.value);
      else q.delete(k);
    }
    navigate(`/runs?${q}`, true);
  };
  // Params and metrics, in the API's syntax (MLflow's search): evaluated by
  // the server's store, so the table still reads one page at a time.
  const filterInput = h("input", {
    type: "search",
    name: "filter",
    class: "value-filter",
    "aria-label": "filter by params and metrics",
    placeholder: "params.lr = 0.1 and metrics.accuracy > 0.9",
    title: "conditions on params.NAME and metrics.NAME or metrics.STEP.NAME, joined by and",
  });
  filterInput.value = valueFilter;
  const filterForm = h("form", { class: "value-filter-form", role: "search" }, filterInput);
  filterForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const q = new URLSearchParams(location.search);
    const text = filterInput.value.trim();
    if (text) q.set("filter", text);
    else q.delete("filter");
    navigate(`/runs?${q}`, true);
  });
  pipelineSelect.addEventListener("change", refilter);
  statusSelect.addEventListener("change", refilter);
  triggerSelect.addEventListener("change", refilter);
  const counter = h("span", { class: "muted counter" }, "");
  const compareButton = h("button", { type: "button", class: "primary compare" }, "");
  const clearButton = h("button", { type: "button", class: "clear-picks" }, "Clear");
  const allButton = h("button", { type: "button", class: "compare-all", title: `the first ${COMPARE_MAX} rows in this order` }, "Compare the table's runs");
  const showPicks = (): void => {
    compareButton.textContent = `Compare ${picked.size} run${picked.size === 1 ? "" : "s"}`;
    compareButton.disabled = picked.size < 2;
    clearButton.hidden = picked.size === 0;
  };
  showPicks();
  compareButton.addEventListener("click", () => navigate(`/compare?runs=${[...picked].sort((a, b) => a - b).join(",")}`));
  clearButton.addEventListener("click", () => {
    picked.clear();
    for (const box of spacer.querySelectorAll<HTMLInputElement>("input.pick")) box.checked = false;
    showPicks();
  });
  // The parallel coordinates over many runs: the filtered table's, in its order.
  allButton.addEventListener("click", () => navigate(`/compare?runs=${rows.slice(0, COMPARE_MAX).map((r) => r.id).join(",")}`));
  function toggle(id: number, box: HTMLInputElement | null): void {
    if (picked.has(id)) picked.delete(id);
    else picked.add(id);
    if (box) box.checked = picked.has(id);
    showPicks();
  }

  // The pipelines the server runs, for the filter (runs recorded by the CLI
  // add theirs as they load).
  void getJson<{ pipelines: PipelineSummary[] }>("/api/v1/pipelines")
    .then((p) => p.pipelines.forEach((x) => addPipelineOption(x.name)))
    .catch(() => {});
  const known = new Set<string>([pipeline]);
  function addPipelineOption(name: string): void {
    if (known.has(name)) return;
    known.add(name);
    pipelineSelect.append(h("option", { value: name }, name));
  }

  const header = h(
    "div",
    { class: "runs-row runs-head", role: "row" },
    h("span", { role: "columnheader", class: "col-pick", "aria-label": "compare" }, ""),
    columns.map((c) => {
      if (c.key === "params") return h("span", { role: "columnheader" }, c.title);
      const active = c.key === sortKey;
      const next = new URLSearchParams(location.search);
      next.set("sort", c.key);
      next.set("dir", active && desc ? "asc" : "desc");
      return h(
        "a",
        {
          role: "columnheader",
          href: `/runs?${next}`,
          class: active ? "sorted" : "",
          "aria-sort": active ? (desc ? "descending" : "ascending") : "none",
        },
        c.title,
        active ? (desc ? " ▼" : " ▲") : "",
      );
    }),
  );
  const spacer = h("div", { class: "runs-spacer" });
  const scroller = h("div", { class: "runs-scroll", role: "rowgroup", tabindex: "-1" }, spacer);
  const table = h("div", { class: "runs-table", role: "table", "aria-label": "runs" }, header, scroller);
  root.append(
    h("div", { class: "toolbar" }, h("h1", {}, "Runs"), pipelineSelect, statusSelect, triggerSelect, filterForm, counter,
      h("span", { class: "picks" }, compareButton, clearButton, allButton)),
    table,
  );

  const rendered = new Map<number, HTMLElement>(); // row index -> element
  function rowElement(r: Run, i: number): HTMLElement {
    const box = h("input", { type: "checkbox", class: "pick", tabindex: "-1", "aria-label": `compare run ${r.id}` });
    box.checked = picked.has(r.id);
    // The box sits in the row's link: its click ticks, never navigates.
    box.addEventListener("click", (e) => {
      e.stopPropagation();
      toggle(r.id, box);
    });
    const el = h(
      "a",
      { class: "runs-row", role: "row", href: runHref(r.id), "data-index": i, "data-run": r.id, style: `top:${i * ROW_H}px` },
      h("span", { role: "cell", class: "col-pick" }, box),
      columns.map((c) => h("span", { role: "cell", class: `col-${c.key}` }, c.cell(r))),
    );
    return el;
  }

  function paint(): void {
    spacer.style.height = `${rows.length * ROW_H}px`;
    const first = Math.max(0, Math.floor(scroller.scrollTop / ROW_H) - 10);
    const last = Math.min(rows.length, Math.ceil((scroller.scrollTop + scroller.clientHeight) / ROW_H) + 10);
    for (const [i, el] of rendered) {
      if (i < first || i >= last) {
        if (el.contains(document.activeElement)) continue; // keep the focused row
        el.remove();
        rendered.delete(i);
      }
    }
    for (let i = first; i < last; i++) {
      if (rendered.has(i)) continue;
      const el = rowElement(rows[i]!, i);
      rendered.set(i, el);
      spacer.appendChild(el);
    }
    const n = `${rows.length.toLocaleString()} run${rows.length === 1 ? "" : "s"}`;
    const total = done ? n : `${n} loaded, more as you scroll`;
    counter.textContent = failed ? "" : total;
    if (!done && !loading && last + 2 * (last - first) >= rows.length && sortKey === "id") void loadPage();
  }

  function repaintAll(): void {
    for (const el of rendered.values()) el.remove();
    rendered.clear();
    paint();
  }

  // The table's filters as GET /api/v1/runs takes them.
  function filters(): URLSearchParams {
    const q = new URLSearchParams();
    if (pipeline) q.set("pipeline", pipeline);
    if (statusFilter) q.set("status", statusFilter);
    if (triggerFilter) q.set("trigger", triggerFilter);
    if (valueFilter) q.set("filter", valueFilter);
    return q;
  }

  async function loadPage(): Promise<void> {
    if (loading || done || closed) return;
    loading = true;
    const q = filters();
    q.set("limit", String(rows.length === 0 ? FIRST_PAGE : PAGE));
    if (cursor) q.set("cursor", cursor);
    try {
      const page = await getJson<{ runs: Run[]; next_cursor: string | null }>(`/api/v1/runs?${q}`);
      if (closed) return;
      rows = rows.concat(page.runs);
      for (const r of page.runs) addPipelineOption(r.pipeline);
      cursor = page.next_cursor;
      done = cursor === null;
    } catch (e) {
      failed = e;
      // A malformed filter: the server's message names the bad part; the box
      // keeps the text to fix.
      if (!closed) table.replaceWith(errorBox(e, { href: "/runs", text: "Back to every run" }));
      if (valueFilter) filterInput.setAttribute("aria-invalid", "true");
      return;
    } finally {
      loading = false;
    }
    if (sortKey !== "id" || !desc) {
      // Another order than the API's needs every run.
      counter.textContent = `sorting: ${rows.length.toLocaleString()} runs read`;
      if (!done) return void loadPage();
      rows.sort((a, b) => (desc ? -compare(a, b, sortKey) : compare(a, b, sortKey)));
      repaintAll();
      return;
    }
    paint();
    if (rows.length === 0) scroller.append(h("p", { class: "muted empty" }, "No runs match."));
  }

  let frame = 0;
  const onScroll = (): void => {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      paint();
    });
  };
  scroller.addEventListener("scroll", onScroll, { passive: true });
  window.addEventListener("resize", onScroll);
  // Arrow keys move between rows; Enter follows the focused row's link;
  // Space ticks the focused row for comparing.
  scroller.addEventListener("keydown", (e) => {
    if (e.key === " ") {
      const row = (document.activeElement as HTMLElement | null)?.closest<HTMLElement>(".runs-row");
      if (!row?.dataset.run) return;
      e.preventDefault();
      toggle(Number(row.dataset.run), row.querySelector<HTMLInputElement>("input.pick"));
      return;
    }
    if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
    const current = (document.activeElement as HTMLElement | null)?.closest<HTMLElement>(".runs-row");
    const i = current ? Number(current.dataset.index) + (e.key === "ArrowDown" ? 1 : -1) : 0;
    if (i < 0 || i >= rows.length) return;
    e.preventDefault();
    const top = i * ROW_H;
    if (top < scroller.scrollTop) scroller.scrollTop = top;
    else if (top + ROW_H > scroller.scrollTop + scroller.clientHeight) scroller.scrollTop = top + ROW_H - scroller.clientHeight;
    paint();
    rendered.get(i)?.focus();
  });
  // New runs and status changes from the events stream (views/runs_live.ts).
  const live = followRuns({
    pipeline,
    filters,
    rows: () => rows,
    loaded: () => done || cursor !== null,
    apply: (next, added) => {
      rows = next;
      if (sortKey !== "id" || !desc) rows.sort((a, b) => (desc ? -compare(a, b, sortKey) : compare(a, b, sortKey)));
      else if (added && scroller.scrollTop > 0) scroller.scrollTop += added * ROW_H; // the rows in sight stay put
      scroller.querySelector("p.empty")?.remove();
      repaintAll();
    },
  });
  void live.ready.then(() => loadPage());

  return () => {
    closed = true;
    live.close();
    window.removeEventListener("resize", onScroll);
  };
};

