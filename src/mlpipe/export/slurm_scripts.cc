#include "mlpipe/export/slurm_scripts.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include "mlpipe/base/strings.h"
#include "mlpipe/exec/slurm_runner.h"
#include "mlpipe/export/step_script.h"

namespace mlpipe::exporter {
namespace {

namespace fs = std::filesystem;
constexpr int64_t kSlurmExportNsPerSecond = 1'000'000'000;

int64_t SlurmExportSeconds(int64_t ns) {
  return (ns + kSlurmExportNsPerSecond - 1) / kSlurmExportNsPerSecond;
}

std::string SlurmStepScript(const PlannedStep& p, const StepScript& script, const SlurmExportOptions& o,
                            const std::string& pipeline, const std::map<std::string, std::string>& outputs) {
  const spec::StepSpec& step = *p.step;
  exec::Command command;
  command.name = step.name;
  command.cwd = script.cwd;
  command.stdout_path = fmt::format("{}/logs/{}.out", o.dir, step.name);
  command.stderr_path = fmt::format("{}/logs/{}.err", o.dir, step.name);
  command.cpus = std::max(1, static_cast<int>(std::ceil(step.resources.cpus)));
  command.memory_bytes = step.resources.memory_bytes;
  // The job's limit covers every attempt; each attempt has its own (timeout(1) below).
  command.timeout_ns = step.timeout_ns * (step.retries + 1);
  exec::SlurmRunnerOptions sbatch;
  sbatch.job_name_prefix = fmt::format("mlpipe-{}", pipeline);
  std::string text = "#!/bin/sh\n";
  for (const std::string& arg : exec::SbatchArgs(command, 0, sbatch))
    text += fmt::format("#SBATCH {}\n", arg);
  text += fmt::format(
      "# Step {} of pipeline {} (mlpipe export slurm): its command as `mlpipe run` runs it.\n"
      "# Writes {}/done/{} only when it succeeds.\n",
      step.name, pipeline, o.dir, step.name);
  text += fmt::format("done_marker={}\nrm -f \"$done_marker\"\n",
                      ShellQuote(fmt::format("{}/done/{}", o.dir, step.name)));
  std::string run = "(";
  run += fmt::format(" cd {} || exit 127; exec", ShellQuote(script.cwd));
  if (step.timeout_ns > 0) run += fmt::format(" timeout -k 5 {}s", SlurmExportSeconds(step.timeout_ns));
  run += " env";
  for (const auto& [k, v] : script.env) {
    run += k == "MLPIPE_ATTEMPT" ? std::string(" MLPIPE_ATTEMPT=\"$attempt\"")
                                 : fmt::format(" {}", ShellQuote(k + "=" + v));
  }
  for (const std::string& arg : script.argv) run += fmt::format(" {}", ShellQuote(arg));
  run += " ) </dev/null";
  std::string clean;
  for (const auto& [name, path] : outputs) clean += fmt::format(" {}", ShellQuote(path));
  text += fmt::format("attempt=1\ndelay={}\nwhile :; do\n", SlurmExportSeconds(step.retry_backoff_ns));
  if (!clean.empty()) text += fmt::format("  rm -rf{}\n", clean);
  text += fmt::format("  {}\n  rc=$?\n", run);
  text += fmt::format("  if [ \"$rc\" -eq 0 ] || [ \"$attempt\" -gt {} ]; then break; fi\n", step.retries);
  text += fmt::format(
      "  echo \"mlpipe: attempt $attempt of step {} failed (exit $rc); again in ${{delay}}s\" >&2\n"
      "  sleep \"$delay\"; delay=$((delay * 2)); attempt=$((attempt + 1))\ndone\n",
      step.name);
  text += "if [ \"$rc\" -eq 0 ]; then\n";
  for (const spec::OutputSpec& out : step.outputs) {
    if (out.optional) continue;
    text += fmt::format(
        "  [ -e {} ] || {{ echo \"mlpipe: step {} did not write its output {}\" >&2; exit 1; }}\n",
        ShellQuote(outputs.at(out.name)), step.name, out.name);
  }
  text += "  touch \"$done_marker\"\nfi\nexit \"$rc\"\n";
  return text;
}

std::string SlurmSubmitScript(const ExportPlan& plan, const std::string& pipeline,
                              const std::map<std::string, int>& index) {
  std::string text = fmt::format(
      "#!/bin/sh\n"
      "# Submits the steps of pipeline {} in dependency order (mlpipe export slurm).\n"
      "# A step whose done/STEP marker exists is not submitted again. sbatch reads\n"
      "# SBATCH_PARTITION, SBATCH_ACCOUNT, ... from the environment.\n"
      "set -eu\n"
      "cd \"$(dirname \"$0\")\"\n"
      "mkdir -p logs done\n"
      "# submit STEP [JOB...]: prints the id of STEP's job, which waits for the JOBs (none when STEP is "
      "done).\n"
      "submit() {{\n"
      "  step=$1; shift\n"
      "  if [ -e \"done/$step\" ]; then return 0; fi\n"
      "  deps=\"\"\n"
      "  for job in \"$@\"; do if [ -n \"$job\" ]; then deps=\"$deps:$job\"; fi; done\n"
      "  if [ -n \"$deps\" ]; then\n"
      "    id=$(sbatch --parsable --dependency=afterok$deps \"steps/$step.sbatch\")\n"
      "  else\n"
      "    id=$(sbatch --parsable \"steps/$step.sbatch\")\n"
      "  fi\n"
      "  id=${{id%%;*}}  # --parsable prints ID or ID;CLUSTER\n"
      "  echo \"$step $id\" >>jobs.txt\n"
      "  echo \"$id\"\n"
      "}}\n",
      pipeline);
  for (const PlannedStep& p : plan.steps) {
    if (p.cached) continue;
    text += fmt::format("job_{}=$(submit {}", index.at(p.step->name), ShellQuote(p.step->name));
    for (const std::string& d : p.depends) text += fmt::format(" \"$job_{}\"", index.at(d));
    text += ")\n";
  }
  text += "echo \"submitted: see jobs.txt; squeue --me shows them\"\n";
  return text;
}

std::string SlurmReadme(const engine::LoadedPipeline& pipeline, const ExportPlan& plan,
                        const SlurmExportOptions& o) {
  std::string text = fmt::format(
      "Pipeline {} as batch scripts (mlpipe export slurm), for a cluster that allows only sbatch.\n\n"
      "  ./submit.sh                 submit the steps in dependency order (afterok)\n"
      "  SBATCH_PARTITION=debug ./submit.sh   the same, on a partition\n"
      "  ls done/                    the steps that succeeded\n"
      "  ls outputs/STEP/            what a step wrote\n"
      "  cat logs/STEP.err           a step's stderr\n\n"
      "Submitting again submits only the steps without a done marker (remove done/STEP to run it again).\n"
      "Every path is absolute ({}): the nodes must see this folder, the pipeline's folder ({})\n"
      "and the workspace's object store at the same paths. Inputs are read where they are: sources in the\n"
      "pipeline's folder, cached steps' outputs in the object store (read-only; `mlpipe artifacts gc` may\n"
      "remove them, so submit before a gc). Built-in steps run {}.\n\n"
      "Steps (decided by mlpipe when exported):\n",
      pipeline.spec.name, o.dir, pipeline.spec.dir, o.mlpipe);
  for (const PlannedStep& p : plan.steps) {
    text += fmt::format("  {:<20} {:<6} {}\n", p.step->name, p.cached ? "cached" : "run", p.reason);
  }
  return text;
}

}  // namespace

StatusOr<std::vector<TreeFile>> SlurmScripts(const engine::LoadedPipeline& pipeline, const ExportPlan& plan,
                                             const SlurmExportOptions& o) {
  if (plan.runs() == 0) {
    return FailedPreconditionError(fmt::format(
        "every step of {} is cached: no step to run (--no-cache exports them all)", pipeline.spec.name));
  }
  std::vector<TreeFile> files;
  std::map<std::string, int> index;  // step -> its job's variable in submit.sh
  for (const PlannedStep& p : plan.steps) index[p.step->name] = static_cast<int>(index.size());
  for (const PlannedStep& p : plan.steps) {
    if (p.cached) continue;
    const std::string& name = p.step->name;
    StepPaths paths;
    for (const PlannedInput& in : p.inputs) {
      if (!in.from_step.empty()) {
        paths.inputs[in.name] = fmt::format("{}/outputs/{}/{}", o.dir, in.from_step, in.from_output);
      } else if (!in.source.empty()) {
        paths.inputs[in.name] = in.source;
      } else {
        ASSIGN_OR_RETURN(paths.inputs[in.name], o.object_path(in.stored));
      }
    }
    for (const spec::OutputSpec& out : p.step->outputs) {
      paths.outputs[out.name] = fmt::format("{}/outputs/{}/{}", o.dir, name, out.name);
    }
    paths.work_dir = fmt::format("{}/work/{}", o.dir, name);
    paths.metrics_path = fmt::format("{}/outputs/{}/.metrics.jsonl", o.dir, name);
    paths.self_exe = o.mlpipe;
    paths.invocation_path = fmt::format("{}/invocations/{}.json", o.dir, name);
    ASSIGN_OR_RETURN(StepScript script, BuildStepScript(pipeline, p, paths));
    if (!script.invocation.empty())
      files.push_back({fmt::format("invocations/{}.json", name), script.invocation});
    files.push_back({fmt::format("steps/{}.sbatch", name),
                     SlurmStepScript(p, script, o, pipeline.spec.name, paths.outputs), true});
  }
  files.push_back({"submit.sh", SlurmSubmitScript(plan, pipeline.spec.name, index), true});
  files.push_back({"README.txt", SlurmReadme(pipeline, plan, o)});
  return files;
}

Status WriteTree(const std::string& dir, const ExportPlan& plan, const std::vector<TreeFile>& files) {
  std::error_code ec;
  const fs::path root(dir);
  if (!fs::is_directory(root.parent_path(), ec)) {
    return InvalidArgumentError(
        fmt::format("cannot write {}: its folder {} does not exist", dir, root.parent_path().string()));
  }
  if (fs::exists(root, ec) && !fs::is_empty(root, ec) && !fs::exists(root / "submit.sh", ec)) {
    return InvalidArgumentError(fmt::format(
        "{} is not empty and holds no earlier export (no submit.sh): give a new or empty folder", dir));
  }
  std::vector<fs::path> folders = {root / "steps", root / "logs", root / "done", root / "invocations"};
  for (const PlannedStep& p : plan.steps) {
    if (p.cached) continue;
    folders.push_back(root / "outputs" / p.step->name);
    folders.push_back(root / "work" / p.step->name);
  }
  for (const fs::path& f : folders) {
    fs::create_directories(f, ec);
    if (ec) return InternalError(fmt::format("cannot make {}: {}", f.string(), ec.message()));
  }
  for (const TreeFile& f : files) {
    const fs::path path = root / f.path;
    std::ofstream out(path, std::ios::trunc);
    out << f.text;
    out.close();
    if (!out) return InternalError(fmt::format("cannot write {}", path.string()));
    if (f.executable) chmod(path.c_str(), 0755);
  }
  return OkStatus();
}

}  // namespace mlpipe::exporter
