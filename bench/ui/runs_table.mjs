// The runs table's first view at 100,000 runs, in headless chromium (docs/benchmarks.md, "Web UI").
// A workspace where the iris example ran once gets 100,000 more runs (20 pipelines) written straight into
// its SQLite file; `mlpipe server` serves it; each repetition opens /runs in a fresh page and reads
// Chromium's timings: when the first rows exist, the end of the last long task (>50 ms) by then
// ("interactive": rows shown and the main thread free), and DOMContentLoaded. The peer in the same run is
// the naive table, every run read first: the same page sorted by duration (which reads all 100 pages).
// Also when the first rows of three filtered views (?filter=, by param and metric values) exist.
// Usage: node bench/ui/runs_table.mjs --mlpipe BIN --modules BUILD/ui/node_modules [--runs 100000] [--reps 5]
//   [--filters 0]
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { startServer } from "./server.mjs";

const arg = (n, d) => (process.argv.includes(`--${n}`) ? process.argv[process.argv.indexOf(`--${n}`) + 1] : d);
const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const mlpipe = resolve(arg("mlpipe"));
const runs = Number(arg("runs", "100000"));
const reps = Number(arg("reps", "5"));
const require = createRequire(join(resolve(arg("modules", join(repo, "ui/node_modules"))), "x.js"));
const { chromium } = require("playwright-core");

const ws = join(tmpdir(), `mlpipe-ui-bench-${process.pid}`);
rmSync(ws, { recursive: true, force: true });
mkdirSync(ws);
cpSync(join(repo, "examples/iris"), ws, { recursive: true });
const env = { ...process.env };
delete env.MLPIPE_HOME;
execFileSync(mlpipe, ["run", "pipeline.yaml"], { cwd: ws, env, stdio: "ignore" });
execFileSync("sqlite3", [join(ws, ".mlpipe/metadata.db"), `
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ${runs})
INSERT INTO runs(pipeline, spec_path, status, params_json, started_ns, ended_ns)
SELECT 'pipeline_' || (i % 20), '/bench/pipeline.yaml', CASE WHEN i % 10 = 0 THEN 'failed' ELSE 'succeeded' END,
       '{"seed":' || i || ',"eta":0.1}', 1796000000000000000 + i * 1000000000,
       1796000000000000000 + i * 1000000000 + (i % 97) * 1000000000 FROM c;`]);

const { server, base } = await startServer(mlpipe, ws, env);
// --filters 0: without them (a server from before the filter parameter, as a peer).
const FILTERS = arg("filters", "1") === "0" ? [] : [
  ["filterEveryRun", "params.eta = 0.1"],
  ["filterOldest499", "params.seed < 500"],
  ["filterMetricOnlyOldest", "metrics.evaluate.accuracy > 0"],
];

const probe = () => {
  // Installed before the app runs: when the first row appears, and every long task.
  window.__bench = { firstRow: null, longTasks: [] };
  new PerformanceObserver((l) => l.getEntries().forEach((e) => window.__bench.longTasks.push([e.startTime, e.duration])))
    .observe({ type: "longtask", buffered: true });
  new MutationObserver((_, obs) => {
    if (document.querySelector(".runs-spacer > .runs-row")) {
      window.__bench.firstRow = performance.now();
      obs.disconnect();
    }
  }).observe(document, { childList: true, subtree: true });
};

const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: ["--no-sandbox"] });
const results = [];
for (let i = 0; i < reps + 1; i++) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.addInitScript(probe);
  await page.goto(`${base}/runs`);
  await page.locator(".runs-spacer > .runs-row").first().waitFor();
  await page.waitForTimeout(500);
  const first = await page.evaluate(() => {
    const b = window.__bench;
    const nav = performance.getEntriesByType("navigation")[0];
    const busyUntil = Math.max(b.firstRow, ...b.longTasks.filter(([s]) => s < b.firstRow).map(([s, d]) => s + d));
    return { firstRow: b.firstRow, interactive: busyUntil, dcl: nav.domContentLoadedEventEnd, rows: document.querySelectorAll(".runs-row").length };
  });
  // Filtered by param and metric values (the API's filter, evaluated by the store): one that every run
  // matches, one that only the 499 oldest match (the store walks ~99,700 runs to fill the first page), and
  // a metric only the iris run has (the oldest: every run is probed).
  for (const [key, filter] of FILTERS) {
    await page.goto(`${base}/runs?filter=${encodeURIComponent(filter)}`);
    await page.locator(".runs-spacer > .runs-row").first().waitFor({ timeout: 60000 });
    first[key] = await page.evaluate(() => window.__bench.firstRow);
  }
  const t0 = Date.now();
  await page.goto(`${base}/runs?sort=duration&dir=desc`);
  await page.locator(".counter", { hasText: `${(runs + 1).toLocaleString("en-US")} runs` }).waitFor({ timeout: 600000 });
  first.everyRunSorted = Date.now() - t0;
  if (i > 0) results.push(first); // the first repetition warms the server's page cache
  await context.close();
}
await browser.close();
server.kill("SIGTERM");
rmSync(ws, { recursive: true, force: true });
const median = (k) => results.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(results.length / 2)];
const out = Object.fromEntries(["dcl", "firstRow", "interactive", ...FILTERS.map(([k]) => k), "everyRunSorted"]
  .map((k) => [k, Math.round(median(k))]));
const all = Object.fromEntries(Object.keys(out).map((k) => [k, results.map((r) => Math.round(r[k]))]));
console.log(JSON.stringify({ runs: runs + 1, reps, median_ms: out, all_ms: all,
  ratio_every_run_to_first_view: +(out.everyRunSorted / out.interactive).toFixed(1) }));
