// Reading one step of a pipeline (inline command, component file or
// built-in) into a StepSpec.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "mlpipe/base/sha256.h"
#include "mlpipe/base/strings.h"
#include "mlpipe/spec/load_state.h"
#include "mlpipe/spec/notebook_step.h"
#include "mlpipe/spec/params.h"
#include "mlpipe/spec/placeholders.h"
#include "mlpipe/spec/units.h"

namespace mlpipe::spec::internal {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kStepKeys = {
    "description", "run",     "uses",          "shell",        "inputs",    "outputs", "params",
    "after",       "retries", "retry_backoff", "timeout",      "resources", "env",     "workdir",
    "cache",       "code",    "notebook",      "cell_timeout", "tests"};
const std::vector<std::string> kResourceKeys = {"cpus", "memory"};

std::vector<std::string> PortNames(const std::vector<OutputSpec>& ports) {
  std::vector<std::string> out;
  for (const auto& p : ports) out.push_back(p.name);
  return out;
}

std::string ResolvePath(const std::string& path, const std::string& dir) {
  return NormalizePath(fs::path(path).is_absolute() ? path : dir + "/" + path);
}

// Whether source `path` (as written) exists; each distinct path is checked once.
bool SourceExists(const std::string& path, LoadState& st) {
  auto it = st.source_exists.find(path);
  if (it != st.source_exists.end()) return it->second;
  std::error_code ec;
  bool exists = fs::exists(ResolvePath(path, st.dir), ec);
  st.source_exists.emplace(path, exists);
  return exists;
}

// Why `ref` ("NAME@ALIAS" or "NAME:vN") is not a model reference, or "".
// The name and alias rules are the registry's (LoadOptions); "latest" is the
// reserved alias of the newest version.
std::string ModelRefProblem(std::string_view ref, const LoadState& st) {
  const size_t at = ref.find('@');
  const size_t colon = ref.find(':');
  if (at != std::string_view::npos && colon != std::string_view::npos) return "it has both '@' and ':'";
  const size_t cut = at != std::string_view::npos ? at : colon;
  std::string_view name = ref.substr(0, cut);
  std::string_view rest = ref.substr(cut + 1);
  if (name.empty()) return "the model name is empty";
  if (st.options.check_model_name) {
    if (Status s = st.options.check_model_name(name); !s.ok()) return s.message();
  }
  if (at != std::string_view::npos) {
    if (rest.empty()) return "the alias is empty";
    if (rest == "latest" || !st.options.check_alias_name) return "";
    Status s = st.options.check_alias_name(rest);
    return s.ok() ? "" : s.message();
  }
  const bool digits = rest.size() >= 2 && rest.size() <= 16 && rest[0] == 'v' &&
                      rest.find_first_not_of("0123456789", 1) == std::string_view::npos &&
                      rest.find_first_not_of('0', 1) != std::string_view::npos;
  return digits ? "" : fmt::format("the version must be v1, v2, ... (got '{}')", rest);
}

void ParseInputs(const MapEntry& entry, LoadState& st, const std::string& where, StepSpec* step) {
  if (entry.value->IsNull()) return;
  if (!entry.value->IsMap()) {
    st.diags.Error(
        entry.loc,
        fmt::format("inputs of {} must be a map of name: SOURCE, STEP.OUTPUT or MODEL@ALIAS, got {}", where,
                    NodeKindName(*entry.value)));
    return;
  }
  // A join may bind 10,000: one entry at a time, and no doubling slack.
  const auto pairs = entry.value->pairs();
  const std::vector<uint32_t> indexes =
      MapEntryIndexes(*entry.value, st.diags, nullptr, "inputs of " + where);
  step->inputs.reserve(step->inputs.size() + indexes.size());
  for (uint32_t index : indexes) {
    const MapEntry e = MakeMapEntry(pairs[index]);
    if (!IsValidName(e.name)) {
      st.diags.Error(e.key_loc, fmt::format("bad input name '{}' in {}", e.name, where),
                     "use letters, digits, '_' and '-'");
      continue;
    }
    if (!e.value->IsScalar()) {  // (the message is only formatted when needed)
      GetText(e, st.diags, fmt::format("input '{}' of {}", e.name, where));
      continue;
    }
    InputBinding input;
    input.name = e.name;
    input.loc = st.diags.Loc(e.loc);
    std::string_view v = e.value->Scalar();
    if (v.find('/') != std::string::npos) {
      input.kind = InputBinding::Kind::kSource;
      input.value = v;
      if (st.options.check_files && !SourceExists(input.value, st)) {
        std::string full = ResolvePath(input.value, st.dir);
        st.diags.Error(e.loc,
                       fmt::format("source '{}' of {} does not exist (resolved to {})", v, where, full),
                       "values with a '/' are files or folders relative to the pipeline file's folder; "
                       "STEP.OUTPUT names another step's output");
      }
    } else if (v.find_first_of("@:") != std::string_view::npos) {
      std::string problem = ModelRefProblem(v, st);
      if (!problem.empty()) {
        st.diags.Error(
            e.loc,
            fmt::format("input '{}' of {} is '{}', not a registered model reference: {}", e.name, where, v,
                        problem),
            fmt::format("a registered model is NAME@ALIAS or NAME:vN (e.g. churn@champion, churn:v3); "
                        "write ./{} for a file next to the pipeline file",
                        v));
        continue;
      }
      input.kind = InputBinding::Kind::kModel;
      input.value = v;
    } else {
      size_t dot = v.find('.');
      if (dot == std::string::npos || !IsValidName(v.substr(0, dot)) || !IsValidName(v.substr(dot + 1))) {
        st.diags.Error(
            e.loc,
            fmt::format("input '{}' of {} is '{}': neither a source path (containing '/'), "
                        "STEP.OUTPUT nor a registered model (NAME@ALIAS)",
                        e.name, where, v),
            fmt::format("write ./{} for a file next to the pipeline file, STEP.OUTPUT, or {}@champion "
                        "for a registered model's alias",
                        v, v));
        continue;
      }
      input.kind = InputBinding::Kind::kStepOutput;
      input.value = v;
    }
    step->inputs.push_back(std::move(input));
  }
}

void ParseCode(const MapEntry& entry, LoadState& st, const std::string& where, StepSpec* step) {
  auto list = GetTextList(entry, st.diags, "code");
  if (!list) return;
  for (const auto& path : *list) {
    std::string full = ResolvePath(path, st.dir);
    if (st.options.check_files && !st.detector.IsRegularFile(full)) {
      st.diags.Error(entry.loc,
                     fmt::format("code file '{}' of {} does not exist (resolved to {})", path, where, full),
                     "code: paths are relative to the pipeline file's folder");
      continue;
    }
    step->code_files.push_back(RelativeToDirOrAbsolute(full, st.dir));
  }
}

void ParseResources(const MapEntry& entry, LoadState& st, const std::string& where, Resources* r) {
  if (!entry.value->IsMap()) {
    st.diags.Error(entry.loc,
                   fmt::format("resources of {} must be a map like {{cpus: 2, memory: 4GiB}}, got {}", where,
                               NodeKindName(*entry.value)));
    return;
  }
  for (const auto& e : MapEntries(*entry.value, st.diags, &kResourceKeys, "resources of " + where)) {
    if (e.name == "cpus") {
      auto cpus = GetNumber(e, st.diags, "cpus");
      if (cpus && *cpus <= 0) {
        st.diags.Error(e.loc,
                       fmt::format("cpus of {} must be more than 0, got {}", where, e.value->Scalar()));
      } else if (cpus) {
        r->cpus = *cpus;
      }
    } else {
      auto text = GetText(e, st.diags, "memory");
      if (!text) continue;
      auto bytes = ParseSize(*text);
      if (!bytes.ok()) {
        st.diags.Error(e.loc, fmt::format("memory of {}: {}", where, bytes.status().message()),
                       "write a size like 512MiB, 4GiB, 2G (= 2*10^9) or a number of bytes");
      } else {
        r->memory_bytes = *bytes;
      }
    }
  }
}

std::optional<int64_t> ParseDurationEntry(const MapEntry& e, LoadState& st, const std::string& where) {
  auto text = GetText(e, st.diags, e.name);
  if (!text) return std::nullopt;
  auto ns = ParseDuration(*text);
  if (!ns.ok()) {
    st.diags.Error(e.loc, fmt::format("{} of {}: {}", e.name, where, ns.status().message()),
                   "write a duration like 500ms, 30s, 5m, 2h, or a number of seconds");
    return std::nullopt;
  }
  return *ns;
}

std::shared_ptr<const ComponentSpec> LoadComponent(const MapEntry& uses, const std::string& ref,
                                                   LoadState& st) {
  if (StartsWith(ref, "mlpipe/")) {
    std::string name = ref.substr(7);
    auto cached = st.components.find(ref);
    if (cached != st.components.end()) return cached->second;
    std::optional<std::string> text;
    if (st.options.builtin_resolver) text = st.options.builtin_resolver(name);
    if (!text) {
      std::vector<std::string> known;
      if (st.options.builtin_names) {
        for (const auto& n : st.options.builtin_names()) known.push_back("mlpipe/" + n);
      }
      std::string hint = known.empty() ? "no built-in components are available here"
                                       : DidYouMean(ref, known, "built-ins are: " + Join(known, ", "));
      st.diags.Error(uses.loc, fmt::format("unknown built-in component '{}'", ref), hint);
      return nullptr;
    }
    auto comp = ParseComponent(*text, "<built-in " + ref + ">", "", name, st.options.check_files, st.detector,
                               st.all);
    st.components.emplace(ref, comp);
    return comp;
  }
  std::string full = ResolvePath(ref, st.dir);
  auto cached = st.components.find(full);
  if (cached != st.components.end()) return cached->second;
  std::ifstream in(full, std::ios::binary);
  std::error_code ec;
  if (!in || fs::is_directory(full, ec)) {
    st.diags.Error(
        uses.loc, fmt::format("component file '{}' not found (resolved to {})", ref, full),
        "uses: paths are relative to the pipeline file's folder; built-ins are written mlpipe/NAME");
    return nullptr;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  st.read_files.emplace_back(full, "sha256:" + Sha256Hex(buffer.view()));
  std::string shown = NormalizePath((fs::path(st.file).parent_path() / ref).generic_string());
  auto comp = ParseComponent(buffer.str(), shown, NormalizePath(fs::path(full).parent_path().string()), "",
                             st.options.check_files, st.detector, st.all);
  st.components.emplace(full, comp);
  return comp;
}

// A param the step binds that its component does not declare (the component
// has step_defined: [params]): typed by its value, or by the pipeline param a
// value of exactly "${params.X}" names.
ParamSpec StepDefinedParam(const MapEntry& e, const nlohmann::json& value, const LoadState& st) {
  ParamSpec param{std::string(e.name), InferParamType(value), value, "", st.diags.Loc(e.key_loc)};
  if (!value.is_string() || st.pipeline_params == nullptr) return param;
  auto parsed = ParseTemplate(value.get_ref<const std::string&>());
  if (!parsed.ok() || !parsed->IsSingleRef() || parsed->parts[0].scope != RefScope::kParams) return param;
  for (const ParamSpec& p : *st.pipeline_params) {
    if (p.name == parsed->parts[0].name) param.type = p.type;
  }
  return param;
}

// Binds the step's params: into step->params, merged with the component's
// defaults; those the component does not declare also into *step_defined.
void BindComponentParams(const MapEntry* params_entry, const ComponentSpec& comp, LoadState& st,
                         const std::string& where, StepSpec* step, std::vector<ParamSpec>* step_defined,
                         BuiltinSites* sites) {
  nlohmann::json merged = nlohmann::json::object();
  std::vector<std::string> names;
  for (const auto& p : comp.params) {
    merged[p.name] = p.default_value;
    names.push_back(p.name);
  }
  if (params_entry != nullptr && !params_entry->value->IsNull()) {
    if (!params_entry->value->IsMap()) {
      st.diags.Error(params_entry->loc, fmt::format("params of {} must be a map of name: value, got {}",
                                                    where, NodeKindName(*params_entry->value)));
    } else {
      for (const auto& e : MapEntries(*params_entry->value, st.diags, nullptr, "params of " + where)) {
        auto it = std::find_if(comp.params.begin(), comp.params.end(),
                               [&](const ParamSpec& p) { return p.name == e.name; });
        if (it == comp.params.end() && comp.step_defined_params && !IsValidName(e.name)) {
          st.diags.Error(e.key_loc, fmt::format("bad param name '{}' in {}", e.name, where),
                         "use letters, digits and '_'");
          continue;
        }
        if (it == comp.params.end() && !comp.step_defined_params) {
          st.diags.Error(
              e.key_loc, fmt::format("component '{}' has no param '{}'", comp.name, e.name),
              DidYouMean(e.name, names,
                         names.empty() ? "it declares no params" : "its params are: " + Join(names, ", ")));
          continue;
        }
        auto value = GetValue(*e.value, e.loc, st.diags, fmt::format("param '{}' of {}", e.name, where));
        if (!value) continue;
        if (sites != nullptr) sites->params[std::string(e.name)] = st.diags.Loc(e.key_loc);
        if (value->is_string() && value->get_ref<const std::string&>().find('$') != std::string::npos) {
          auto parsed = ParseTemplate(value->get_ref<const std::string&>());
          if (!parsed.ok()) {
            st.diags.Error(e.loc,
                           fmt::format("{} in param '{}' of {}", parsed.status().message(), e.name, where),
                           fmt::format("placeholders are {}", kPlaceholderForms));
            continue;
          }
          for (const auto& part : parsed->parts) {
            if (part.kind != TemplatePart::Kind::kRef) continue;
            if (part.scope == RefScope::kInputs || part.scope == RefScope::kOutputs) {
              st.diags.Error(
                  e.loc, fmt::format("{} cannot be used in a param binding of {}", part.text, where),
                  "param bindings may use ${params.NAME} of the pipeline, ${run.id}, ${step.name}, "
                  "${pipeline.dir}");
            } else if (part.scope == RefScope::kParams &&
                       std::find(st.param_names.begin(), st.param_names.end(), part.name) ==
                           st.param_names.end()) {
              st.diags.Error(
                  e.loc,
                  fmt::format("{} refers to unknown pipeline param '{}' in {}", part.text, part.name, where),
                  DidYouMean(part.name, st.param_names, "declare it under the pipeline's params:"));
            }
          }
          if (it == comp.params.end()) step_defined->push_back(StepDefinedParam(e, *value, st));
          merged[e.name] = *value;
          continue;
        }
        if (it == comp.params.end()) {
          step_defined->push_back(StepDefinedParam(e, *value, st));
          merged[e.name] = *value;
          continue;
        }
        auto coerced = CoerceParamValue(it->type, *value);
        if (!coerced.ok()) {
          st.diags.Error(e.loc,
                         fmt::format("param '{}' of {} is {} (component '{}'), got {}", e.name, where,
                                     ParamTypeName(it->type), comp.name, NodeKindName(*e.value)),
                         fmt::format("give a value of type {}", ParamTypeName(it->type)));
          continue;
        }
        merged[e.name] = std::move(coerced).value();
      }
    }
  }
  step->params = std::move(merged);
}

void BindComponent(const MapEntry& uses, const std::vector<MapEntry>& fields, LoadState& st,
                   const std::string& where, StepSpec* step, StepExtra* extra) {
  auto ref = GetText(uses, st.diags, "uses");
  if (!ref) return;
  auto comp = LoadComponent(uses, *ref, st);
  for (const char* key : {"outputs", "shell"}) {
    const MapEntry* e = FindEntry(fields, key);
    if (e == nullptr || (comp && comp->step_defined_outputs && std::string_view(key) == "outputs")) continue;
    st.diags.Error(e->key_loc, fmt::format("{} uses a component, so it cannot set {}:", where, key),
                   fmt::format("{}: belongs in the component", key));
  }
  const bool runs_notebook = comp && comp->builtin == kNotebookBuiltin;
  if (!runs_notebook) RejectNotebookKeys(fields, st, where);
  if (!comp) return;
  step->component = comp->ref;
  step->command = comp->command;
  step->shell = comp->shell;
  step->env = comp->env;
  if (step->workdir.empty()) step->workdir = comp->workdir;
  step->outputs = comp->outputs;
  if (const MapEntry* e = FindEntry(fields, "outputs"); e != nullptr && comp->step_defined_outputs) {
    std::vector<std::string> declared = PortNames(comp->outputs);
    for (auto& out : ParsePorts(*e, st.diags, "outputs of " + where, PortKind::kOutput)) {
      if (std::find(declared.begin(), declared.end(), out.name) != declared.end()) {
        st.diags.Error(
            out.loc,
            fmt::format("output '{}' of {} is already an output of component '{}'", out.name, where,
                        comp->name),
            fmt::format("give it another name; the component's outputs are: {}", Join(declared, ", ")));
        continue;
      }
      step->outputs.push_back(std::move(out));
    }
  }
  for (const auto& code : comp->code_files) {
    std::string rel = RelativeToDirOrAbsolute(code, st.dir);
    if (std::find(step->code_files.begin(), step->code_files.end(), rel) == step->code_files.end()) {
      step->code_files.push_back(rel);
    }
  }
  std::vector<std::string> input_names = PortNames(comp->inputs);
  for (auto& input : step->inputs) {
    auto it = std::find_if(comp->inputs.begin(), comp->inputs.end(),
                           [&](const OutputSpec& p) { return p.name == input.name; });
    if (it == comp->inputs.end() && comp->step_defined_inputs) continue;
    if (it == comp->inputs.end()) {
      st.diags.Error(input.loc, fmt::format("component '{}' has no input '{}'", comp->name, input.name),
                     DidYouMean(input.name, input_names,
                                input_names.empty() ? "it declares no inputs"
                                                    : "its inputs are: " + Join(input_names, ", ")));
      continue;
    }
    input.type = it->type;
    input.optional = it->optional;
  }
  for (const auto& declared : comp->inputs) {
    bool bound = std::any_of(step->inputs.begin(), step->inputs.end(),
                             [&](const InputBinding& b) { return b.name == declared.name; });
    if (!bound && !declared.optional) {
      st.diags.Error(
          uses.loc,
          fmt::format("{} does not bind input '{}' of component '{}'", where, declared.name, comp->name),
          fmt::format("add it under inputs: ({}: STEP.OUTPUT or a path)", declared.name));
    }
  }
  BuiltinSites* sites = nullptr;
  if (!comp->builtin.empty()) {
    sites = &st.builtin_sites.emplace_back();
    sites->step = step->name;
    sites->uses = st.diags.Loc(uses.loc);
  }
  std::vector<ParamSpec> step_defined;
  BindComponentParams(FindEntry(fields, "params"), *comp, st, where, step, &step_defined, sites);
  nlohmann::json config =
      runs_notebook ? BindNotebook(uses, fields, *comp, step_defined, st, where, step) : nullptr;
  if (!step_defined.empty() || !config.is_null()) {  // a component of the step's own
    auto own = std::make_shared<ComponentRef>(*comp->ref);
    own->params.insert(own->params.end(), step_defined.begin(), step_defined.end());
    own->builtin_config = std::move(config);
    step->component = std::move(own);
  }
  for (const auto& p : step->component->params) extra->scope.params.push_back(p.name);
  extra->scope.inputs = input_names;
  if (comp->step_defined_inputs) {
    for (const auto& in : step->inputs) {
      if (std::find(input_names.begin(), input_names.end(), in.name) == input_names.end())
        extra->scope.inputs.push_back(in.name);
    }
  }
  extra->scope.outputs = PortNames(step->outputs);
  extra->scope.params_origin = "component";
}

}  // namespace

void ParseStep(const MapEntry& entry, LoadState& st, StepSpec* step, StepExtra* extra) {
  step->name = entry.name;
  step->loc = st.diags.Loc(entry.key_loc);
  std::string where = fmt::format("step '{}'", entry.name);
  extra->scope.what = where;
  if (!IsValidName(entry.name)) {
    st.diags.Error(entry.key_loc, fmt::format("bad step name '{}'", entry.name),
                   "use letters, digits, '_' and '-' ('.' separates STEP.OUTPUT)");
  }
  if (!entry.value->IsMap()) {
    st.diags.Error(entry.loc,
                   fmt::format("{} must be a map (run:, inputs:, outputs:, ...), got {}", where,
                               NodeKindName(*entry.value)),
                   "indent the step's keys under its name");
    return;
  }
  auto fields = MapEntries(*entry.value, st.diags, &kStepKeys, where);
  const MapEntry* run = FindEntry(fields, "run");
  const MapEntry* uses = FindEntry(fields, "uses");
  for (const auto& e : fields) {
    if (e.name == "description") {
      if (auto d = GetText(e, st.diags, "description")) step->description = *d;
    } else if (e.name == "shell") {
      if (auto b = GetBool(e, st.diags, "shell")) step->shell = *b;
    } else if (e.name == "cache") {
      if (auto b = GetBool(e, st.diags, "cache")) step->cache = *b;
    } else if (e.name == "retries") {
      auto n = GetInt(e, st.diags, fmt::format("retries of {}", where));
      if (n && (*n < 0 || *n > 1000)) {
        st.diags.Error(e.loc, fmt::format("retries of {} must be between 0 and 1000, got {}", where, *n));
      } else if (n) {
        step->retries = static_cast<int>(*n);
      }
    } else if (e.name == "retry_backoff") {
      if (auto ns = ParseDurationEntry(e, st, where)) step->retry_backoff_ns = *ns;
    } else if (e.name == "timeout") {
      if (auto ns = ParseDurationEntry(e, st, where)) step->timeout_ns = *ns;
    } else if (e.name == "resources") {
      ParseResources(e, st, where, &step->resources);
    } else if (e.name == "workdir") {
      if (auto w = GetText(e, st.diags, "workdir")) {
        step->workdir = *w;
        extra->sites.push_back({*w, e.loc, TemplateSite::Where::kWorkdir});
      }
    } else if (e.name == "after") {
      if (auto list = GetTextList(e, st.diags, fmt::format("after of {}", where))) {
        step->after = *list;
        if (e.value->IsSequence()) {
          for (const YamlNode* item : e.value->items()) extra->after_locs.push_back(Diagnostics::At(*item));
        } else {
          extra->after_locs.push_back(e.loc);
        }
      }
    } else if (e.name == "inputs") {
      ParseInputs(e, st, where, step);
    } else if (e.name == "code") {
      ParseCode(e, st, where, step);
    } else if (e.name == "tests") {
      ParseTests(e, st.diags, where, &step->tests);
    }
  }
  if (run != nullptr && uses != nullptr) {
    st.diags.Error(uses->key_loc, fmt::format("{} has both run: and uses:", where),
                   "a step runs either its own command (run:) or a component (uses:)");
  } else if (run == nullptr && uses == nullptr) {
    st.diags.Error(entry.key_loc, fmt::format("{} has no run: or uses:", where),
                   "add run: COMMAND, or uses: ./components/NAME.yaml or mlpipe/NAME");
  }
  if (uses != nullptr && run == nullptr) {
    BindComponent(*uses, fields, st, where, step, extra);
  } else {
    if (uses == nullptr) RejectNotebookKeys(fields, st, where);
    if (const MapEntry* p = FindEntry(fields, "params")) {
      st.diags.Error(
          p->key_loc,
          fmt::format("params: of {} binds a component's params, but the step has no uses:", where),
          "use the pipeline's params in run: directly as ${params.NAME}");
    }
    if (const MapEntry* o = FindEntry(fields, "outputs"))
      step->outputs = ParsePorts(*o, st.diags, "outputs of " + where, PortKind::kOutput);
    if (run != nullptr) ParseRun(*run, step->shell, st.diags, where, &step->command, &extra->sites);
    if (run != nullptr && IsPlainScalar(*run->value) &&
        run->value->Scalar().find('\n') == std::string_view::npos) {
      extra->run_plain_line = std::string(run->value->Scalar());
    }
    extra->scope.shared_params = &st.param_names;
    extra->scope.params_origin = "pipeline";
    extra->scope.outputs.reserve(step->outputs.size());
    for (const auto& out : step->outputs) extra->scope.outputs.push_back(out.name);
    extra->scope.inputs.reserve(step->inputs.size());
    for (const auto& in : step->inputs) extra->scope.inputs.push_back(in.name);
    extra->check_outputs_written = run != nullptr;
    extra->detect_code_files = true;
  }
  if (const MapEntry* e = FindEntry(fields, "env")) {
    std::map<std::string, std::string> env;
    ParseEnv(*e, st.diags, where, &env, &extra->sites);
    for (auto& [k, v] : env) step->env[k] = std::move(v);  // step env overrides the component's
  }
}

void DetectStepCodeFiles(StepSpec* step, LoadState& st) {
  for (auto& code : st.detector.Detect(step->command, step->shell, st.dir)) {
    if (std::find(step->code_files.begin(), step->code_files.end(), code) == step->code_files.end()) {
      step->code_files.push_back(std::move(code));
    }
  }
}

}  // namespace mlpipe::spec::internal
