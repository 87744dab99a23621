// A 1,000-step run's page in headless chromium (docs/benchmarks.md, "Web UI"): a fan-out of 1,000 steps
// (one `prepare`, then 999 steps after it) is run once by `mlpipe run`; `mlpipe server` serves the
// workspace; each repetition opens /runs/ID and reads when the DAG's SVG has every node (from navigation
// start) and the longest main-thread task by then (the layout, dagre, on the main thread).
// Then live: a second run started through the API while /runs/2 is open; for each step event after the page
// drew its DAG, the lag from the event's time (the server's time_ns) to the node's new status in the page
// (a MutationObserver on its data-status, in wall-clock time: both on this machine).
// Usage: node bench/ui/dag_1000.mjs --mlpipe BIN --modules BUILD/ui/node_modules [--steps 1000] [--reps 3]
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { tmpdir } from "node:os";
import { startServer } from "./server.mjs";

const arg = (n, d) => (process.argv.includes(`--${n}`) ? process.argv[process.argv.indexOf(`--${n}`) + 1] : d);
const mlpipe = resolve(arg("mlpipe"));
const steps = Number(arg("steps", "1000"));
const reps = Number(arg("reps", "3"));
const require = createRequire(join(resolve(arg("modules")), "x.js"));
const { chromium } = require("playwright-core");

const ws = join(tmpdir(), `mlpipe-ui-dag-${process.pid}`);
rmSync(ws, { recursive: true, force: true });
mkdirSync(join(ws, "data"), { recursive: true });
// prepare copies data/tick, which changes before the live run: its steps read new content, so none is cached.
let yaml = "pipeline: fanout\nsteps:\n  prepare:\n    run: [cp, \"${inputs.t}\", \"${outputs.out}\"]\n    inputs: {t: data/tick}\n    outputs: {out: dataset}\n";
writeFileSync(join(ws, "data/tick"), "1\n");
// Each step sleeps 20 ms, and names itself in its command (steps with one key would run once: the rest cached).
for (let i = 1; i < steps; i++) {
  yaml += `  s${i}:\n    run: [sh, -c, 'sleep 0.02; cat "$0" > /dev/null', "\${inputs.x}", "s${i}"]\n    inputs: {x: prepare.out}\n`;
}
yaml += "triggers:\n  - webhook: go\n";
writeFileSync(join(ws, "pipeline.yaml"), yaml);
const env = { ...process.env };
delete env.MLPIPE_HOME;
execFileSync(mlpipe, ["run", "pipeline.yaml", "-j", "2"], { cwd: ws, env, stdio: "ignore" });
const { server, base } = await startServer(mlpipe, ws, env);
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

// Live.
const token = (await import("node:fs")).readFileSync(join(ws, ".mlpipe/token"), "utf8").trim();
const events = [];
const stream = new AbortController();
void (async () => {
  try {
    const res = await fetch(`${base}/api/v1/events?run=2`, { signal: stream.signal });
    let buf = "";
    for await (const chunk of res.body.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      let end;
      while ((end = buf.indexOf("\n\n")) >= 0) {
        const data = buf.slice(0, end).split("\n").find((l) => l.startsWith("data: "));
        buf = buf.slice(end + 2);
        if (data) events.push(JSON.parse(data.slice(6)));
      }
    }
  } catch { /* aborted */ }
})();
const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
const page = await context.newPage();
await page.addInitScript(() => {
  window.__changes = [];
  new MutationObserver((records) => {
    const t = Date.now(); // the system clock, as the server's time_ns
    // A record holds the value before its change: a node's new value is the next record's old one, or
    // the value now for its last record (two changes in one task are both seen).
    const after = new Map(); // target -> its value after the record being read (walking back)
    const seen = [];
    for (let i = records.length - 1; i >= 0; i--) {
      const r = records[i];
      const value = after.has(r.target) ? after.get(r.target) : r.target.getAttribute("data-status");
      seen.push([t, r.target.getAttribute("data-node"), value]);
      after.set(r.target, r.oldValue);
    }
    window.__changes.push(...seen.reverse());
  }).observe(document, { subtree: true, attributes: true, attributeOldValue: true, attributeFilter: ["data-status"] });
});
writeFileSync(join(ws, "data/tick"), "2\n");
await fetch(`${base}/api/v1/pipelines/fanout/runs`, { method: "POST", headers: { Authorization: `Bearer ${token}` } });
for (let i = 0; i < 600; i++) {
  const runs = await (await fetch(`${base}/api/v1/runs?limit=1`)).json();
  if (runs.runs[0]?.id === 2) break;
  await new Promise((r) => setTimeout(r, 20));
}
await page.goto(`${base}/runs/2`);
await page.waitForFunction((n) => document.querySelectorAll("svg.graph a.node").length >= n, steps, { timeout: 120000 });
const drawnAt = await page.evaluate(() => Date.now());
console.error("live: drawn; waiting for the run to end");
await page.locator(".toolbar .status-succeeded").waitFor({ timeout: 60000 }).catch(async () => console.error("live: no end seen:", (await page.locator("main").innerText()).slice(0, 400)));
await page.waitForTimeout(500);
const changes = await page.evaluate(() => window.__changes);
stream.abort();
const status = { "step.started": "running", "step.succeeded": "succeeded", "step.failed": "failed", "step.cached": "cached" };
const lags = [];
for (const e of events) {
  const st = status[e.kind];
  if (!st || typeof e.data.step !== "string" || e.time_ns / 1e6 < drawnAt) continue;
  // The first time the page showed that status (a re-read of the run can show it before the event comes: 0).
  const seen = changes.find(([t, node, s]) => node === e.data.step && s === st && t >= e.time_ns / 1e6 - 2000);
  lags.push(seen ? Math.max(0, seen[0] - e.time_ns / 1e6) : Infinity);
  if (!seen && process.env.DEBUG) console.error("never shown:", e.kind, e.data.step, Math.round(e.time_ns / 1e6 - drawnAt), JSON.stringify(changes.filter(([, n]) => n === e.data.step).map(([t, , s]) => [Math.round(t - e.time_ns / 1e6), s])));
}
lags.sort((a, b) => a - b);
const q = (p) => (lags.length ? Math.round(lags[Math.min(lags.length - 1, Math.floor(p * lags.length))]) : null);
const live = { step_events_after_draw: lags.length, never_shown: lags.filter((l) => l === Infinity).length, lag_ms: { p50: q(0.5), p99: q(0.99), max: q(1) } };
await context.close();
await browser.close();
server.kill("SIGTERM");
rmSync(ws, { recursive: true, force: true });
const med = (k) => Math.round(results.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(results.length / 2)]);
console.log(JSON.stringify({ steps, reps, live, median_ms: { drawn: med("drawn"), longest_task: med("longest") },
  all_ms: { drawn: results.map((r) => Math.round(r.drawn)), longest_task: results.map((r) => Math.round(r.longest)) } }));
