// History-API routing: every view has a URL (shareable; the back button
// works). The server answers index.html for any path outside /api, so a URL
// typed or reloaded loads the app, which renders the view here.
export type Cleanup = () => void;
export interface Route {
  params: string[]; // the path's parts after the view's name, decoded
  query: URLSearchParams;
}
export type View = (root: HTMLElement, route: Route) => Cleanup | void;

let render: () => void = () => {};

export function start(onChange: () => void): void {
  render = onChange;
  window.addEventListener("popstate", () => render());
  document.addEventListener("click", (e) => {
    // HTML links and the graphs' SVG links alike (an SVG <a> has no .pathname).
    const a = (e.target as Element | null)?.closest?.("a");
    const href = a?.getAttribute("href");
    if (!a || !href || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    if (a.hasAttribute("target") || a.hasAttribute("download")) return;
    const url = new URL(href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith("/api/")) return;
    e.preventDefault();
    navigate(url.pathname + url.search);
  });
  render();
}

export function navigate(url: string, replace = false): void {
  if (url === location.pathname + location.search) return;
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  render();
}


export function rerender(): void {
  render();
}
