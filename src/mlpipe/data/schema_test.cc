#include "mlpipe/data/schema.h"

#include <gtest/gtest.h>

#include "mlpipe/data/csv.h"
#include "mlpipe/data/test_data.h"

namespace mlpipe::data {
namespace {

TEST(SchemaTest, InfersTypesRangesDomainsAndNullability) {
  auto t = ReadCsvString("x,c,d\n1,a,2001-01-01\n,b,2001-02-01\n5,a,\n");
  ASSERT_TRUE(t.ok());
  Schema s = InferSchema(*t);
  ASSERT_EQ(s.columns.size(), 3u);
  const ColumnSchema* x = s.Find("x");
  EXPECT_EQ(x->type, ColumnType::kNumeric);
  EXPECT_TRUE(x->nullable);
  EXPECT_NEAR(x->missing_rate, 1.0 / 3, 1e-12);
  EXPECT_EQ(*x->min, 1);
  EXPECT_EQ(*x->max, 5);
  const ColumnSchema* c = s.Find("c");
  EXPECT_FALSE(c->nullable);
  EXPECT_TRUE(c->has_domain);
  EXPECT_EQ(c->domain, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(s.Find("d")->type, ColumnType::kDate);
  SchemaOptions small;
  small.max_domain_size = 1;
  EXPECT_FALSE(InferSchema(*t, small).Find("c")->has_domain);
}

TEST(SchemaTest, JsonRoundTripOnRealData) {
  auto t = ReadCsv(testing::SharedData("chicago_ridership.csv"));
  ASSERT_TRUE(t.ok());
  Schema s = InferSchema(*t);
  const testing::TempDir tmp("data");
  std::string path = tmp.Sub("schema.json");
  ASSERT_TRUE(SaveSchema(s, path).ok());
  auto back = LoadSchema(path);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(SchemaToJson(*back), SchemaToJson(s));
  EXPECT_EQ(SchemaToJson(s)["columns"][0]["min"], "2001-01-22");
  EXPECT_EQ(back->ColumnTypes().at("date"), ColumnType::kDate);
  nlohmann::json bad = SchemaToJson(s);
  bad["columns"][1]["type"] = "complex";
  EXPECT_EQ(SchemaFromJson(bad).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mlpipe::data
