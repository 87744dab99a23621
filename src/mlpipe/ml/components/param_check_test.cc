// CheckBuiltinParams: the rules `mlpipe validate` and the built-in steps
// apply to param values.
#include <gtest/gtest.h>

#include "mlpipe/ml/builtins.h"

namespace mlpipe::ml {
namespace {

using Json = nlohmann::json;

// "param: message (hint)" of every problem, one per line.
std::string Problems(const std::string& builtin, const Json& params,
                     const std::map<std::string, BuiltinUpstream>& upstream = {}) {
  std::string out;
  for (const ParamProblem& p : CheckBuiltinParams(builtin, params, upstream)) {
    out += p.param + ": " + p.message + (p.hint.empty() ? "" : " (" + p.hint + ")") + "\n";
  }
  return out;
}

bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(ParamCheckTest, DefaultsOfEveryBuiltinPass) {
  for (const std::string& name : BuiltinNames()) EXPECT_EQ(Problems(name, Json::object()), "") << name;
  EXPECT_EQ(Problems("split", {{"method", "random"},
                               {"test_fraction", 0.2},
                               {"valid_fraction", 0.0},
                               {"seed", 42},
                               {"rng", "mlpipe"},
                               {"shuffle", true},
                               {"stratify_by", ""},
                               {"time_column", ""}}),
            "");
}

TEST(ParamCheckTest, EnumsNameTheChoicesAndTheClosestOne) {
  std::string p = Problems("split", {{"method", "stratifed"}});
  EXPECT_TRUE(Has(p, "method: param 'method' must be random, stratified or time, got 'stratifed'")) << p;
  EXPECT_TRUE(Has(p, "did you mean 'stratified'?")) << p;
  EXPECT_TRUE(Has(Problems("transform", {{"feature_order", "numeric"}}), "input or numeric_first"));
  EXPECT_TRUE(Has(Problems("train", {{"model", "forest"}}), "xgboost or linear"));
}

TEST(ParamCheckTest, RangesAreChecked) {
  EXPECT_TRUE(
      Has(Problems("split", {{"test_fraction", 1.5}}), "param 'test_fraction' must be in (0, 1), got 1.5"));
  EXPECT_TRUE(Has(Problems("split", {{"test_fraction", 0.6}, {"valid_fraction", 0.4}}), "leave no rows"));
  EXPECT_TRUE(Has(Problems("train", {{"max_iter", 0}}), "param 'max_iter' must be in [1, 10000000], got 0"));
  EXPECT_TRUE(Has(Problems("train", {{"C", 0.0}}), "param 'C' must be > 0"));
  EXPECT_EQ(Problems("train", {{"max_iter", 200}, {"C", 0.5}}), "");
}

TEST(ParamCheckTest, SplitCombinationsThatCannotBe) {
  std::string p = Problems("split", {{"method", "time"}, {"time_column", "date"}, {"rng", "sklearn"}});
  EXPECT_TRUE(Has(p, "rng: rng 'sklearn' draws random or stratified rows")) << p;
  EXPECT_TRUE(
      Has(Problems("split", {{"method", "stratified"}, {"stratify_by", ""}}), "needs param 'stratify_by'"));
  EXPECT_TRUE(Has(Problems("split", {{"method", "random"}, {"stratify_by", "y"}}), "set method: stratified"));
  EXPECT_TRUE(Has(Problems("split", {{"method", "stratified"}, {"stratify_by", "y"}, {"shuffle", false}}),
                  "scikit-learn refuses stratify with shuffle=False"));
  EXPECT_TRUE(
      Has(Problems("split", {{"rng", "sklearn"}, {"seed", -1}}), "param 'seed' must be in [0, 4294967295]"));
  EXPECT_EQ(
      Problems("split", {{"method", "stratified"}, {"stratify_by", "y"}, {"rng", "sklearn"}, {"seed", 7}}),
      "");
}

TEST(ParamCheckTest, UnknownValuesPassEveryRuleThatNeedsThem) {
  // A template the spec cannot resolve arrives as null (or absent).
  EXPECT_EQ(Problems("split", {{"method", nullptr}, {"time_column", "t"}, {"rng", "sklearn"}}), "");
  EXPECT_EQ(Problems("split", {{"method", "stratified"}, {"stratify_by", nullptr}}), "");
}

TEST(ParamCheckTest, PositiveClassContradictionsAreRefused) {
  EXPECT_TRUE(
      Has(Problems("transform", {{"target", "y"}, {"task", "regression"}, {"positive_class", "1"}}),
          "positive_class: positive_class '1' names the positive class of a binary target, but task is "
          "regression"));
  EXPECT_TRUE(
      Has(Problems("transform", {{"target", ""}, {"positive_class", "1"}}), "positive_class needs a target"));
  EXPECT_TRUE(
      Has(Problems("train", {{"task", "regression"}, {"positive_class", "1"}}), "but task is regression"));
}

TEST(ParamCheckTest, TrainIsCheckedAgainstItsTransformStep) {
  auto upstream = [](Json params) {
    return std::map<std::string, BuiltinUpstream>{
        {"transform", BuiltinUpstream{"prep", "transform", params}}};
  };
  std::string p =
      Problems("train", {{"positive_class", "1"}}, upstream({{"target", "y"}, {"positive_class", ""}}));
  EXPECT_TRUE(Has(p, "positive_class '1' is set here but not on the transform step 'prep'")) << p;
  EXPECT_TRUE(Has(p, "set positive_class: \"1\" on step 'prep'")) << p;
  EXPECT_TRUE(Has(Problems("train", {{"positive_class", "1"}}, upstream({{"positive_class", "0"}})),
                  "differs from '0' of the transform step 'prep'"));
  EXPECT_TRUE(Has(Problems("train", {{"task", "binary"}}, upstream({{"task", "regression"}})),
                  "set task: classification on step 'prep'"));
  EXPECT_TRUE(
      Has(Problems("train", {{"target", "z"}}, upstream({{"target", "y"}})), "target 'z' differs from 'y'"));
  EXPECT_EQ(Problems("train", {{"positive_class", "1"}, {"task", "binary"}},
                     upstream({{"target", "y"}, {"positive_class", "1"}, {"task", "auto"}})),
            "");
  // An upstream that is not a transform is not looked at.
  std::map<std::string, BuiltinUpstream> other = {
      {"transform", BuiltinUpstream{"s", "split", Json::object()}}};
  EXPECT_EQ(Problems("train", {{"positive_class", "1"}}, other), "");
}

}  // namespace
}  // namespace mlpipe::ml
