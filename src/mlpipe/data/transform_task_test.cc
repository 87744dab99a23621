// The transform's task decision (ChooseTask, class labels) and feature order.
#include <gtest/gtest.h>

#include "mlpipe/data/csv.h"
#include "mlpipe/data/transform.h"

namespace mlpipe::data {
namespace {

using Names = std::vector<std::string>;

Table Csv(std::string_view csv) {
  auto t = ReadCsvString(csv);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return std::move(t).value();
}

TransformOptions Target(const std::string& target, Task task = Task::kAuto,
                        const std::string& positive = "") {
  TransformOptions o;
  o.target = target;
  o.task = task;
  o.positive_class = positive;
  return o;
}

const char* kMixed =
    "color,x,when,size,y\n"
    "red,1,2001-01-22,S,0\n"
    "blue,2,2001-01-23,M,1\n"
    "red,3,2002-05-01,L,1\n"
    "green,4,2003-07-09,S,0\n";

TEST(TransformTaskTest, NumericFirstLaysOutNumbersThenDatesThenOneHot) {
  TransformOptions o = Target("y", Task::kAuto, "1");
  o.feature_order = FeatureOrder::kNumericFirst;
  auto t = Transform::Fit(Csv(kMixed), o);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->feature_names(),
            (Names{"x", "when.year", "when.month", "when.day_of_week", "when.day_of_year", "color=blue",
                   "color=green", "color=red", "size=L", "size=M", "size=S"}));
  // The default keeps the table's column order.
  auto input = Transform::Fit(Csv(kMixed), Target("y", Task::kAuto, "1"));
  ASSERT_TRUE(input.ok());
  EXPECT_EQ(input->feature_names()[0], "color=blue");
  EXPECT_EQ(input->feature_names()[3], "x");
  // Serving applies the same order: a row gives the table's features.
  auto table = t->Apply(Csv(kMixed));
  ASSERT_TRUE(table.ok());
  std::vector<float> row;
  ASSERT_TRUE(t->ApplyRowInto({{"size", std::string("L")},
                               {"when", std::string("2002-05-01")},
                               {"x", 3.0},
                               {"color", std::string("red")}},
                              &row)
                  .ok());
  EXPECT_EQ(row, std::vector<float>(table->values.begin() + 2 * 11, table->values.begin() + 3 * 11));
  // The order is part of the fitted transform.
  auto loaded = Transform::FromJson(t->ToJson());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->options().feature_order, FeatureOrder::kNumericFirst);
  EXPECT_EQ(loaded->feature_names(), t->feature_names());
  EXPECT_EQ(loaded->Apply(Csv(kMixed))->values, table->values);
}

TEST(TransformTaskTest, TransformSavedBeforeFeatureOrderLoadsInInputOrder) {
  auto t = Transform::Fit(Csv(kMixed), Target("y", Task::kClassification));
  ASSERT_TRUE(t.ok());
  nlohmann::json old = t->ToJson();
  old["options"].erase("feature_order");
  old.erase("task_reason");
  auto loaded = Transform::FromJson(old);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->options().feature_order, FeatureOrder::kInput);
  EXPECT_EQ(loaded->feature_names(), t->feature_names());
  EXPECT_EQ(loaded->task_reason(), "");
  nlohmann::json bad = t->ToJson();
  bad["options"]["feature_order"] = "alphabetical";
  EXPECT_EQ(Transform::FromJson(bad).status().code(), StatusCode::kInvalidArgument);
}

TEST(TransformTaskTest, NumericTargetWithPositiveClassIsABinaryClassification) {
  auto t = Transform::Fit(Csv(kMixed), Target("y", Task::kAuto, "1"));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->task(), Task::kClassification);
  EXPECT_EQ(t->class_labels(), (Names{"0", "1"}));  // the target's text
  auto y = t->EncodeLabels(Csv(kMixed));
  ASSERT_TRUE(y.ok());
  EXPECT_EQ(y->y, (std::vector<float>{0, 1, 1, 0}));
  EXPECT_NE(t->task_reason().find("positive_class '1'"), std::string::npos) << t->task_reason();
  // The other class as the positive one comes second.
  auto flipped = Transform::Fit(Csv(kMixed), Target("y", Task::kAuto, "0"));
  ASSERT_TRUE(flipped.ok());
  EXPECT_EQ(flipped->class_labels(), (Names{"1", "0"}));
}

TEST(TransformTaskTest, FewWholeNumbersUnderAutoAreRegressionFlaggedAsAGuess) {
  auto table = Csv(kMixed);
  auto choice = ChooseTask(*table.Find("y"), Target("y"));
  ASSERT_TRUE(choice.ok());
  EXPECT_EQ(choice->task, Task::kRegression);
  EXPECT_TRUE(choice->ambiguous);
  EXPECT_NE(choice->reason.find("2 distinct values (0, 1)"), std::string::npos) << choice->reason;
  EXPECT_NE(choice->reason.find("task: classification"), std::string::npos) << choice->reason;
  EXPECT_NE(choice->reason.find("positive_class: \"1\""), std::string::npos) << choice->reason;
  // Fractions, or many values, are a plain regression.
  auto fractions = Csv("y\n0.5\n1\n0\n");
  EXPECT_FALSE(ChooseTask(*fractions.Find("y"), Target("y"))->ambiguous);
  std::string many = "y\n";
  for (int i = 0; i < 11; ++i) many += std::to_string(i) + "\n";
  EXPECT_FALSE(ChooseTask(*Csv(many).Find("y"), Target("y"))->ambiguous);
  // An explicit task is no guess.
  auto given = ChooseTask(*table.Find("y"), Target("y", Task::kClassification));
  EXPECT_EQ(given->task, Task::kClassification);
  EXPECT_FALSE(given->ambiguous);
}

TEST(TransformTaskTest, NumericClassesAreSortedByValue) {
  auto t = Transform::Fit(Csv("x,y\n1,10\n2,2\n3,1\n4,2\n"), Target("y", Task::kClassification));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->class_labels(), (Names{"1", "2", "10"}));
}

TEST(TransformTaskTest, PositiveClassNeedsATwoClassTargetAndAClassification) {
  auto three = Transform::Fit(Csv("x,y\n1,a\n2,b\n3,c\n"), Target("y", Task::kAuto, "a"));
  ASSERT_FALSE(three.ok());
  EXPECT_NE(three.status().message().find("binary"), std::string::npos) << three.status().ToString();
  auto regression = Transform::Fit(Csv(kMixed), Target("y", Task::kRegression, "1"));
  EXPECT_EQ(regression.status().code(), StatusCode::kInvalidArgument);
  auto absent = Transform::Fit(Csv(kMixed), Target("y", Task::kAuto, "yes"));
  ASSERT_FALSE(absent.ok());
  EXPECT_NE(absent.status().message().find("classes: 0, 1"), std::string::npos) << absent.status().ToString();
}

}  // namespace
}  // namespace mlpipe::data
