// Reporting the scripts a pipeline's commands run that do not exist
// (script_check.h), at the word's file:line:column.
#include <fmt/format.h>

#include <filesystem>
#include <system_error>
#include <unordered_map>

#include "mlpipe/spec/load_state.h"
#include "mlpipe/spec/script_check.h"

namespace mlpipe::spec::internal {
namespace {

namespace fs = std::filesystem;

// Where word `word` of a command was written: its own site (a run: list),
// its column in a plain one-line run: (`plain_line`), else run:'s value.
Pos WordPosition(const std::vector<TemplateSite>& sites, const std::string& plain_line, size_t word,
                 const std::string& text) {
  std::vector<const TemplateSite*> run_sites;
  for (const auto& site : sites) {
    if (site.where == TemplateSite::Where::kRun) run_sites.push_back(&site);
  }
  if (run_sites.empty()) return Pos{};
  Pos pos = run_sites[word < run_sites.size() ? word : 0]->loc;
  if (!plain_line.empty()) {
    const std::string& line = plain_line;
    for (size_t at = line.find(text); at != std::string::npos; at = line.find(text, at + 1)) {
      if (at == 0 || line[at - 1] == ' ' || line[at - 1] == '\t') {
        pos.column += static_cast<int>(at);
        break;
      }
    }
  }
  return pos;
}

// The scripts of `command` (relative to `dir`) that do not exist.
std::vector<ScriptWord> MissingScripts(const std::vector<std::string>& command, bool shell,
                                       const std::string& dir, CodeFileDetector& detector) {
  std::vector<ScriptWord> out;
  for (ScriptWord& w : ScriptWords(command, shell)) {
    const std::string full = NormalizePath(fs::path(w.text).is_absolute() ? w.text : dir + "/" + w.text);
    if (detector.IsRegularFile(full)) continue;
    std::error_code ec;
    if (fs::exists(full, ec)) continue;  // a folder (python3 pkg/) or a device: not ours to judge
    out.push_back(std::move(w));
  }
  return out;
}

std::string Resolved(const std::string& path, const std::string& dir) {
  return NormalizePath(fs::path(path).is_absolute() ? path : dir + "/" + path);
}

}  // namespace

void FindMissingScripts(const StepSpec& step, size_t index, const StepExtra& extra, LoadState& st) {
  if (!st.options.check_files || !step.workdir.empty()) return;
  for (const ScriptWord& w : MissingScripts(step.command, step.shell, st.dir, st.detector)) {
    st.missing_scripts.push_back(
        {index, w.text, WordPosition(extra.sites, extra.run_plain_line, w.word, w.text)});
  }
}

void ReportMissingScripts(const PipelineSpec& spec, LoadState& st) {
  if (st.missing_scripts.empty()) return;
  // A missing script that another word of any command names (an output a
  // step writes, a file a shell command makes before it runs it, the same
  // path under ${pipeline.dir}/) is made there first: not an error.
  std::unordered_map<std::string, int> named;  // path words -> how often
  for (const StepSpec& step : spec.steps) {
    for (const std::string& word : CommandWords(step.command, step.shell)) {
      if (word.find('/') != std::string::npos || word.find('.') != std::string::npos)
        ++named[NormalizePath(word)];
    }
  }
  auto named_elsewhere = [&](const std::string& path) {
    const std::string normal = NormalizePath(path);
    auto it = named.find(normal);
    if (it != named.end() && it->second > 1) return true;
    const std::string tail = "/" + normal;
    for (const auto& [word, count] : named) {
      if (word.size() > tail.size() && word.compare(word.size() - tail.size(), tail.size(), tail) == 0)
        return true;
    }
    return false;
  };
  for (const MissingScript& m : st.missing_scripts) {
    if (named_elsewhere(m.path)) continue;
    st.diags.Error(m.loc,
                   fmt::format("step '{}' runs script '{}', which does not exist (resolved to {})",
                               spec.steps[m.step].name, m.path, Resolved(m.path, st.dir)),
                   MissingScriptHint(m.path, st.dir));
  }
  st.missing_scripts.clear();
}

void ReportMissingComponentScripts(const std::vector<std::string>& command, bool shell,
                                   const std::string& dir, const std::vector<TemplateSite>& sites,
                                   const std::string& plain_line, const std::string& where,
                                   CodeFileDetector& detector, Diagnostics& diags) {
  for (const ScriptWord& w : MissingScripts(command, shell, dir, detector)) {
    diags.Error(WordPosition(sites, plain_line, w.word, w.text),
                fmt::format("{} runs script '{}', which does not exist (resolved to {})", where, w.text,
                            Resolved(w.text, dir)),
                MissingScriptHint(w.text, dir));
  }
}

}  // namespace mlpipe::spec::internal
