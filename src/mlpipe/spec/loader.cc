#include "mlpipe/spec/loader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "mlpipe/base/sha256.h"
#include "mlpipe/spec/load_state.h"

namespace mlpipe::spec {
namespace {

namespace fs = std::filesystem;
using internal::Diagnostics;
using internal::MapEntry;

const std::vector<std::string> kTopKeys = {"pipeline", "description", "params", "steps", "register"};

void ParseTop(const internal::YamlNode& root, internal::LoadState& st, PipelineSpec* spec) {
  Diagnostics& diags = st.diags;
  if (!root.IsMap()) {
    diags.Error(diags.Loc(root).line == 0 ? SourceLocation{st.file, 1, 1} : diags.Loc(root),
                fmt::format("a pipeline file must be a map, got {}", internal::NodeKindName(root)),
                "start it with pipeline: NAME and steps:");
    return;
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
  const MapEntry* steps = internal::FindEntry(entries, "steps");
  if (steps == nullptr) {
    diags.Error(SourceLocation{st.file, 1, 1}, "missing steps:", "add steps: with at least one step");
    return;
  }
  if (!steps->value->IsMap() || steps->value->size() == 0) {
    diags.Error(steps->loc,
                steps->value->IsMap() || steps->value->IsNull()
                    ? std::string("steps: is empty")
                    : fmt::format("steps: must be a map of step name: step, got {}",
                                  internal::NodeKindName(*steps->value)),
                "write steps:\n    NAME:\n      run: COMMAND");
    return;
  }
  auto step_entries = internal::MapEntries(*steps->value, diags, nullptr, "steps:");
  spec->steps.resize(step_entries.size());
  std::vector<internal::StepExtra> extras(step_entries.size());
  for (size_t i = 0; i < step_entries.size(); ++i) {
    internal::ParseStep(step_entries[i], st, &spec->steps[i], &extras[i]);
  }
  internal::ValidateGraph(*spec, extras, diags);
  if (const MapEntry* e = internal::FindEntry(entries, "register")) internal::ParseRegister(*e, st, spec);
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
  LoadResult result;
  PipelineSpec& spec = result.spec;
  spec.file = file_name;
  std::error_code ec;
  fs::path abs = fs::absolute(dir.empty() ? "." : dir, ec);
  spec.dir = internal::NormalizePath(ec ? dir : abs.string());
  Diagnostics diags(&result.diagnostics, file_name);
  internal::LoadState st{options, diags, &result.diagnostics, file_name, spec.dir, {}, {}, {}, {}};
  internal::YamlDocument doc;
  if (auto error = internal::ParseYaml(text, &doc)) {
    diags.Error(SourceLocation{file_name, error->line, error->column},
                fmt::format("YAML syntax error: {}", error->message),
                "check indentation, colons and quotes around this place");
    return result;
  }
  try {
    ParseTop(doc.root(), st, &spec);
  } catch (const std::exception& e) {
    // nlohmann::json or the standard library threw somewhere unexpected:
    // report it rather than let it escape.
    diags.Error(SourceLocation{file_name, 0, 0},
                fmt::format("internal error while reading the spec: {}", e.what()));
  }
  spec.read_files = std::move(st.read_files);
  spec.absent_files = st.detector.AbsentPaths();
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
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  fs::path parent = fs::path(path).parent_path();
  LoadResult result = LoadPipelineString(text, path, parent.empty() ? "." : parent.string(), options);
  fs::path abs = fs::absolute(path, ec);
  result.spec.read_files.insert(
      result.spec.read_files.begin(),
      {internal::NormalizePath(ec ? path : abs.string()), "sha256:" + Sha256Hex(text)});
  return result;
}

}  // namespace mlpipe::spec
