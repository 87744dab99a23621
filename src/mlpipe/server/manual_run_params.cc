#include "mlpipe/server/manual_run_params.h"

#include <fmt/format.h>

#include "mlpipe/base/strings.h"
#include "mlpipe/spec/params.h"

namespace mlpipe::server {
namespace {

// The text `mlpipe run -p NAME=TEXT` reads back as `value`: a string as it
// is, anything else as JSON (numbers, true/false, a list as "[1, 2]").
std::string OverrideText(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

}  // namespace

StatusOr<std::vector<std::string>> CheckManualRunParams(const spec::PipelineSpec& spec,
                                                        const nlohmann::json& params) {
  if (!params.is_object()) {
    return InvalidArgumentError(
        fmt::format("\"params\" must be an object of param names and values, e.g. {{\"seed\": 7}}, not {}",
                    params.dump()));
  }
  std::vector<std::string> texts;
  for (const auto& [name, value] : params.items()) {
    if (value.is_null() || value.is_object()) {
      return InvalidArgumentError(
          fmt::format("\"params\": param '{}' must be a number, a string, true/false or a list, not {}", name,
                      value.dump()));
    }
    texts.push_back(fmt::format("{}={}", name, OverrideText(value)));
  }
  // The checks and messages of `mlpipe run -p`, minus its "-p ".
  auto resolved = spec::ApplyParamOverrides(spec, texts);
  if (!resolved.ok()) {
    const Status status = resolved.status();
    std::string_view message = status.message();
    if (StartsWith(message, "-p ")) message.remove_prefix(3);
    return InvalidArgumentError(fmt::format("\"params\": {}", message));
  }
  return texts;
}

std::vector<std::string> ParamOverrideTexts(const std::string& params_json) {
  std::vector<std::string> texts;
  if (params_json.empty()) return texts;
  const auto params = nlohmann::json::parse(params_json, nullptr, false);
  if (!params.is_object()) return texts;
  for (const auto& [name, value] : params.items())
    texts.push_back(fmt::format("{}={}", name, OverrideText(value)));
  return texts;
}

}  // namespace mlpipe::server
