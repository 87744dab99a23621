// The web UI in a real browser: Debian's chromium, driven by playwright-core,
// against a real `mlpipe server` on a workspace where the iris example has
// run and its model is registered. Filters the runs table by param and metric
// values, clicks run -> step -> artifact -> lineage -> model, previews an image,
// a sandboxed HTML report and the evaluation report, compares two runs, watches
// a running pipeline's DAG change state live, cancels a run, re-runs one with
// its params, sees the runs table follow a new run live, rolls a canary back and
// sees its weights change, checks the
// not-found page and the reconnecting banner, asserts no console errors and
// that every API call the UI makes is a route docs/server-api.md lists, and
// saves a screenshot per view (checked by text, never by pixels).
// Usage: node ui_test.mjs --mlpipe BIN --modules UI/node_modules --out DIR [--chromium PATH]
import { execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const mlpipe = resolve(arg("mlpipe", ""));
const out = resolve(arg("out", "ui-test-out"));
const chromiumPath = arg("chromium", process.env.MLPIPE_CHROMIUM || "/usr/bin/chromium");
const require = createRequire(join(resolve(arg("modules", join(repo, "ui/node_modules"))), "noop.js"));

if (!existsSync(chromiumPath)) {
  console.error(`FAIL: no chromium at ${chromiumPath}: the UI tests need it (scripts/deps.sh installs Debian's chromium; ` +
    `or pass --chromium PATH / set MLPIPE_CHROMIUM)`);
  process.exit(1);
}
const { chromium } = require("playwright-core");

let failures = 0;
let checks = 0;
function check(ok, what) {
  checks++;
  if (ok) console.log(`ok   ${what}`);
  else {
    failures++;
    console.log(`FAIL ${what}`);
  }
}

// --- the workspace: the iris example run for real, its model registered, and
// a pipeline whose steps wait for gate files (the live DAG).
const ws = join(out, "workspace");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
cpSync(join(repo, "examples/iris"), ws, { recursive: true });
const gates = join(ws, "gates");
mkdirSync(gates);
const env = { ...process.env };
delete env.MLPIPE_HOME;
const run = (...a) => execFileSync(mlpipe, a, { cwd: ws, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
run("run", "pipeline.yaml");
run("run", "pipeline.yaml"); // run 2: every step cached
run("models", "register", "iris", "iris.train.model", "--alias", "champion", "--reason", "the first iris model");
run("run", "pipeline.yaml", "-p", "seed=7"); // run 3: another seed, other metrics (the comparison)
// A deployed model whose better candidate gets a canary (the Roll back button).
cpSync(join(repo, "tests/ui/scorer"), join(ws, "scorer"), { recursive: true });
renameSync(join(ws, "scorer/scorer.yaml"), join(ws, "scorer.yaml"));
writeFileSync(join(ws, "gated.yaml"), `pipeline: gated
description: Each step waits for its gate file (the UI test opens them one at a time).
steps:
  first:
    run: [sh, -c, 'while [ ! -e ${gates}/first ]; do sleep 0.05; done; echo first > "$0"', "\${outputs.out}"]
    outputs: {out: dataset}
  second:
    run: [sh, -c, 'while [ ! -e ${gates}/second ]; do sleep 0.05; done; cat "$0" > "$1"', "\${inputs.x}", "\${outputs.out}"]
    inputs: {x: first.out}
    outputs: {out: dataset}
triggers:
  - webhook: go
`);
// Artifacts to preview by their content type: a PNG, an HTML report whose
// script must not run, and a Markdown note (copied from files, by one step).
mkdirSync(join(ws, "assets"));
writeFileSync(join(ws, "assets/plot.png"), Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAAEElEQVR4nGM4YWMDRwzEcQAREhQBbrqBkwAAAABJRU5ErkJggg==", "base64"));
writeFileSync(join(ws, "assets/report.html"),
  '<!doctype html><title>r</title><h1>Report</h1><script>parent.document.title = "scripted"; document.body.append("scripted")</script>');
writeFileSync(join(ws, "assets/notes.md"), "# Notes\n\nall good\n");
writeFileSync(join(ws, "plots.yaml"), `pipeline: plots
description: A plot and reports, for the artifact previews.
steps:
  draw:
    run: [sh, -c, 'cp "$0" "$3"; cp "$1" "$4"; cp "$2" "$5"', "\${inputs.png}", "\${inputs.page}", "\${inputs.notes}", "\${outputs.png}", "\${outputs.page}", "\${outputs.notes}"]
    inputs: {png: assets/plot.png, page: assets/report.html, notes: assets/notes.md}
    outputs: {png: report, page: report, notes: report}
`);
run("run", "plots.yaml"); // run 4: artifacts to preview
// A step that never ends on its own: the Cancel button's run.
writeFileSync(join(ws, "stuck.yaml"), `pipeline: stuck
description: One step that waits until it is cancelled.
steps:
  wait:
    run: sleep 600
triggers:
  - webhook: go
  - schedule: "0 3 1 1 *" # once a year: its next fire time is shown, it never fires in the test
`);
const token = () => readFileSync(join(ws, ".mlpipe/token"), "utf8").trim();

// --- the server
let server = null;
async function startServer(port, extra = []) {
  const p = spawn(mlpipe, ["server", "--port", String(port), "--poll-interval", "200ms", ...extra], { cwd: ws, env, stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  p.stderr.on("data", (d) => (text += d));
  const url = await new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error(`the server did not start: ${text}`)), 60000);
    p.stdout.on("data", (d) => {
      text += d;
      const m = /listening on (http:\/\/\S+)/.exec(text);
      if (m) {
        clearTimeout(t);
        res(m[1]);
      }
    });
    p.on("exit", (code) => rej(new Error(`the server exited (${code}): ${text}`)));
  });
  server = p;
  return url;
}
// `mlpipe serve` following deployment scorer (the rollout's data plane).
let serve = null;
async function startServe() {
  const p = spawn(mlpipe, ["serve", "--deployment", "scorer", "--poll", "200ms", "--port", "0"], { cwd: ws, env, stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  p.stderr.on("data", (d) => (text += d));
  await new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error(`serve did not start: ${text}`)), 60000);
    p.stdout.on("data", (d) => {
      text += d;
      if (/listening on http:\/\/\S+\n/.test(text)) {
        clearTimeout(t);
        res();
      }
    });
    p.on("exit", (code) => rej(new Error(`serve exited (${code}): ${text}`)));
  });
  serve = p;
}
async function stopServer() {
  if (!server) return;
  const p = server;
  server = null;
  const exited = new Promise((r) => p.on("exit", r));
  p.kill("SIGTERM");
  await exited;
}

