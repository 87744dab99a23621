// The runs list's filter syntax: what it reads, and errors that name the
// bad part.
#include "mlpipe/server/run_filter.h"

#include <gtest/gtest.h>

namespace mlpipe::server {
namespace {

using metadata::RunCondition;

TEST(RunFilterTest, ReadsConditionsJoinedByAnd) {
  auto c = ParseRunFilter(
      "params.lr = 0.1 AND metrics.evaluate.accuracy>=0.9 and param.optimizer=='adam' and params.deep != "
      "true "
      "and metric.loss<1e-2 and params.kind = linear");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->size(), 6u);
  EXPECT_EQ((*c)[0].field, RunCondition::Field::kParam);
  EXPECT_EQ((*c)[0].key, "lr");
  EXPECT_EQ((*c)[0].op, RunCondition::Op::kEq);
  EXPECT_EQ(std::get<double>((*c)[0].value), 0.1);
  EXPECT_EQ((*c)[1].field, RunCondition::Field::kMetric);
  EXPECT_EQ((*c)[1].key, "evaluate.accuracy");
  EXPECT_EQ((*c)[1].op, RunCondition::Op::kGe);
  EXPECT_EQ(std::get<std::string>((*c)[2].value), "adam");
  EXPECT_EQ((*c)[3].op, RunCondition::Op::kNe);
  EXPECT_EQ(std::get<bool>((*c)[3].value), true);
  EXPECT_EQ((*c)[4].op, RunCondition::Op::kLt);
  EXPECT_EQ(std::get<double>((*c)[4].value), 0.01);
  EXPECT_EQ(std::get<std::string>((*c)[5].value), "linear");
}

TEST(RunFilterTest, NothingIsNoCondition) {
  auto c = ParseRunFilter("   ");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->empty());
}

TEST(RunFilterTest, ErrorsNameTheBadPartAndItsColumn) {
  auto message = [](std::string_view text) {
    auto c = ParseRunFilter(text);
    EXPECT_FALSE(c.ok()) << text;
    EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument) << text;
    return std::string(c.status().message());
  };
  EXPECT_EQ(message("params.lr ~ 0.1"),
            "parameter 'filter': expected an operator (=, !=, <, <=, >, >=) after 'params.lr' at column 11, "
            "got '~'");
  EXPECT_NE(message("lr = 0.1").find("'lr' at column 1 is not params.NAME or metrics.NAME"),
            std::string::npos);
  EXPECT_NE(message("params.lr = 0.1 or params.lr = 0.2").find("only 'and' joins conditions"),
            std::string::npos);
  EXPECT_NE(message("params.lr = 0.1 params.x = 1").find("expected 'and' between conditions at column 17"),
            std::string::npos);
  EXPECT_NE(message("metrics.accuracy > high").find("metrics.accuracy is compared with a number"),
            std::string::npos);
  EXPECT_NE(message("params.optimizer > 'adam'").find("<, <=, > and >= compare numbers"), std::string::npos);
  EXPECT_NE(message("params.lr =").find("expected a value after 'params.lr' at column 12, got the end"),
            std::string::npos);
  EXPECT_NE(message("params.name = 'open").find("the string at column 15 has no closing '"),
            std::string::npos);
  EXPECT_NE(message("params. = 1").find("names no params"), std::string::npos);
  EXPECT_NE(message("params.a/b = 1").find("is not a param name"), std::string::npos);
  EXPECT_NE(message("params.lr = 1 and").find("expected a condition after 'and'"), std::string::npos);
}

}  // namespace
}  // namespace mlpipe::server
