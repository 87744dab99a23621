// Validates Argo Workflows written by `mlpipe export argo` with an
// independent validator: @kubernetes-models/argo-workflows, generated from
// Argo's published schema (`new Workflow(obj).validate()`), then the
// references the schema cannot express, as Argo's own controller checks them
// on submit: the entrypoint and every task's template exist, dependencies name
// tasks of the same DAG and have no cycle, an artifact `from` names an output
// of a task it depends on, and a task's artifacts are its template's inputs.
//
//   node validate.mjs [--expect-invalid] FILE...
//
// The build copies this file beside its node_modules (npm ci from the
// committed package-lock.json, in the build folder's tests/argo/).
//
// Exit 0 when every FILE is valid (with --expect-invalid: when every FILE is
// rejected), 1 otherwise; each verdict on stdout.
import { readFileSync } from "node:fs";
import { Workflow } from "@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/Workflow";
import YAML from "yaml";

const args = process.argv.slice(2);
let expectInvalid = false;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--expect-invalid") expectInvalid = true;
  else files.push(args[i]);
}
if (files.length === 0) {
  console.error("usage: node validate.mjs [--expect-invalid] FILE...");
  process.exit(2);
}

function referenceErrors(wf) {
  const errors = [];
  const templates = new Map((wf.spec?.templates ?? []).map((t) => [t.name, t]));
  if (!templates.has(wf.spec?.entrypoint)) errors.push(`entrypoint ${wf.spec?.entrypoint} is no template`);
  for (const t of templates.values()) {
    if (!t.dag) continue;
    const tasks = new Map(t.dag.tasks.map((task) => [task.name, task]));
    if (tasks.size !== t.dag.tasks.length) errors.push(`${t.name}: two tasks have the same name`);
    for (const task of t.dag.tasks) {
      const where = `${t.name}.${task.name}`;
      const target = templates.get(task.template);
      if (!target) errors.push(`${where}: template ${task.template} does not exist`);
      const deps = task.dependencies ?? [];
      for (const d of deps) if (!tasks.has(d)) errors.push(`${where}: dependency ${d} is no task`);
      const inputs = new Set((target?.inputs?.artifacts ?? []).map((a) => a.name));
      for (const a of task.arguments?.artifacts ?? []) {
        if (target && !inputs.has(a.name)) errors.push(`${where}: artifact ${a.name} is no input of ${task.template}`);
        if (!a.from && !a.s3 && !a.raw) errors.push(`${where}: artifact ${a.name} has no source`);
        const m = /^\{\{tasks\.([^.]+)\.outputs\.artifacts\.([^.}]+)\}\}$/.exec(a.from ?? "");
        if (a.from && !m) errors.push(`${where}: artifact ${a.name}: unreadable from ${a.from}`);
        if (m) {
          if (!deps.includes(m[1])) errors.push(`${where}: reads ${m[1]}'s output without depending on it`);
          const producer = templates.get(tasks.get(m[1])?.template);
          const outputs = new Set((producer?.outputs?.artifacts ?? []).map((o) => o.name));
          if (!outputs.has(m[2])) errors.push(`${where}: ${m[1]} has no output artifact ${m[2]}`);
        }
      }
      for (const i of target?.inputs?.artifacts ?? []) {
        const given = (task.arguments?.artifacts ?? []).some((a) => a.name === i.name);
        if (!given && !i.raw && !i.optional) errors.push(`${where}: input ${i.name} of ${task.template} is not given`);
      }
    }
    // No cycle: a depth-first search over dependencies.
    const state = new Map();
    const visit = (name) => {
      if (state.get(name) === 1) return true;
      if (state.get(name) === 2) return false;
      state.set(name, 1);
      const cyclic = (tasks.get(name)?.dependencies ?? []).some((d) => tasks.has(d) && visit(d));
      state.set(name, 2);
      return cyclic;
    };
    for (const name of tasks.keys()) if (visit(name)) errors.push(`${t.name}: dependencies form a cycle through ${name}`);
  }
  return errors;
}

let failed = 0;
for (const file of files) {
  const text = readFileSync(file, "utf8");
  let verdict;
  try {
    const obj = file.endsWith(".json") ? JSON.parse(text) : YAML.parse(text);
    new Workflow(obj).validate();  // throws a ValidationError naming every schema violation
    const errors = referenceErrors(obj);
    verdict = errors.length === 0 ? null : errors.join("; ");
  } catch (e) {
    verdict = e.message;
  }
  const ok = expectInvalid ? verdict !== null : verdict === null;
  if (!ok) failed++;
  console.log(`${ok ? "ok" : "FAIL"} ${file}: ${verdict === null ? "valid" : "invalid: " + verdict}`);
}
process.exit(failed === 0 ? 0 : 1);
