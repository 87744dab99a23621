// Internal: readers for the parts that pipeline and component files share
// (params, typed inputs/outputs, run:, env:). They report problems into a
// Diagnostics and return what could be read.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "mlpipe/spec/pipeline.h"
#include "mlpipe/spec/yaml_util.h"

namespace mlpipe::spec::internal {

// A template found in run:, env: or workdir:, with where it was written.
struct TemplateSite {
  enum class Where { kRun, kEnv, kWorkdir };
  std::string text;
  Pos loc;
  Where where = Where::kRun;
};

// `params:` (short form `name: default` or long form
// `name: {type:, default:, description:}`).
std::vector<ParamSpec> ParseParamDecls(const MapEntry& entry, Diagnostics& diags, std::string_view where);

// Component `inputs:` / `outputs:`: `name: type`, `name: {type:,
// description:, optional:}` (outputs also `keep_on_failure:`) or `name:`
// (untyped).
enum class PortKind { kInput, kOutput };
std::vector<OutputSpec> ParsePorts(const MapEntry& entry, Diagnostics& diags, std::string_view where,
                                   PortKind kind);

// `run:` as a string (split into words unless `shell`) or a list of strings.
// Appends one TemplateSite per argv element to `sites`. Returns false (with a
// diagnostic) if it cannot be read.
bool ParseRun(const MapEntry& entry, bool shell, Diagnostics& diags, std::string_view where,
              std::vector<std::string>* command, std::vector<TemplateSite>* sites);

// `env: {NAME: value}`; values are templates (numbers and bools as written).
void ParseEnv(const MapEntry& entry, Diagnostics& diags, std::string_view where,
              std::map<std::string, std::string>* env, std::vector<TemplateSite>* sites);

// Scope against which placeholders of a command are checked.
struct TemplateScope {
  std::vector<std::string> params;
  // When set, used instead of `params` (the pipeline's params, shared by
  // every inline step rather than copied; must outlive the scope's use).
  const std::vector<std::string>* shared_params = nullptr;
  const std::vector<std::string>& Params() const { return shared_params != nullptr ? *shared_params : params; }
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::string what;  // "step 'count'" or "component 'train-model'"
  std::string params_origin;  // "pipeline" or "component"
};

// Checks every placeholder of `sites` against `scope` (malformed and unknown
// placeholders, unknown params/inputs/outputs, each with a hint), then
// reports each output of `outputs` that no site mentions (when
// `check_outputs_written`).
void CheckTemplates(const std::vector<TemplateSite>& sites, const TemplateScope& scope,
                    const std::vector<OutputSpec>& outputs, bool check_outputs_written, Diagnostics& diags);

}  // namespace mlpipe::spec::internal
