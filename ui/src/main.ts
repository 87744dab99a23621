// The mlpipe web UI: views over the JSON API of `mlpipe server`
// (docs/ui.md). No framework: the DOM directly, a history-API router, one
// file per view.
import "uplot/dist/uPlot.min.css";
import "./style.css";
import { onReconnect } from "./connection";
import { h } from "./dom";
import { start, rerender, type Cleanup, type Route, type View } from "./router";
import { artifactView } from "./views/artifact";
import { compareView } from "./views/compare";
import { deploymentView, deploymentsView } from "./views/deployments";
import { modelView, modelsView } from "./views/models";
import { monitoringView } from "./views/monitoring";
import { notFoundView } from "./views/not_found";
import { pipelineView, pipelinesView } from "./views/pipelines";
import { runView } from "./views/run";
import { runsView } from "./views/runs";

const nav = h(
  "nav",
  { class: "top" },
  h("a", { href: "/runs", class: "brand" }, "mlpipe"),
  h("a", { href: "/runs", "data-nav": "runs" }, "Runs"),
  h("a", { href: "/pipelines", "data-nav": "pipelines" }, "Pipelines"),
  h("a", { href: "/models", "data-nav": "models" }, "Models"),
  h("a", { href: "/deployments", "data-nav": "deployments" }, "Deployments"),
  h("a", { href: "/monitoring", "data-nav": "monitoring" }, "Monitoring"),
);
const main = h("main", { id: "view" });
document.body.append(nav, main);

let cleanup: Cleanup | void;

function pick(parts: string[]): { view: View; section: string } {
  const [head, ...rest] = parts;
  switch (head) {
    case undefined:
    case "runs":
      return { view: rest.length === 0 ? runsView : rest.length === 1 ? runView : notFoundView, section: "runs" };
    case "compare":
      return { view: rest.length === 0 ? compareView : notFoundView, section: "runs" };
    case "artifacts":
      return { view: rest.length === 1 ? artifactView : notFoundView, section: "runs" };
    case "models":
      return { view: rest.length === 0 ? modelsView : rest.length === 1 ? modelView : notFoundView, section: "models" };
    case "pipelines":
      return {
        view: rest.length === 0 ? pipelinesView : rest.length === 1 ? pipelineView : notFoundView,
        section: "pipelines",
      };
    case "deployments":
      return {
        view: rest.length === 0 ? deploymentsView : rest.length === 1 ? deploymentView : notFoundView,
        section: "deployments",
      };
    case "monitoring":
      return { view: rest.length === 0 ? monitoringView : notFoundView, section: "monitoring" };
    default:
      return { view: notFoundView, section: "" };
  }
}

function render(): void {
  if (cleanup) cleanup();
  const parts = location.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const { view, section } = pick(parts);
  for (const a of nav.querySelectorAll<HTMLAnchorElement>("a[data-nav]")) {
    a.classList.toggle("active", a.dataset.nav === section);
  }
  main.replaceChildren();
  const route: Route = { params: parts.slice(1), query: new URLSearchParams(location.search) };
  cleanup = view(main, route);
  window.scrollTo(0, 0);
}

onReconnect(() => rerender());
start(render);
