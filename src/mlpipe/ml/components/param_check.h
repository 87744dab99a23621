// Checks of a built-in's param values (internal to ml/): the rules each
// component states in its Check*Params function, run by `mlpipe validate`
// on the values the spec fixes and by the step on every resolved value
// (builtins.h, CheckBuiltinParams). A param whose value is unknown (absent
// or null: a template the spec cannot resolve yet) passes every rule that
// needs it; a value of the wrong type is the spec's to report, so it passes
// too.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "mlpipe/ml/builtins.h"

namespace mlpipe::ml::components {

class ParamCheck {
 public:
  ParamCheck(const nlohmann::json& params, const std::map<std::string, BuiltinUpstream>& upstream)
      : params_(params), upstream_(upstream) {}

  // The known value of `name`, typed; nullopt when unknown. Numbers and
  // bools given as text (a hand-written invocation) are read as such.
  std::optional<std::string> String(const std::string& name) const { return StringIn(params_, name); }
  std::optional<double> Number(const std::string& name) const;
  std::optional<bool> Bool(const std::string& name) const;
  // String() of another step's params (an upstream's).
  static std::optional<std::string> StringIn(const nlohmann::json& params, const std::string& name);
  // The built-in step bound to input `input`, if it runs built-in `builtin`.
  const BuiltinUpstream* Upstream(const std::string& input, const std::string& builtin) const;

  // "param 'method' must be random, stratified or time, got 'rnadom'"
  // (with a did-you-mean).
  void OneOf(const std::string& name, const std::vector<std::string>& allowed);
  // lo <= value (lo < value when lo_open) and value <= hi (value < hi when
  // hi_open); an absent bound does not limit.
  struct Bounds {
    std::optional<double> lo, hi;
    bool lo_open = false, hi_open = false;
  };
  void InRange(const std::string& name, const Bounds& bounds);
  void AtLeast(const std::string& name, double lo) { InRange(name, {lo, std::nullopt}); }
  void Positive(const std::string& name) { InRange(name, {0.0, std::nullopt, true}); }
  void Fail(const std::string& param, std::string message, std::string hint = "");

  std::vector<ParamProblem> Take() { return std::move(problems_); }

 private:
  const nlohmann::json& params_;
  const std::map<std::string, BuiltinUpstream>& upstream_;
  std::vector<ParamProblem> problems_;
};

// The components' rules, one per component file.
void CheckStatsParams(ParamCheck& c);
void CheckSchemaParams(ParamCheck& c);
void CheckValidateParams(ParamCheck& c);
void CheckSplitParams(ParamCheck& c);
void CheckTransformParams(ParamCheck& c);
void CheckTrainParams(ParamCheck& c);
void CheckEvaluateParams(ParamCheck& c);
void CheckPredictParams(ParamCheck& c);

}  // namespace mlpipe::ml::components
