#include "mlpipe/export/step_script.h"

#include <fmt/format.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "mlpipe/engine/step_command.h"

namespace mlpipe::exporter {
namespace {

// `text` with the folder `from` (a path, or a prefix of one) moved to `to`.
std::string ScriptMoveDir(const std::string& text, const std::string& from, const std::string& to) {
  if (to.empty() || from.empty() || from == to) return text;
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t hit = text.find(from, pos);
    // Only whole folder names: "/p/dir" in "/p/dir/x" or "/p/dir", not in "/p/dir2".
    while (hit != std::string::npos && hit + from.size() < text.size() && text[hit + from.size()] != '/' &&
           text[hit + from.size()] != ' ' && text[hit + from.size()] != '\'' &&
           text[hit + from.size()] != '"') {
      hit = text.find(from, hit + 1);
    }
    if (hit == std::string::npos) break;
    out.append(text, pos, hit - pos);
    out += to;
    pos = hit + from.size();
  }
  out.append(text, pos, std::string::npos);
  return out;
}

// The variables BuildStepCommand gives every step (step_command.h).
bool ScriptOwnVariable(const std::string& key) {
  static const std::set<std::string> kFixed = {"MLPIPE_RUN_ID",        "MLPIPE_STEP",    "MLPIPE_PIPELINE",
                                               "MLPIPE_PIPELINE_DIR",  "MLPIPE_METRICS", "MLPIPE_ATTEMPT",
                                               "MLPIPE_PATH_VARIABLES"};
  return kFixed.count(key) || key.rfind("MLPIPE_INPUT_", 0) == 0 || key.rfind("MLPIPE_OUTPUT_", 0) == 0;
}

// BuildStepCommand writes a built-in's invocation to a file: a temporary one
// here, read back and removed.
StatusOr<std::string> ScriptTempInvocation() {
  std::string tmpl = (std::getenv("TMPDIR") ? std::string(std::getenv("TMPDIR")) : std::string("/tmp")) +
                     "/mlpipe-export-XXXXXX";
  int fd = mkstemp(tmpl.data());
  if (fd < 0) return InternalError(fmt::format("cannot make a temporary file {}", tmpl));
  close(fd);
  return tmpl;
}

}  // namespace

StatusOr<StepScript> BuildStepScript(const engine::LoadedPipeline& pipeline, const PlannedStep& step,
                                     const StepPaths& paths) {
  const spec::StepSpec& s = *step.step;
  engine::StepInvocation inv;
  inv.spec = &pipeline.spec;
  inv.step = &s;
  inv.run_id = 0;
  inv.params = step.params;
  inv.inputs = paths.inputs;
  inv.outputs = paths.outputs;
  inv.work_dir = paths.work_dir;
  inv.metrics_path = paths.metrics_path;
  inv.self_exe = paths.self_exe;
  std::string temp;
  if (!s.builtin().empty()) {
    ASSIGN_OR_RETURN(temp, ScriptTempInvocation());
    inv.invocation_path = temp;
  }
  auto cmd = engine::BuildStepCommand(inv);
  StepScript out;
  if (!temp.empty()) {
    std::ifstream f(temp);
    std::stringstream text;
    text << f.rdbuf();
    out.invocation = ScriptMoveDir(text.str(), pipeline.spec.dir, paths.pipeline_dir);
    unlink(temp.c_str());
  }
  if (!cmd.ok()) return cmd.status().WithContext(fmt::format("step {}", s.name));
  const std::string& from = pipeline.spec.dir;
  for (std::string& arg : cmd->argv) {
    out.argv.push_back(arg == temp && !temp.empty() ? paths.invocation_path
                                                    : ScriptMoveDir(arg, from, paths.pipeline_dir));
  }
  // The step's own variables: mlpipe's and its env:, not the exporting shell's
  // (its MLPIPE_HOME names a workspace here).
  for (const std::string& kv : cmd->env) {
    const size_t eq = kv.find('=');
    const std::string key = kv.substr(0, eq);
    if (!ScriptOwnVariable(key) && !s.env.count(key)) continue;
    out.env[key] = ScriptMoveDir(kv.substr(eq + 1), from, paths.pipeline_dir);
  }
  // Libraries that start a thread per core get the step's share (as a run sets it).
  if (!s.env.count("OMP_NUM_THREADS")) {
    out.env["OMP_NUM_THREADS"] = std::to_string(std::max(1, static_cast<int>(std::ceil(s.resources.cpus))));
  }
  out.cwd = ScriptMoveDir(cmd->cwd, from, paths.pipeline_dir);
  return out;
}

}  // namespace mlpipe::exporter