// --- the routes docs/server-api.md lists, as patterns
const docs = readFileSync(join(repo, "docs/server-api.md"), "utf8");
const routes = new Set();
for (const m of docs.matchAll(/(GET|POST) `?(\/api\/v1\/[^\s`?|,]*)/g)) routes.add(`${m[1]} ${m[2]}`);
for (const m of docs.matchAll(/, (GET|POST) (\/api\/v1\/[^\s`?|,]*)/g)) routes.add(`${m[1]} ${m[2]}`);
const routePatterns = [...routes].map((r) => {
  const [method, path] = r.split(" ");
  return { r, method, re: new RegExp(`^${path.replace(/\{[^}]+\}/g, "[^/]+").replace(/\.\.\.\//g, "")}$`) };
});
const documented = (method, path) => routePatterns.some((p) => p.method === method && p.re.test(path));

const consoleErrors = [];
let expectErrors = false; // the not-found page and the server-down phase fail requests on purpose
const apiCalls = [];

const shot = async (page, name) => {
  await page.screenshot({ path: join(out, `${name}.png`), fullPage: true });
};
const text = (page) => page.locator("main").innerText();

let browser;
try {
  let base = await startServer(0);
  const port = new URL(base).port;
  browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ["--no-sandbox"] });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  page.on("console", (m) => {
    if (m.type() === "error" && !expectErrors) consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => consoleErrors.push(`page error: ${e.message}`));
  page.on("request", (r) => {
    const u = new URL(r.url());
    if (u.pathname.startsWith("/api/")) apiCalls.push({ method: r.method(), path: u.pathname });
  });

  // The server's answers for the UI: hashed assets, history routing, gzip.
  const index = await fetch(`${base}/runs/12`);
  check(index.status === 200 && (await index.text()).includes("<script type=\"module\""), "/runs/12 answers the app (history routing)");
  check((index.headers.get("content-security-policy") ?? "").includes("default-src 'self'"),
    "the page has a content security policy (every view below runs under it: no console errors)");
  const html = await (await fetch(`${base}/`)).text();
  const js = /src="([^"]+\.js)"/.exec(html)?.[1];
  const jsRes = await fetch(`${base}${js}`, { headers: { "Accept-Encoding": "gzip" } });
  check(jsRes.headers.get("content-type")?.startsWith("text/javascript") && /max-age=31536000/.test(jsRes.headers.get("cache-control") ?? ""),
    "the bundle is text/javascript with a year's cache");
  const apiMissing = await fetch(`${base}/api/v1/nope`);
  check(apiMissing.status === 404 && (await apiMissing.json()).error?.code === "not_found", "an unknown /api path stays a JSON 404");

  // Runs table
  await page.goto(`${base}/runs`);
  await page.locator(".runs-row[href='/runs/1']").waitFor();
  check((await text(page)).includes("iris"), "runs: the iris run is listed");
  await shot(page, "runs");

  // Filter by param and metric values: the server evaluates it, the URL keeps it.
  await page.fill("input.value-filter", "params.seed = 7 and metrics.evaluate.accuracy > 0");
  await page.press("input.value-filter", "Enter");
  await page.waitForURL(/filter=/);
  await page.locator(".runs-row[href='/runs/3']").waitFor();
  await page.locator(".runs-row[href='/runs/1']").waitFor({ state: "detached" });
  check((await page.locator(".runs-row[data-run]").count()) === 1 &&
    new URL(page.url()).searchParams.get("filter") === "params.seed = 7 and metrics.evaluate.accuracy > 0",
    "runs: a filter by param and metric keeps the matching run, in the URL");
  await shot(page, "runs-filtered");
  await page.reload();
  await page.locator(".runs-row[href='/runs/3']").waitFor();
  check((await page.inputValue("input.value-filter")) === "params.seed = 7 and metrics.evaluate.accuracy > 0" &&
    (await page.locator(".runs-row[data-run]").count()) === 1, "runs: a reloaded filtered URL shows the same runs");
  expectErrors = true; // the 400 of a malformed filter is logged by the browser
  await page.fill("input.value-filter", "params.seed ~ 7");
  await page.press("input.value-filter", "Enter");
  await page.locator(".error-box", { hasText: "expected an operator" }).waitFor();
  check((await page.locator(".error-box").innerText()).includes("after 'params.seed' at column 13"),
    "runs: a malformed filter says which part is wrong");
  expectErrors = false;
  await page.goto(`${base}/runs`);
  await page.locator(".runs-row[href='/runs/1']").waitFor();

  // Compare: tick two runs (a click on the box, Space on a focused row).
  await page.click(".runs-row[href='/runs/3'] input.pick");
  await page.focus(".runs-row[href='/runs/1']");
  await page.keyboard.press(" ");
  check(page.url().endsWith("/runs") && (await page.locator("button.compare").innerText()) === "Compare 2 runs",
    "compare: two runs ticked by mouse and keyboard, neither opened");
  await page.click("button.compare");
  await page.locator("table.compare-table").waitFor();
  check(page.url().endsWith("/compare?runs=1,3"), "compare: the comparison has its URL");
  const differs = await page.locator("table.compare-table tr.differs th").allInnerTexts();
  check(differs.some((x) => x.includes("seed")) && differs.some((x) => x.includes("evaluate.accuracy")) &&
    !differs.some((x) => x.includes("split.test_rows")), `compare: the params and metrics that differ are marked (${differs.length})`);
  await page.locator("figure.curve .u-legend").first().waitFor();
  const legend = await page.locator("figure.curve .u-legend").first().innerText();
  check(legend.includes("#1") && legend.includes("#3"), "compare: a metric's curves overlaid, one series per run");
  check((await page.locator("svg.parallel a.pc-line").count()) === 2, "compare: parallel coordinates, a line per run");
  await shot(page, "compare");
  await page.click("svg.parallel a.pc-line[data-run='3']");
  await page.locator("svg.graph").waitFor();
  check(page.url().endsWith("/runs/3"), "compare: a line of the parallel coordinates leads to its run");

  // A cached run: each step says whose outputs it reused, and links there.
  await page.goto(`${base}/runs/2?step=train`);
  await page.locator("#step-panel a[href='/runs/1?step=train']").waitFor();
  await page.locator("svg.graph").waitFor(); // laid out in a worker: drawn after the step panel
  check((await page.locator("svg.graph a.node[data-status='cached']").count()) === 6, "cached run: every step is cached");
  check((await text(page)).includes("same key as run 1"), "cached run: the reason of each cached step");
  await shot(page, "cached");
  await page.click("#step-panel a[href='/runs/1?step=train']");
  await page.locator("#step-panel h2", { hasText: "Step train" }).waitFor();
  check(page.url().endsWith("/runs/1?step=train"), "cached run: the link leads to the step that made the outputs");
  await page.goto(`${base}/runs`);
  await page.locator(".runs-row[href='/runs/1']").waitFor();
  await page.evaluate(() => (window.__loadedOnce = true)); // gone if a click reloads the page

  // run -> step -> artifact -> lineage -> model
  await page.click(".runs-row[href='/runs/1']");
  await page.locator("svg.graph a.node[data-node='train']").waitFor();
  check(page.url().endsWith("/runs/1"), "run: the URL is the run's");
  check((await page.locator("svg.graph a.node").count()) === 6, "run: the DAG has the 6 steps of iris");
  check((await page.locator("svg.graph a.node[data-status='succeeded']").count()) === 6, "run: every step is succeeded");
  check((await text(page)).includes("new step (never ran)"), "run: each step says why it ran");
  await shot(page, "run");
  await page.click("svg.graph a.node[data-node='train']");
  await page.locator("#step-panel").waitFor();
  await page.locator("#step-panel table").waitFor();
  const panel = await page.locator("#step-panel").innerText();
  check(page.url().endsWith("/runs/1?step=train"), "step: the URL names the step");
  check(panel.includes("rounds") && panel.includes("iris.train.model:v1") && panel.includes("iris.split.train:v1"),
    "step: params, inputs and outputs with versions");
  await shot(page, "step");
  await page.click("#step-panel a[href='/artifacts/iris.train.model%3Av1']");
  await page.locator("h1", { hasText: "iris.train.model:v1" }).waitFor();
  await page.locator("svg.graph").waitFor();
  const artifact = await text(page);
  check(artifact.includes("sha256:") && artifact.includes("train of run #1"), "artifact: digest and producer");
  check(artifact.includes("evaluate of run #1") && artifact.includes("predict of run #1"), "artifact: its consumers");
  check((await page.locator("svg.graph a.node").count()) >= 3, "artifact: a lineage graph up");
  await shot(page, "artifact");
  // Lineage: click the training split in the graph
  await page.click("svg.graph a.node[href='/artifacts/iris.split.train%3Av1']");
  await page.locator("h1", { hasText: "iris.split.train:v1" }).waitFor();
  await page.locator(".preview table.csv").waitFor();
  check((await page.locator(".preview table.csv th").allInnerTexts()).includes("species"), "lineage -> artifact: the CSV head as a table");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("button.download")]);
  const saved = join(out, "downloaded.csv");
  await download.saveAs(saved);
  check(readFileSync(saved, "utf8").startsWith("sepal_length") && download.suggestedFilename() === "iris.split.train_v1",
    "artifact: Download saves the file's bytes under its label");
  const csvRes = await fetch(`${base}/api/v1/artifacts/iris.split.train%3Av1/content`);
  check(csvRes.headers.get("content-type") === "text/csv; charset=utf-8" && csvRes.headers.get("x-content-type-options") === "nosniff",
    "artifact content: a CSV answers text/csv (sniffed: its name has no extension), never sniffed again");
  await page.click("text=what was made from it");
  await page.locator("svg.graph a.node[href='/artifacts/iris.train.model%3Av1']").waitFor();
  check(page.url().endsWith("?lineage=down"), "lineage: down has its URL");
  await shot(page, "lineage");
  check(await page.evaluate(() => window.__loadedOnce === true), "links, the graphs' too, navigate inside the app (no reload)");
  await page.goBack();
  await page.locator("h1", { hasText: "iris.split.train:v1" }).waitFor();
  check(!page.url().includes("lineage=down"), "the back button returns to the previous view");

  // Previews by content type: an image, an HTML report that cannot script
  // the page, the built-in evaluate's report, Markdown as text.
  const htmlRes = await fetch(`${base}/api/v1/artifacts/plots.draw.page/content`);
  check(htmlRes.headers.get("content-type")?.startsWith("text/html") &&
    (htmlRes.headers.get("content-security-policy") ?? "").startsWith("sandbox") &&
    htmlRes.headers.get("x-content-type-options") === "nosniff", "artifact content: HTML is sandboxed (CSP sandbox, nosniff)");
  await page.goto(`${base}/artifacts/plots.draw.png`);
  await page.locator(".preview img.preview-image").waitFor();
  await page.waitForFunction(() => document.querySelector(".preview img.preview-image")?.complete);
  check(await page.locator(".preview img.preview-image").evaluate((img) => img.naturalWidth === 4 && img.src.startsWith("blob:")),
    "preview: a PNG shown as an image");
  await shot(page, "preview-image");
  expectErrors = true; // the browser logs the sandbox's refusal to run the report's script
  await page.goto(`${base}/artifacts/plots.draw.page`);
  await page.frameLocator(".preview iframe.preview-html").locator("h1", { hasText: "Report" }).waitFor();
  await page.waitForTimeout(300);
  const reportBody = await page.frameLocator(".preview iframe.preview-html").locator("body").innerText();
  check((await page.locator(".preview iframe.preview-html").getAttribute("sandbox")) === "" &&
    !(await page.title()).includes("scripted") && !reportBody.includes("scripted"),
    "preview: an HTML report in a sandboxed frame, its script not run");
  await shot(page, "preview-html");
  expectErrors = false;
  await page.goto(`${base}/artifacts/iris.evaluate.metrics%3Av1`);
  await page.locator(".eval-report table.confusion").waitFor();
  const report = await page.locator(".eval-report").innerText();
  check(report.includes("multiclass") && report.includes("accuracy"), "preview: the evaluation report's metrics and confusion matrix");
  await shot(page, "preview-evaluation");
  await page.goto(`${base}/artifacts/plots.draw.notes`);
  await page.locator(".preview pre", { hasText: "# Notes" }).waitFor();
  check(true, "preview: a Markdown note as text");
  await page.goto(`${base}/artifacts/iris.train.model%3Av1`);
  await page.click("a[href='/models/iris']");
  await page.locator("h1", { hasText: "Model iris" }).waitFor();
  await page.locator("text=the first iris model").waitFor();
  const model = await text(page);
  check(model.includes("champion") && model.includes("iris:v1") && model.includes("#1"), "model: versions, alias and source run");
  await shot(page, "model");
  await page.click("nav a[href='/models']");
  await page.locator("table a[href='/models/iris']").waitFor();
  await shot(page, "models");
  await page.click("nav a[href='/deployments']");
  await page.locator("text=No deployments").waitFor();
  await shot(page, "deployments");
  await page.click("nav a[href='/pipelines']");
  await page.locator("a[href='/pipelines/gated']").waitFor();
  check((await text(page)).includes("webhook"), "pipelines: triggers listed");
  const nextFire = await page.locator(".next-fire").first().innerText();
  check(/next fire: .*01\/01\//.test(nextFire) || /next fire: .*\b1\/1\//.test(nextFire),
    `pipelines: a schedule's next fire time, from the API (${nextFire.trim()})`);
  await shot(page, "pipelines");

  // A running pipeline's DAG changes state live: started from the UI (the
  // token asked for once), then each gate opened in turn.
  await page.click("a[href='/pipelines/gated']");
  await page.locator("svg.graph").waitFor();
  await page.click("button:has-text('Run now')");
  await page.locator("dialog.token-dialog input").fill(token());
  await page.click("dialog.token-dialog button[value='ok']");
  await page.locator("text=/fire \\d+/").waitFor();
  let runId = null;
  for (let i = 0; i < 200 && !runId; i++) {
    const fires = await (await fetch(`${base}/api/v1/fires?pipeline=gated`)).json();
    runId = fires.fires[0]?.run ?? null;
    if (!runId) await new Promise((r) => setTimeout(r, 100));
  }
  check(runId !== null, "live: the fire started a run");
  await page.goto(`${base}/runs/${runId}`);
  const node = (name, status) => page.locator(`svg.graph a.node[data-node='${name}'][data-status='${status}']`);
  await node("first", "running").waitFor();
  check((await node("second", "pending").count()) === 1, "live: second is pending while first runs");
  await shot(page, "live-running");
  writeFileSync(join(gates, "first"), "");
  await node("first", "succeeded").waitFor();
  await node("second", "running").waitFor();
  check(true, "live: first succeeded and second started, without a reload");
  // The reads that follow the events settle; then nothing is read while
  // nothing happens (the page waits on the events stream).
  await new Promise((r) => setTimeout(r, 1000));
  const callsBefore = apiCalls.length;
  await new Promise((r) => setTimeout(r, 2000));
  const idle = apiCalls.slice(callsBefore).map((c) => c.path);
  check(idle.length === 0, `live: no polling while nothing happens${idle.length ? ` (read: ${idle.join(", ")})` : ""}`);
  writeFileSync(join(gates, "second"), "");
  await node("second", "succeeded").waitFor();
  await page.locator(".toolbar .status-succeeded").waitFor();
  check(true, "live: the run finished as succeeded");
  await shot(page, "live-finished");
  await page.goto(`${base}/pipelines/gated`);
  await page.locator(".last-fire", { hasText: "manual fire from" }).waitFor();
  check((await page.locator(".last-fire").last().innerText()).includes(`run #${runId}`),
    "pipeline: the last fire by hand, its reason and its run");

  // Cancel: the token is already in this tab's sessionStorage.
  const fired = await (await fetch(`${base}/api/v1/pipelines/stuck/runs`, {
    method: "POST", headers: { Authorization: `Bearer ${token()}` } })).json();
  let stuckRun = null;
  for (let i = 0; i < 200 && !stuckRun; i++) {
    stuckRun = (await (await fetch(`${base}/api/v1/fires/${fired.fire.id}`)).json()).run ?? null;
    if (!stuckRun) await new Promise((r) => setTimeout(r, 100));
  }
  await page.goto(`${base}/runs/${stuckRun}`);
  await node("wait", "running").waitFor();
  await page.click("button:has-text('Cancel run')");
  await node("wait", "cancelled").waitFor();
  await page.locator(".toolbar .status-cancelled").waitFor();
  check(true, "cancel: the button cancels the run and its DAG says so live");
  await shot(page, "cancelled");

  // Re-run with a run's params: run 3 had seed=7; the new run has it too.
  await page.goto(`${base}/runs/3`);
  await page.locator("button.rerun").waitFor();
  await page.click("button.rerun");
  await page.waitForURL((u) => /\/runs\/\d+$/.test(u.pathname) && u.pathname !== "/runs/3");
  const rerunId = Number(new URL(page.url()).pathname.split("/").pop());
  const rerun = await (await fetch(`${base}/api/v1/runs/${rerunId}`)).json();
  check(rerun.params?.seed === 7 && rerun.pipeline === "iris", `re-run: the new run #${rerunId} carries run 3's params (seed=7)`);
  await page.locator(".kv dd", { hasText: "seed=7" }).waitFor();
  await shot(page, "rerun");

  // The runs table follows the events stream: a run the server starts
  // appears, and its status changes, from reads of the first page only.
  await page.goto(`${base}/runs`);
  await page.locator(".runs-row[href='/runs/1']").waitFor();
  const listReads = () => apiCalls.filter((c) => c.method === "GET" && c.path === "/api/v1/runs").length;
  const readsBefore = listReads();
  const liveFire = await (await fetch(`${base}/api/v1/pipelines/stuck/runs`, {
    method: "POST", headers: { Authorization: `Bearer ${token()}` } })).json();
  const liveRow = (status) => page.locator(`.runs-row[data-run] .status-${status}`).first();
  await liveRow("running").waitFor();
  const liveRun = Number(await page.locator(".runs-row[data-run]").first().getAttribute("data-run"));
  const liveFireRun = (await (await fetch(`${base}/api/v1/fires/${liveFire.fire.id}`)).json()).run;
  check(liveRun === liveFireRun, `runs table: the run the server started (#${liveRun}) appears on top, running`);
  await shot(page, "runs-live");
  await fetch(`${base}/api/v1/runs/${liveRun}/cancel`, { method: "POST", headers: { Authorization: `Bearer ${token()}` } });
  await page.locator(`.runs-row[data-run='${liveRun}'] .status-cancelled`).waitFor();
  const liveReads = listReads() - readsBefore;
  check(liveReads >= 1 && liveReads <= 3, `runs table: its status changed live, from ${liveReads} reads of a first page`);

  // The monitoring record: the runs the server started have their durations.
  await page.click("nav a[href='/monitoring']");
  await page.locator("td code", { hasText: 'pipeline="gated"' }).waitFor();
  check((await page.locator(".series-chart canvas").count()) === 1, "monitoring: retraining durations per pipeline, charted");
  await shot(page, "monitoring");

  // A canary rolled back from its deployment's page: its weights change.
  run("run", "scorer.yaml"); // v1, the champion: the deployment exists
  await startServe();
  run("run", "scorer.yaml", "-p", "shift=-0.5"); // v2 passes its gate: a canary is queued
  await page.goto(`${base}/deployments/scorer`);
  // Followed live (the rollout's events): the canary's first step at 50 %.
  await page.locator("tr[data-rollout] td", { hasText: "candidate v2 gets 50 %" }).waitFor({ timeout: 60000 });
  const nowBox = page.locator("section.card").first();
  await nowBox.locator("td", { hasText: "version 2" }).waitFor();
  check((await nowBox.innerText()).includes("50.0 %"), "deployment: the canary's share of the traffic (50 %)");
  await shot(page, "rollout-canary");
  await page.click("button.rollback");
  await page.locator("tr[data-rollout] .status-rolled_back").waitFor();
  await nowBox.locator("td", { hasText: "version 2" }).waitFor({ state: "detached" });
  const after = await nowBox.innerText();
  check(after.includes("100.0 %") && !after.includes("version 2"),
    "rollback: the button takes the candidate's traffic away (the weights change)");
  check((await text(page)).includes("rollback requested by"), "rollback: the decision says who asked");
  await shot(page, "rollout-rolled-back");
  // A binary model's evaluation report: with its ROC and precision-recall curves.
  await page.goto(`${base}/artifacts/scorer.evaluate.metrics%3Av2`);
  await page.locator(".eval-report svg.eval-curve").first().waitFor();
  check((await page.locator(".eval-report").innerText()).includes("binary") &&
    (await page.locator(".eval-report svg.eval-curve polyline").count()) === 2,
    "preview: a binary evaluation report with its ROC and precision-recall curves");
  await shot(page, "preview-evaluation-binary");

  // Unknown run
  expectErrors = true;
  await page.goto(`${base}/runs/999`);
  await page.locator("text=run 999 not found").waitFor();
  await shot(page, "not-found");
  await page.click("text=Back to the runs");
  await page.locator(".runs-row").first().waitFor();
  check(page.url().endsWith("/runs"), "not found: the link goes back to the runs");
  expectErrors = false;

  // Phone width
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${base}/runs/1`);
  await page.locator("svg.graph").waitFor();
  await shot(page, "run-phone");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `phone: the run view does not scroll sideways (${overflow}px)`);
  await page.setViewportSize({ width: 1280, height: 800 });

  // The server goes down and comes back: the banner shows and goes.
  await page.goto(`${base}/runs/1`);
  await page.locator("svg.graph").waitFor();
  expectErrors = true;
  await stopServer();
  await page.click("nav a[href='/models']");
  await page.locator(".banner", { hasText: "Reconnecting" }).waitFor();
  await shot(page, "reconnecting");
  base = await startServer(port);
  await page.locator(".banner").waitFor({ state: "detached" });
  await page.locator("table a[href='/models/iris']").waitFor();
  check(true, "reconnect: the banner went away and the view reloaded");
  expectErrors = false;

  // Beyond loopback every call needs the token: the app's files still load
  // without it (they carry no data), and the app asks for the token once.
  await stopServer();
  await startServer(port, ["--host", "0.0.0.0"]);
  base = `http://127.0.0.1:${port}`;
  check((await fetch(`${base}/runs`)).status === 200 && (await fetch(`${base}/api/v1/runs`)).status === 401,
    "beyond loopback: the app loads without the token, the API does not answer without it");
  expectErrors = true; // the 401s before the token is typed
  const fresh = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const tab = await fresh.newPage();
  tab.on("pageerror", (e) => consoleErrors.push(`page error: ${e.message}`));
  tab.on("request", (r) => {
    const u = new URL(r.url());
    if (u.pathname.startsWith("/api/")) apiCalls.push({ method: r.method(), path: u.pathname });
  });
  await tab.goto(`${base}/runs`);
  await tab.locator("dialog.token-dialog input").fill(token());
  await tab.click("dialog.token-dialog button[value='ok']");
  await tab.locator(".runs-row[href='/runs/1']").waitFor();
  check((await tab.locator("dialog.token-dialog").count()) === 0, "beyond loopback: the token asked once, then the runs");
  await tab.screenshot({ path: join(out, "token.png") });
  await fresh.close();
  expectErrors = false;

  check(consoleErrors.length === 0, `no console errors${consoleErrors.length ? `: ${consoleErrors.join(" | ")}` : ""}`);
  const undocumented = [...new Set(apiCalls.filter((c) => !documented(c.method, c.path)).map((c) => `${c.method} ${c.path}`))];
  check(apiCalls.length > 0 && undocumented.length === 0,
    `every API call is a documented route (${apiCalls.length} calls)${undocumented.length ? `; not documented: ${undocumented.join(", ")}` : ""}`);
} catch (e) {
  failures++;
  console.log(`FAIL ${e.stack ?? e}`);
} finally {
  if (browser) await browser.close();
  if (serve) serve.kill("SIGTERM");
  await stopServer();
}
console.log(`${checks - failures + (failures && checks === 0 ? 0 : 0)} of ${checks} checks passed; screenshots in ${out}`);
process.exit(failures ? 1 : 0);
