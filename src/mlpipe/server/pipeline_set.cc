#include "mlpipe/server/pipeline_set.h"

#include <fmt/format.h>
#include <glob.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "mlpipe/engine/load.h"
#include "mlpipe/spec/challengers.h"
#include "mlpipe/spec/trigger_loops.h"

namespace mlpipe::server {
namespace {

namespace fs = std::filesystem;

std::string Absolute(const std::string& dir, const std::string& path) {
  return fs::path(dir).append(path).lexically_normal().string();
}

std::string WithoutTrailingSlash(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

TriggerDef MakeTrigger(const spec::TriggerSpec& t, const std::string& dir) {
  TriggerDef d;
  d.kind = static_cast<TriggerDef::Kind>(static_cast<int>(t.kind));
  d.id = t.id;
  if (t.cron) d.cron = t.cron->Describe();
  for (const std::string& p : t.paths) {
    d.paths.push_back(WithoutTrailingSlash(Absolute(dir, p)));
    d.shown_paths.push_back(p);
  }
  d.repo = Absolute(dir, t.repo.empty() ? "." : t.repo);
  d.branch = t.branch;
  d.model = t.model;
  d.alias = t.alias;
  d.deployment = t.deployment;
  if (t.psi > 0) d.psi = t.psi;
  if (t.min_rows > 0) d.min_rows = t.min_rows;
  d.since_ns = t.since_ns;
  for (const spec::TriggerSpec& c : t.children) d.children.push_back(MakeTrigger(c, dir));
  return d;
}

}  // namespace

PipelineDef MakePipelineDef(const spec::PipelineSpec& spec, const std::string& spec_path) {
  PipelineDef p;
  p.name = spec.name;
  p.spec_path = fs::absolute(spec_path).lexically_normal().string();
  p.dir = spec.dir;
  for (const spec::TriggerSpec& t : spec.triggers) p.triggers.push_back(MakeTrigger(t, spec.dir));
  p.concurrency = spec.concurrency;
  p.cooldown_ns = spec.cooldown_ns;
  p.max_runs_per_day = spec.max_runs_per_day;
  p.max_duration_ns = spec.max_duration_ns;
  p.challenger_of = spec.challenger_of;
  std::set<std::string> files;
  for (const auto& [path, digest] : spec.read_files) files.insert(path);
  for (const spec::StepSpec& s : spec.steps) {
    for (const std::string& f : s.code_files) files.insert(Absolute(spec.dir, f));
  }
  p.code_files.assign(files.begin(), files.end());
  return p;
}

// Whether the YAML file has a top-level `steps:` key (a pipeline file).
static bool LooksLikePipeline(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("steps:", 0) == 0) return true;
  }
  return false;
}

StatusOr<LoadedPipelines> LoadPipelines(const std::vector<std::string>& patterns,
                                        const std::string& project_dir, bool lenient, bool allow_none) {
  std::vector<std::string> files;
  std::set<std::string> seen;
  for (const std::string& pattern : patterns) {
    const std::string full = fs::path(pattern).is_absolute() ? pattern : Absolute(project_dir, pattern);
    glob_t g{};
    const int rc = glob(full.c_str(), 0, nullptr, &g);
    std::vector<std::string> matched;
    if (rc == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) matched.push_back(g.gl_pathv[i]);
    }
    globfree(&g);
    if (lenient) {
      std::erase_if(matched, [](const std::string& m) { return !LooksLikePipeline(m); });
      if (matched.empty()) continue;
    }
    if (matched.empty()) {
      return InvalidArgumentError(
          fmt::format("--pipelines '{}' matches no file (in {})", pattern, project_dir));
    }
    for (std::string& m : matched) {
      if (seen.insert(m).second) files.push_back(std::move(m));
    }
  }
  if (files.empty() && lenient && allow_none) return LoadedPipelines{};
  if (files.empty()) {
    return InvalidArgumentError(fmt::format(
        "no pipeline file in {} (looked for *.yaml and pipelines/*.yaml; name files with --pipelines)",
        project_dir));
  }
  LoadedPipelines out;
  std::string errors;
  std::set<std::string> names;
  for (const std::string& file : files) {
    spec::LoadResult loaded = spec::LoadPipelineFile(file, engine::DefaultLoadOptions());
    if (!loaded.ok()) {
      errors += loaded.ErrorText();
      continue;
    }
    if (!names.insert(loaded.spec.name).second) {
      errors += fmt::format("{}: error: a second pipeline named '{}' (pipeline names must differ)\n", file,
                            loaded.spec.name);
      continue;
    }
    out.defs.push_back(MakePipelineDef(loaded.spec, file));
    out.specs.push_back(std::move(loaded.spec));
  }
  if (errors.empty()) {
    std::vector<const spec::PipelineSpec*> specs;
    for (const auto& s : out.specs) specs.push_back(&s);
    for (const spec::Diagnostic& d : spec::CheckTriggerLoops(specs)) errors += d.ToString() + "\n";
    for (const spec::Diagnostic& d : spec::CheckChallengers(specs, /*complete=*/true))
      errors += d.ToString() + "\n";
  }
  if (!errors.empty()) return InvalidArgumentError(errors + "nothing runs until the pipelines are valid");
  return out;
}

}  // namespace mlpipe::server
