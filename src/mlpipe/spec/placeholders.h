// Placeholders in run:, env: values and workdir: templates.
//
//   ${params.NAME}   a param value (the pipeline's, or inside a component the
//                    component's); lists join with spaces, except that an argv
//                    element that is exactly ${params.LIST} becomes one
//                    argument per element (ExpandArgv)
//   ${inputs.NAME}   path of a bound input
//   ${outputs.NAME}  path (not existing yet) where the step writes an output
//   ${run.id}        the run's id
//   ${step.name}     the step's name
//   ${pipeline.dir}  absolute folder of the pipeline file
//   $$               a literal '$'
// A '$' followed by anything else is kept literally. Everything here is a
// pure function of its arguments and thread-safe.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mlpipe/base/status.h"

namespace mlpipe::spec {

// One-line list of the valid forms, for hints.
inline constexpr const char* kPlaceholderForms =
    "${params.NAME}, ${inputs.NAME}, ${outputs.NAME}, ${run.id}, ${step.name}, ${pipeline.dir}; "
    "$$ for a literal $";

enum class RefScope { kParams, kInputs, kOutputs, kRunId, kStepName, kPipelineDir };

struct TemplatePart {
  enum class Kind { kLiteral, kRef };
  Kind kind = Kind::kLiteral;
  std::string text;  // kLiteral: the text ($$ already made $); kRef: as written, "${params.x}"
  RefScope scope = RefScope::kParams;  // kRef only
  std::string name;                    // kRef with params/inputs/outputs: NAME
  size_t offset = 0;                   // 0-based offset of the part in the template
};

struct Template {
  std::vector<TemplatePart> parts;
  bool HasRefs() const;
  // The template is exactly one placeholder and nothing else.
  bool IsSingleRef() const { return parts.size() == 1 && parts[0].kind == TemplatePart::Kind::kRef; }
};

// Parses a template. InvalidArgument for "${" without "}" ("unterminated
// placeholder '${params.x' (missing '}')"), a malformed body ("malformed
// placeholder '${x}'") or an unknown one ("unknown placeholder '${foo.bar}'").
StatusOr<Template> ParseTemplate(std::string_view text);

// ParseTemplate's parts one at a time, in order, without a Template holding
// them all (a join's command may hold 10,000 placeholders). On an error the
// parts before it have been visited.
Status ForEachTemplatePart(std::string_view text, const std::function<void(TemplatePart&&)>& visit);

// What a template may refer to when expanded.
struct ExpandContext {
  nlohmann::json params = nlohmann::json::object();
  std::map<std::string, std::string> inputs;   // name -> path
  std::map<std::string, std::string> outputs;  // name -> path
  std::string run_id;
  std::string step_name;
  std::string pipeline_dir;
};

// A param value as text: strings as is, numbers and bools as JSON writes
// them, lists as their elements' text joined with single spaces.
std::string FormatParamValue(const nlohmann::json& value);

// Expands every placeholder. NotFound ("unknown param 'x'", "unknown input
// 'x'", "unknown output 'x'") if a referenced name is not in the context;
// InvalidArgument if the template does not parse.
StatusOr<std::string> Expand(std::string_view template_text, const ExpandContext& context);

// Expands each element; an element that is exactly ${params.NAME} whose value
// is a list yields one argument per list element (none for an empty list).
StatusOr<std::vector<std::string>> ExpandArgv(const std::vector<std::string>& argv,
                                              const ExpandContext& context);

}  // namespace mlpipe::spec
