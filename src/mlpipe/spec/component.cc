#include "mlpipe/spec/component.h"

#include <fmt/format.h>

#include <filesystem>

#include "mlpipe/base/sha256.h"
#include "mlpipe/base/strings.h"
#include "mlpipe/spec/load_state.h"

namespace mlpipe::spec::internal {
namespace {

const std::vector<std::string> kComponentKeys = {"component", "builtin", "description", "inputs",
                                                 "outputs",   "params",  "run",         "shell",
                                                 "env",       "workdir", "code",        "tests"};
// A built-in's description may also say which of its ports and params its
// steps define (component files cannot: their command names each one).
const std::vector<std::string> kBuiltinKeys = [] {
  std::vector<std::string> keys = kComponentKeys;
  keys.push_back("step_defined");
  return keys;
}();
const std::vector<std::string> kStepDefinedParts = {"params", "inputs", "outputs"};

std::vector<std::string> Names(const std::vector<OutputSpec>& ports) {
  std::vector<std::string> out;
  for (const auto& p : ports) out.push_back(p.name);
  return out;
}

}  // namespace

std::shared_ptr<const ComponentSpec> ParseComponent(std::string_view text, const std::string& file,
                                                    const std::string& dir, const std::string& builtin_name,
                                                    bool check_files, CodeFileDetector& detector,
                                                    std::vector<Diagnostic>* out) {
  auto c = std::make_shared<ComponentSpec>();
  c->file = file;
  c->dir = dir;
  c->digest = Sha256Hex(text);
  Diagnostics diags(out, file);
  size_t before = diags.count();
  YamlDocument doc;
  if (auto error = ParseYaml(text, &doc)) {
    diags.Error(SourceLocation{file, error->line, error->column},
                fmt::format("YAML syntax error: {}", error->message),
                "fix the YAML syntax of the component file");
    return c;
  }
  const YamlNode& root = doc.root();
  if (!root.IsMap()) {
    diags.Error(diags.Loc(root), fmt::format("a component file must be a map, got {}", NodeKindName(root)),
                "start it with component: NAME");
    return c;
  }
  auto entries =
      MapEntries(root, diags, builtin_name.empty() ? &kComponentKeys : &kBuiltinKeys, "the component");
  std::string where = "the component";
  const MapEntry* name_entry = FindEntry(entries, "component");
  const MapEntry* builtin_entry = FindEntry(entries, "builtin");
  if (name_entry != nullptr) {
    if (auto name = GetText(*name_entry, diags, "component")) c->name = *name;
  } else if (builtin_entry == nullptr) {
    diags.Error(SourceLocation{file, 1, 1}, "component file has no component: name",
                "add component: NAME at the top");
  }
  if (builtin_entry != nullptr) {
    if (auto name = GetText(*builtin_entry, diags, "builtin")) c->builtin = *name;
    if (builtin_name.empty()) {
      diags.Error(builtin_entry->key_loc, "builtin: is only for mlpipe's own built-in components",
                  "use run: COMMAND in a component file");
    }
    if (c->name.empty()) c->name = c->builtin;
  }
  if (!c->name.empty()) where = fmt::format("component '{}'", c->name);
  if (const MapEntry* e = FindEntry(entries, "description")) {
    if (auto d = GetText(*e, diags, "description")) c->description = *d;
  }
  if (const MapEntry* e = FindEntry(entries, "inputs"))
    c->inputs = ParsePorts(*e, diags, "inputs of " + where, PortKind::kInput);
  if (const MapEntry* e = FindEntry(entries, "outputs"))
    c->outputs = ParsePorts(*e, diags, "outputs of " + where, PortKind::kOutput);
  if (const MapEntry* e = FindEntry(entries, "params")) c->params = ParseParamDecls(*e, diags, where);
  if (const MapEntry* e = FindEntry(entries, "step_defined")) {
    if (auto parts = GetTextList(*e, diags, "step_defined")) {
      for (const auto& part : *parts) {
        if (part == "params") {
          c->step_defined_params = true;
        } else if (part == "inputs") {
          c->step_defined_inputs = true;
        } else if (part == "outputs") {
          c->step_defined_outputs = true;
        } else {
          diags.Error(e->loc, fmt::format("step_defined: names '{}'", part),
                      DidYouMean(part, kStepDefinedParts, "it lists params, inputs and outputs"));
        }
      }
    }
  }
  if (const MapEntry* e = FindEntry(entries, "shell")) {
    if (auto b = GetBool(*e, diags, "shell")) c->shell = *b;
  }
  std::vector<TemplateSite> sites;
  const MapEntry* run_entry = FindEntry(entries, "run");
  if (run_entry != nullptr) {
    if (!builtin_name.empty()) {
      diags.Error(run_entry->key_loc, "a built-in component has builtin: NAME, not run:");
    } else {
      ParseRun(*run_entry, c->shell, diags, where, &c->command, &sites);
    }
  } else if (builtin_name.empty()) {
    diags.Error(SourceLocation{file, 1, 1}, fmt::format("{} has no run:", where),
                "add run: COMMAND (use ${inputs.X}, ${outputs.Y}, ${params.Z})");
  }
  if (!builtin_name.empty() && builtin_entry == nullptr) {
    diags.Error(SourceLocation{file, 1, 1}, fmt::format("built-in '{}' has no builtin: key", builtin_name));
  }
  if (const MapEntry* e = FindEntry(entries, "env")) ParseEnv(*e, diags, where, &c->env, &sites);
  if (const MapEntry* e = FindEntry(entries, "workdir")) {
    if (auto w = GetText(*e, diags, "workdir")) {
      c->workdir = *w;
      sites.push_back({*w, e->loc, TemplateSite::Where::kWorkdir});
    }
  }
  if (const MapEntry* e = FindEntry(entries, "code")) {
    if (auto list = GetTextList(*e, diags, "code")) {
      for (const auto& path : *list) {
        std::string full = NormalizePath(std::filesystem::path(path).is_absolute() ? path : dir + "/" + path);
        if (check_files && !detector.IsRegularFile(full)) {
          diags.Error(e->loc,
                      fmt::format("code file '{}' of {} does not exist (resolved to {})", path, where, full),
                      "code: paths are relative to the component file's folder");
          continue;
        }
        c->code_files.push_back(full);
      }
    }
  }
  if (const MapEntry* e = FindEntry(entries, "tests")) ParseTests(*e, diags, where, &c->tests);
  if (builtin_name.empty() && !c->dir.empty() && check_files && c->workdir.empty() && run_entry != nullptr) {
    const bool plain =
        IsPlainScalar(*run_entry->value) && run_entry->value->Scalar().find('\n') == std::string_view::npos;
    ReportMissingComponentScripts(c->command, c->shell, c->dir, sites,
                                  plain ? std::string(run_entry->value->Scalar()) : "", where, detector,
                                  diags);
  }
  if (builtin_name.empty() && !c->dir.empty()) {
    for (const auto& rel : detector.Detect(c->command, c->shell, c->dir)) {
      std::string full = NormalizePath(c->dir + "/" + rel);
      if (std::find(c->code_files.begin(), c->code_files.end(), full) == c->code_files.end()) {
        c->code_files.push_back(full);
      }
    }
  }
  TemplateScope scope;
  for (const auto& p : c->params) scope.params.push_back(p.name);
  scope.inputs = Names(c->inputs);
  scope.outputs = Names(c->outputs);
  scope.what = where;
  scope.params_origin = "component";
  CheckTemplates(sites, scope, c->outputs, /*check_outputs_written=*/builtin_name.empty(), diags);
  c->valid = diags.count() == before;
  c->ref = std::make_shared<const ComponentRef>(
      ComponentRef{c->name, c->digest, c->dir, c->params, c->builtin, nullptr, c->tests});
  return c;
}

}  // namespace mlpipe::spec::internal
