#include "mlpipe/engine/step_command.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include <fmt/format.h>

#include "mlpipe/base/strings.h"
#include "mlpipe/spec/placeholders.h"

extern char** environ;

namespace mlpipe::engine {
namespace fs = std::filesystem;

namespace {

std::string EnvName(const std::string& prefix, const std::string& name) {
  std::string out = prefix;
  for (char c : name) out += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::toupper(c)) : '_';
  return out;
}

// Words of the command that name code files are made absolute, since the step
// runs in a fresh folder. A word with a placeholder is left alone (it is
// expanded to absolute store paths anyway).
std::string AbsolutizeWord(const std::string& word, const std::set<std::string>& code_words,
                           const std::string& base_dir) {
  if (!code_words.count(word)) return word;
  return (fs::path(base_dir) / word).lexically_normal().string();
}

std::set<std::string> CodeWords(const spec::PipelineSpec& spec, const spec::StepSpec& step,
                                const std::string& base_dir) {
  // code_files are relative to the pipeline dir (or absolute); a command word
  // names one if base_dir/word is that file.
  std::set<std::string> files;
  for (const auto& f : step.code_files) files.insert((fs::path(spec.dir) / f).lexically_normal().string());
  std::set<std::string> words;
  auto consider = [&](const std::string& w) {
    if (w.empty() || w.find("${") != std::string::npos || w[0] == '/') return;
    if (files.count((fs::path(base_dir) / w).lexically_normal().string())) words.insert(w);
  };
  if (step.shell) {
    for (const auto& w : Split(step.command.empty() ? "" : step.command[0], ' ')) consider(w);
  } else {
    for (const auto& w : step.command) consider(w);
  }
  return words;
}

}  // namespace

std::string StepBaseDir(const spec::PipelineSpec& spec, const spec::StepSpec& step) {
  // A component file's folder (a built-in has none).
  if (step.component != nullptr && !step.component->dir.empty()) return step.component->dir;
  return spec.dir;
}

namespace {

// mlpipe's own environment, read once: steps inherit it (plus their own variables).
const std::map<std::string, std::string>& InheritedEnv() {
  static const auto* env = [] {
    auto* m = new std::map<std::string, std::string>;
    for (char** e = environ; e && *e; ++e) {
      std::string_view kv = *e;
      auto eq = kv.find('=');
      if (eq != std::string_view::npos) (*m)[std::string(kv.substr(0, eq))] = std::string(kv.substr(eq + 1));
    }
    return m;
  }();
  return *env;
}

// The step folder holds only what a step needs written there (RunFolders):
// it is made by the first file that goes in it.
Status MakeParentDir(const std::string& path) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec) return InternalError("cannot create the folder of " + path + ": " + ec.message());
  return OkStatus();
}

}  // namespace

