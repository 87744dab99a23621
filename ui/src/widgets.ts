// Small pieces shared by the views: links, status badges, errors.
import { ApiError, enc, getJson } from "./api";
import { h } from "./dom";

export const runHref = (id: number | string): string => `/runs/${id}`;
export const stepHref = (run: number | string, step: string): string => `/runs/${run}?step=${enc(step)}`;
export const artifactHref = (ref: string): string => `/artifacts/${enc(ref)}`;
export const modelHref = (name: string): string => `/models/${enc(name)}`;
export const pipelineHref = (name: string): string => `/pipelines/${enc(name)}`;

export function status(s: string): HTMLElement {
  return h("span", { class: `status status-${s}` }, s);
}

export function loading(): HTMLElement {
  return h("p", { class: "muted loading" }, "Loading…");
}

// An error where the view would be: what went wrong and a way back.
export function errorBox(e: unknown, back: { href: string; text: string }): HTMLElement {
  const message = e instanceof ApiError ? e.message : e instanceof Error ? e.message : String(e);
  return h("div", { class: "error-box", role: "alert" }, h("p", {}, message), h("a", { href: back.href }, back.text));
}

export function kv(rows: [string, unknown][]): HTMLElement {
  return h(
    "dl",
    { class: "kv" },
    rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v instanceof Node ? v : String(v ?? "—"))]),
  );
}

export function section(title: string, ...body: (Node | string | null)[]): HTMLElement {
  return h("section", { class: "card" }, h("h2", {}, title), ...body);
}

// A list view: its title, then what one API read draws in place of
// "Loading…" (or the error). Returns the view's cleanup.
export function listView<T>(root: HTMLElement, title: string, path: string, draw: (data: T) => Node): () => void {
  let closed = false;
  document.title = `${title} · mlpipe`;
  root.append(h("div", { class: "toolbar" }, h("h1", {}, title)), loading());
  getJson<T>(path)
    .then((data) => {
      if (!closed) root.lastElementChild!.replaceWith(draw(data));
    })
    .catch((e) => {
      if (!closed) root.lastElementChild!.replaceWith(errorBox(e, { href: "/runs", text: "Back to the runs" }));
    });
  return () => {
    closed = true;
  };
}
