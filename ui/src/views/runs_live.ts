// The runs table kept current from the events stream (no polling, and never
// the whole table again): each run.started or run.finished of the server's
// runs (a burst of them gathered for 250 ms) reads the table's first page
// under its filters (50 runs) and merges it: runs newer than every row are
// added on top, rows in that page are replaced (a status changed), a row the
// event named that the page no longer holds is dropped (it left the filter,
// e.g. a running run that ended under status=running), and one older than
// the page is read alone (GET /api/v1/runs/{id}). Runs recorded outside the
// server (`mlpipe run` in a shell) send no event: they appear on a reload.
import { getJson } from "../api";
import { subscribe, type Subscription } from "../events";
import type { Run } from "../types";

const LIVE_PAGE = 50;
const GATHER_MS = 250;

export interface LiveRuns {
  // The stream is open (or gave up waiting): a first page read now misses no run.
  ready: Promise<void>;
  close(): void;
}

export function followRuns(opts: {
  pipeline: string; // "" = every pipeline
  filters: () => URLSearchParams; // the table's filters, as GET /api/v1/runs takes them
  rows: () => Run[];
  loaded: () => boolean; // the table's first page is in: merging before would double it
  apply: (next: Run[], added: number) => void;
}): LiveRuns {
  const pending = new Set<number>();
  let timer = 0;
  let closed = false;
  let busy = false;

  const flush = async (): Promise<void> => {
    timer = 0;
    if (busy || !opts.loaded()) return schedule(); // one merge at a time, in order, after the first page
    busy = true;
    const named = [...pending];
    pending.clear();
    try {
      const q = opts.filters();
      q.set("limit", String(LIVE_PAGE));
      const page = await getJson<{ runs: Run[]; next_cursor: string | null }>(`/api/v1/runs?${q}`);
      if (closed) return;
      const inPage = new Map(page.runs.map((r) => [r.id, r]));
      const oldest = page.next_cursor === null ? 0 : Math.min(...page.runs.map((r) => r.id));
      const current = opts.rows();
      const top = current.reduce((m, r) => Math.max(m, r.id), 0);
      const have = new Set(current.map((r) => r.id));
      const added = page.runs.filter((r) => r.id > top && !have.has(r.id));
      const gone = new Set(named.filter((id) => have.has(id) && !inPage.has(id) && id >= oldest));
      const alone = named.filter((id) => have.has(id) && !inPage.has(id) && id < oldest);
      const read = new Map<number, Run>();
      for (const id of alone) {
        try {
          read.set(id, await getJson<Run>(`/api/v1/runs/${id}`));
        } catch {
          // deleted meanwhile: left as it was
        }
      }
      if (closed) return;
      const next = added.concat(
        current.filter((r) => !gone.has(r.id)).map((r) => inPage.get(r.id) ?? read.get(r.id) ?? r),
      );
      if (added.length || gone.size || page.runs.some((r) => have.has(r.id)) || read.size) opts.apply(next, added.length);
    } catch {
      // The banner says the server is gone; the next event merges again.
    } finally {
      busy = false;
    }
  };
  const schedule = (): void => {
    if (!timer && !closed) timer = window.setTimeout(() => void flush(), GATHER_MS);
  };

  const sub: Subscription = subscribe(opts.pipeline ? { pipeline: opts.pipeline } : {}, (e) => {
    if ((e.kind === "run.started" || e.kind === "run.finished") && e.run) {
      pending.add(e.run);
      schedule();
    }
  });
  // A stream that cannot open must not hold the table back.
  const ready = Promise.race([sub.ready, new Promise<void>((r) => setTimeout(r, 1500))]);
  return {
    ready,
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      sub.close();
    },
  };
}