StatusOr<exec::Command> BuildStepCommand(const StepInvocation& inv) {
  const auto& spec = *inv.spec;
  const auto& step = *inv.step;
  spec::ExpandContext ctx;
  ctx.params = inv.params;
  ctx.inputs = inv.inputs;
  ctx.outputs = inv.outputs;
  ctx.run_id = std::to_string(inv.run_id);
  ctx.step_name = step.name;
  ctx.pipeline_dir = spec.dir;
  std::string base_dir = StepBaseDir(spec, step);

  exec::Command cmd;
  if (!step.builtin().empty()) {
    nlohmann::json invocation = {{"name", step.builtin()},
                                 {"inputs", inv.inputs},
                                 {"outputs", inv.outputs},
                                 {"params", inv.params},
                                 {"metrics_path", inv.metrics_path}};
    if (step.component != nullptr && !step.component->builtin_config.is_null()) {
      invocation["config"] = step.component->builtin_config;
    }
    RETURN_IF_ERROR(MakeParentDir(inv.invocation_path));
    std::ofstream f(inv.invocation_path);
    f << invocation.dump(2) << "\n";
    f.close();
    if (!f) return InternalError("cannot write " + inv.invocation_path);
    cmd.argv = {inv.self_exe, "builtin", step.builtin(), "--invocation", inv.invocation_path};
  } else if (step.shell) {
    auto words = CodeWords(spec, step, base_dir);
    std::vector<std::string> rewritten;
    for (const auto& w : Split(step.command.at(0), ' ')) rewritten.push_back(AbsolutizeWord(w, words, base_dir));
    ASSIGN_OR_RETURN(std::string text, spec::Expand(Join(rewritten, " "), ctx));
    if (text.size() > kMaxShellArgBytes && !inv.script_path.empty()) {
      RETURN_IF_ERROR(MakeParentDir(inv.script_path));
      std::ofstream f(inv.script_path);
      f << text << "\n";
      f.close();
      if (!f) return InternalError("cannot write " + inv.script_path);
      cmd.argv = {"/bin/sh", inv.script_path};
    } else {
      cmd.argv = {"/bin/sh", "-c", text};
    }
  } else {
    auto words = CodeWords(spec, step, base_dir);
    std::vector<std::string> argv;
    argv.reserve(step.command.size());
    for (const auto& w : step.command) argv.push_back(AbsolutizeWord(w, words, base_dir));
    ASSIGN_OR_RETURN(cmd.argv, spec::ExpandArgv(argv, ctx));
  }

  // The step's own variables; the inherited ones are merged in below, without
  // copying mlpipe's whole environment into a map for every step.
  const std::map<std::string, std::string>& inherited = InheritedEnv();
  std::map<std::string, std::string> env;
  env["MLPIPE_RUN_ID"] = ctx.run_id;
  env["MLPIPE_STEP"] = step.name;
  env["MLPIPE_PIPELINE"] = spec.name;
  env["MLPIPE_PIPELINE_DIR"] = spec.dir;
  env["MLPIPE_METRICS"] = inv.metrics_path;
  env["MLPIPE_ATTEMPT"] = std::to_string(inv.attempt);
  // Libraries that start a thread per core (OpenMP, BLAS, XGBoost) get the
  // step's share of the machine, so parallel steps do not oversubscribe it.
  if (!inherited.count("OMP_NUM_THREADS")) {
    env["OMP_NUM_THREADS"] = std::to_string(std::max(1, static_cast<int>(std::ceil(step.resources.cpus))));
  }
  // One variable per input and output path, unless together they would take
  // more than kMaxPathVariableBytes: the kernel caps a program's arguments
  // plus environment (ARG_MAX, 2 MiB by default), and a join over thousands
  // of store paths has every path in its command line already.
  size_t path_bytes = 0;
  for (const auto* paths : {&inv.inputs, &inv.outputs}) {
    for (const auto& [name, path] : *paths) path_bytes += name.size() + path.size() + 16;  // + "MLPIPE_OUTPUT_=", NUL
  }
  if (path_bytes <= kMaxPathVariableBytes) {
    for (const auto& [name, path] : inv.inputs) env[EnvName("MLPIPE_INPUT_", name)] = path;
    for (const auto& [name, path] : inv.outputs) env[EnvName("MLPIPE_OUTPUT_", name)] = path;
  } else {
    env["MLPIPE_PATH_VARIABLES"] = fmt::format(
        "omitted: {} input and {} output paths would take {} KiB of environment (more than {} KiB); "
        "use ${{inputs.NAME}} and ${{outputs.NAME}} in the command",
        inv.inputs.size(), inv.outputs.size(), (path_bytes + 1023) / 1024, kMaxPathVariableBytes / 1024);
  }
  for (const auto& [k, v] : step.env) {
    ASSIGN_OR_RETURN(env[k], spec::Expand(v, ctx));
  }
  // Both maps are sorted: merge them, the step's value winning, in key order.
  cmd.env.reserve(inherited.size() + env.size());
  auto own = env.begin();
  for (const auto& [k, v] : inherited) {
    for (; own != env.end() && own->first < k; ++own) cmd.env.push_back(own->first + "=" + own->second);
    if (own != env.end() && own->first == k) continue;  // the step's own value comes next
    cmd.env.push_back(k + "=" + v);
  }
  for (; own != env.end(); ++own) cmd.env.push_back(own->first + "=" + own->second);

  if (!step.workdir.empty()) {
    ASSIGN_OR_RETURN(std::string wd, spec::Expand(step.workdir, ctx));
    cmd.cwd = fs::path(wd).is_absolute() ? wd : (fs::path(spec.dir) / wd).string();
  } else {
    cmd.cwd = inv.work_dir;
  }
  cmd.stdout_path = inv.stdout_path;
  cmd.stderr_path = inv.stderr_path;
  cmd.timeout_ns = step.timeout_ns;
  return cmd;
}

}  // namespace mlpipe::engine
