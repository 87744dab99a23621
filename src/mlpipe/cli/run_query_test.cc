#include "mlpipe/cli/run_query.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mlpipe::cli {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

RunValues ValuesOf(std::map<std::string, double> metrics, json params = json::object()) {
  return RunValues{7, std::move(metrics), std::move(params)};
}

TEST(RunQueryTest, ParsesEveryOperatorAndBothKindsOfField) {
  struct Case {
    const char* expr;
    RunFilter::Op op;
    RunField::Kind kind;
    const char* name;
    const char* value;
  };
  for (const Case& c :
       {Case{"roc_auc>0.7", RunFilter::Op::kGt, RunField::Kind::kMetric, "roc_auc", "0.7"},
        Case{"evaluate.roc_auc >= 0.7", RunFilter::Op::kGe, RunField::Kind::kMetric, "evaluate.roc_auc",
             "0.7"},
        Case{"metrics.loss<1e-3", RunFilter::Op::kLt, RunField::Kind::kMetric, "loss", "1e-3"},
        Case{"loss<=2", RunFilter::Op::kLe, RunField::Kind::kMetric, "loss", "2"},
        Case{"params.max_depth==6", RunFilter::Op::kEq, RunField::Kind::kParam, "max_depth", "6"},
        Case{"params.model != 'xgb'", RunFilter::Op::kNe, RunField::Kind::kParam, "model", "xgb"},
        Case{"params.model=linear", RunFilter::Op::kEq, RunField::Kind::kParam, "model", "linear"}}) {
    auto f = ParseRunFilter(c.expr);
    ASSERT_TRUE(f.ok()) << c.expr << ": " << f.status().ToString();
    EXPECT_EQ(f->op, c.op) << c.expr;
    EXPECT_EQ(f->field.kind, c.kind) << c.expr;
    EXPECT_EQ(f->field.name, c.name) << c.expr;
    EXPECT_EQ(f->value, c.value) << c.expr;
  }
}

TEST(RunQueryTest, BadExpressionsSayWhatIsExpected) {
  for (const char* bad :
       {"roc_auc", "roc_auc=>0.7", ">0.7", "roc_auc>", "params.>3", "auc>high", "params.model>xgb"}) {
    auto f = ParseRunFilter(bad);
    ASSERT_FALSE(f.ok()) << bad;
    EXPECT_EQ(f.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(f.status().message(), HasSubstr(bad)) << bad;
  }
  EXPECT_THAT(ParseRunFilter("roc_auc").status().message(), HasSubstr("expected FIELD OP VALUE"));
  EXPECT_THAT(ParseRunFilter("auc>high").status().message(), HasSubstr("metrics are numbers"));
  EXPECT_THAT(ParseRunFilter("params.model>xgb").status().message(), HasSubstr("use == or !="));
}

TEST(RunQueryTest, ABareMetricNameIsTheOneStepThatReportsIt) {
  RunValues run = ValuesOf({{"evaluate.roc_auc", 0.9}, {"train.best_round", 40}, {"rows", 100}});
  EXPECT_EQ(*FieldValue(*ParseRunField("roc_auc"), run), json(0.9));
  EXPECT_EQ(*FieldValue(*ParseRunField("evaluate.roc_auc"), run), json(0.9));
  EXPECT_EQ(*FieldValue(*ParseRunField("rows"), run), json(100.0));  // a run-level metric
  EXPECT_TRUE(FieldValue(*ParseRunField("accuracy"), run)->is_null());
  EXPECT_TRUE(FieldValue(*ParseRunField("train.roc_auc"), run)->is_null());
}

TEST(RunQueryTest, ABareNameThatSeveralStepsReportIsAnErrorNamingThem) {
  RunValues run = ValuesOf({{"evaluate.accuracy", 0.9}, {"train.accuracy", 0.95}});
  auto v = FieldValue(*ParseRunField("accuracy"), run);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(v.status().message(), HasSubstr("evaluate.accuracy, train.accuracy"));
  EXPECT_THAT(v.status().message(), HasSubstr("write STEP.accuracy"));
}

TEST(RunQueryTest, MatchesComparesMetricsAsNumbersAndParamsAsNumbersOrText) {
  RunValues run =
      ValuesOf({{"evaluate.roc_auc", 0.75}}, json{{"max_depth", 6}, {"model", "xgb"}, {"fast", true}});
  auto match = [&](const char* expr) {
    auto f = ParseRunFilter(expr);
    EXPECT_TRUE(f.ok()) << expr;
    auto m = Matches(*f, run);
    EXPECT_TRUE(m.ok()) << expr;
    return *m;
  };
  EXPECT_TRUE(match("roc_auc>0.7"));
  EXPECT_FALSE(match("roc_auc>0.75"));
  EXPECT_TRUE(match("roc_auc>=0.75"));
  EXPECT_TRUE(match("roc_auc!=0.5"));
  EXPECT_TRUE(match("params.max_depth==6"));
  EXPECT_TRUE(match("params.max_depth<10"));
  EXPECT_TRUE(match("params.model==xgb"));
  EXPECT_FALSE(match("params.model!=xgb"));
  EXPECT_TRUE(match("params.fast==true"));
  EXPECT_FALSE(match("params.model<3"));  // text never orders against a number
  EXPECT_FALSE(match("accuracy>0"));      // a run without the metric does not match
  EXPECT_FALSE(match("params.seed==1"));  // nor one without the param
}

}  // namespace
}  // namespace mlpipe::cli
