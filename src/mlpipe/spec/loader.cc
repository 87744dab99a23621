#include "mlpipe/spec/loader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "mlpipe/base/sha256.h"
#include "mlpipe/spec/load_state.h"

namespace mlpipe::spec {
namespace {

namespace fs = std::filesystem;
using internal::Diagnostics;
using internal::MapEntry;

const std::vector<std::string> kTopKeys = {"pipeline", "description",      "params",   "steps",
                                           "register", "sources",          "triggers", "concurrency",
                                           "cooldown", "max_runs_per_day", "max_duration", "ci",
                                           "deploy",   "challenger_of"};

// Reads the document into *spec. Fills *after_locs (one per step) and
// returns true when the steps were read and the graph is to be validated;
// that happens after the YAML tree is freed (the caller's job), so the tree
// and the whole graph check never take memory at the same time.
bool ParseTop(internal::YamlDocument& doc, internal::LoadState& st, PipelineSpec* spec,
              internal::AfterPositions* after_locs) {
  const internal::YamlNode& root = doc.root();
  Diagnostics& diags = st.diags;
  if (!root.IsMap()) {
    diags.Error(diags.Loc(root).line == 0 ? SourceLocation{st.file, 1, 1} : diags.Loc(root),
                fmt::format("a pipeline file must be a map, got {}", internal::NodeKindName(root)),
                "start it with pipeline: NAME and steps:");
    return false;
  }
  auto entries = internal::MapEntries(root, diags, &kTopKeys, "the pipeline");
  if (const MapEntry* e = internal::FindEntry(entries, "pipeline")) {
    auto name = internal::GetText(*e, diags, "pipeline");
    if (name && !internal::IsValidName(*name)) {
      diags.Error(e->loc, fmt::format("bad pipeline name '{}'", *name), "use letters, digits, '_' and '-'");
    } else if (name) {
      spec->name = *name;
    }
  } else {
    diags.Error(SourceLocation{st.file, 1, 1}, "missing pipeline: name", "add pipeline: NAME at the top");
  }
  if (const MapEntry* e = internal::FindEntry(entries, "description")) {
    if (auto d = internal::GetText(*e, diags, "description")) spec->description = *d;
  }
  if (const MapEntry* e = internal::FindEntry(entries, "params")) {
    spec->params = internal::ParseParamDecls(*e, diags, "the pipeline");
    for (const auto& p : spec->params) st.param_names.push_back(p.name);
  }
  st.pipeline_params = &spec->params;
  const MapEntry* steps = internal::FindEntry(entries, "steps");
  if (steps == nullptr) {
    diags.Error(SourceLocation{st.file, 1, 1}, "missing steps:", "add steps: with at least one step");
    return false;
  }
  if (!steps->value->IsMap() || steps->value->size() == 0) {
    diags.Error(steps->loc,
                steps->value->IsMap() || steps->value->IsNull()
                    ? std::string("steps: is empty")
                    : fmt::format("steps: must be a map of step name: step, got {}",
                                  internal::NodeKindName(*steps->value)),
                "write steps:\n    NAME:\n      run: COMMAND");
    return false;
  }
  // One entry at a time: the map of steps (its pairs) outlives the loop, the
  // steps' own nodes do not.
  const auto step_pairs = steps->value->pairs();
  const std::vector<uint32_t> step_indexes =
      internal::MapEntryIndexes(*steps->value, diags, nullptr, "steps:");
  if (step_indexes.empty()) return false;  // every key was reported
  // Reserved, then built one by one: a step's memory is touched only when it
  // is read, by which time the tree's earlier steps are released.
  spec->steps.reserve(step_indexes.size());
  after_locs->begin.reserve(step_indexes.size() + 1);
  // Taken once: the block holding step 0's first node may be the first to go.
  const size_t first_node = doc.IndexOf(step_pairs[step_indexes[0]].key);
  // The tree ends where the next top-level entry after steps: begins (nodes
  // are numbered in document order).
  size_t steps_end = doc.NodeCount();
  const size_t last_key = doc.IndexOf(step_pairs.back().key);
  for (const MapEntry& e : entries) {
    const size_t k = doc.IndexOf(e.key);
    if (k != SIZE_MAX && k > last_key) steps_end = std::min(steps_end, k);
  }
  for (size_t i = 0; i < step_indexes.size(); ++i) {
    internal::StepExtra extra;
    internal::ParseStep(internal::MakeMapEntry(step_pairs[step_indexes[i]]), st, &spec->steps.emplace_back(),
                        &extra);
    // Steps 0..i are read (extra holds copies): their part of the tree can go
    // before step i's templates are checked, the last step's too.
    doc.ReleaseNodes(first_node, i + 1 < step_indexes.size()
                                     ? doc.IndexOf(step_pairs[step_indexes[i + 1]].key)
                                     : steps_end);
    if (extra.detect_code_files) internal::DetectStepCodeFiles(&spec->steps[i], st);
    if (extra.detect_code_files) internal::FindMissingScripts(spec->steps[i], i, extra, st);
    internal::CheckStepTemplates(spec->steps[i], extra, diags);
    after_locs->Add(extra.after_locs);
  }
  internal::ReportMissingScripts(*spec, st);
  if (const MapEntry* e = internal::FindEntry(entries, "register")) internal::ParseRegister(*e, st, spec);
  if (const MapEntry* e = internal::FindEntry(entries, "sources")) internal::ParseSources(*e, st, spec);
  if (const MapEntry* e = internal::FindEntry(entries, "triggers")) internal::ParseTriggers(*e, st, spec);
  for (const char* brake : {"concurrency", "cooldown", "max_runs_per_day", "max_duration"}) {
    if (const MapEntry* e = internal::FindEntry(entries, brake)) internal::ParseBrake(*e, st, spec);
  }
  if (const MapEntry* e = internal::FindEntry(entries, "ci")) internal::ParseCi(*e, st, spec);
  if (const MapEntry* e = internal::FindEntry(entries, "challenger_of")) internal::ParseChallengerOf(*e, st, spec);
  const MapEntry* deploy = internal::FindEntry(entries, "deploy");
  if (deploy != nullptr) internal::ParseDeploy(*deploy, st, spec);
  if (!spec->challenger_of.empty()) internal::CheckChallenger(deploy, st, *spec);
  return true;
}

// LoadPipelineString's body. With `owned` (the string `text` views), the
// text is freed as soon as the YAML tree holds a copy of it.
LoadResult LoadText(std::string_view text, std::string* owned, const std::string& file_name,
                    const std::string& dir, const LoadOptions& options) {
  LoadResult result;
  PipelineSpec& spec = result.spec;
  spec.file = file_name;
  std::error_code ec;
  fs::path abs = fs::absolute(dir.empty() ? "." : dir, ec);
  spec.dir = internal::NormalizePath(ec ? dir : abs.string());
  Diagnostics diags(&result.diagnostics, file_name);
  internal::LoadState st{options, diags, &result.diagnostics, file_name, spec.dir, {}, {}, {}, {}};
  try {
    internal::AfterPositions after_locs;
    bool validate_graph = false;
    {
      internal::YamlDocument doc;
      if (auto error = internal::ParseYaml(text, &doc)) {
        diags.Error(SourceLocation{file_name, error->line, error->column},
                    fmt::format("YAML syntax error: {}", error->message),
                    "check indentation, colons and quotes around this place");
        return result;
      }
      if (owned != nullptr) std::string().swap(*owned);
      validate_graph = ParseTop(doc, st, &spec, &after_locs);
    }
    if (validate_graph) {
      internal::ValidateGraph(spec, after_locs, diags);
      internal::CheckBuiltinSteps(spec, st);
    }
  } catch (const std::exception& e) {
    // nlohmann::json or the standard library threw somewhere unexpected:
    // report it rather than let it escape.
    diags.Error(SourceLocation{file_name, 0, 0},
                fmt::format("internal error while reading the spec: {}", e.what()));
  }
  spec.read_files = std::move(st.read_files);
  spec.absent_files = st.detector.TakeAbsentPaths();
  std::stable_sort(result.diagnostics.begin(), result.diagnostics.end(),
                   [&](const Diagnostic& a, const Diagnostic& b) {
                     bool a_main = a.loc.file == file_name;
                     bool b_main = b.loc.file == file_name;
                     if (a_main != b_main) return a_main;
                     if (a.loc.file != b.loc.file) return a.loc.file < b.loc.file;
                     if (a.loc.line != b.loc.line) return a.loc.line < b.loc.line;
                     return a.loc.column < b.loc.column;
                   });
  return result;
}

}  // namespace

std::string LoadResult::ErrorText() const {
  std::string out;
  for (const auto& d : diagnostics) {
    out += d.ToString();
    out.push_back('\n');
  }
  return out;
}

LoadResult LoadPipelineString(std::string_view text, const std::string& file_name, const std::string& dir,
                              const LoadOptions& options) {
  return LoadText(text, nullptr, file_name, dir, options);
}

LoadResult LoadPipelineFile(const std::string& path, const LoadOptions& options) {
  std::ifstream in(path, std::ios::binary);
  std::error_code ec;
  if (!in || fs::is_directory(path, ec)) {
    LoadResult result;
    result.spec.file = path;
    int err = errno;
    result.diagnostics.push_back(
        Diagnostic{SourceLocation{path, 0, 0},
                   fmt::format("cannot read pipeline file: {}",
                               fs::is_directory(path, ec) ? "it is a folder" : std::strerror(err)),
                   "give the path of a pipeline YAML file"});
    return result;
  }
  // One read into a string of the file's size: a stringstream would hold
  // the text twice (its buffer, grown by doubling, and the copy).
  std::string text;
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(0, std::ios::beg);
  if (size >= 0) {
    text.resize(static_cast<size_t>(size));
    in.read(text.data(), size);
    text.resize(static_cast<size_t>(in.gcount()));
  } else {  // not seekable (a pipe): read to the end
    in.clear();
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  fs::path parent = fs::path(path).parent_path();
  std::string digest = "sha256:" + Sha256Hex(text);
  LoadResult result = LoadText(text, &text, path, parent.empty() ? "." : parent.string(), options);
  fs::path abs = fs::absolute(path, ec);
  result.spec.read_files.insert(result.spec.read_files.begin(),
                                {internal::NormalizePath(ec ? path : abs.string()), std::move(digest)});
  return result;
}

}  // namespace mlpipe::spec
