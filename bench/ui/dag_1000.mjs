// A 1,000-step run's page in headless chromium (docs/benchmarks.md, "Web UI"): a fan-out of 1,000 steps
// (one `prepare`, then 999 steps after it) is run once by `mlpipe run`; `mlpipe server` serves the
// workspace; each repetition opens /runs/ID and reads when the DAG's SVG has every node (from navigation
// start) and the longest main-thread task by then (the layout, dagre, on the main thread).
// Usage: node bench/ui/dag_1000.mjs --mlpipe BIN --modules BUILD/ui/node_modules [--steps 1000] [--reps 3]
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { tmpdir } from "node:os";

const arg = (n, d) => (process.argv.includes(`--${n}`) ? process.argv[process.argv.indexOf(`--${n}`) + 1] : d);
const mlpipe = resolve(arg("mlpipe"));
const steps = Number(arg("steps", "1000"));
const reps = Number(arg("reps", "3"));
const require = createRequire(join(resolve(arg("modules")), "x.js"));
const { chromium } = require("playwright-core");

const ws = join(tmpdir(), `mlpipe-ui-dag-${process.pid}`);
rmSync(ws, { recursive: true, force: true });
mkdirSync(ws);
let yaml = "pipeline: fanout\nsteps:\n  prepare:\n    run: \"true\"\n";
for (let i = 1; i < steps; i++) yaml += `  s${i}:\n    run: "true"\n    after: [prepare]\n`;
writeFileSync(join(ws, "pipeline.yaml"), yaml);
const env = { ...process.env };
delete env.MLPIPE_HOME;
execFileSync(mlpipe, ["run", "pipeline.yaml", "-j", "2"], { cwd: ws, env, stdio: "ignore" });
const server = spawn(mlpipe, ["server", "--port", "0"], { cwd: ws, env, stdio: ["ignore", "pipe", "inherit"] });
const base = await new Promise((res) => {
  let t = "";
  server.stdout.on("data", (d) => {
    t += d;
    const m = /listening on (http:\/\/\S+)/.exec(t);
    if (m) res(m[1]);
  });
});
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: ["--no-sandbox"] });
const results = [];
for (let i = 0; i < reps + 1; i++) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.addInitScript(() => {
    window.__long = [];
    new PerformanceObserver((l) => l.getEntries().forEach((e) => window.__long.push(e.duration))).observe({ type: "longtask", buffered: true });
  });
  await page.goto(`${base}/runs/1`);
  await page.waitForFunction((n) => document.querySelectorAll("svg.graph a.node").length >= n, steps, { timeout: 120000, polling: 20 });
  const r = await page.evaluate(() => ({ drawn: performance.now(), longest: Math.max(0, ...window.__long) }));
  if (i > 0) results.push(r);
  await context.close();
}
await browser.close();
server.kill("SIGTERM");
rmSync(ws, { recursive: true, force: true });
const med = (k) => Math.round(results.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(results.length / 2)]);
console.log(JSON.stringify({ steps, reps, median_ms: { drawn: med("drawn"), longest_task: med("longest") },
  all_ms: { drawn: results.map((r) => Math.round(r.drawn)), longest_task: results.map((r) => Math.round(r.longest)) } }));
