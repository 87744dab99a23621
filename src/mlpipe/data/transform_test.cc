#include "mlpipe/data/transform.h"

#include <chrono>
#include <cmath>

#include <gtest/gtest.h>

#include "mlpipe/data/csv.h"
#include "mlpipe/data/test_data.h"

namespace mlpipe::data {
namespace {

using testing::SharedData;

Table Read(std::string_view csv) {
  auto t = ReadCsvString(csv);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return std::move(t).value();
}

size_t Feature(const FeatureMatrix& fm, const std::string& name) {
  for (size_t i = 0; i < fm.feature_names.size(); ++i) {
    if (fm.feature_names[i] == name) return i;
  }
  ADD_FAILURE() << "no feature " << name;
  return 0;
}

TransformOptions WithTarget(std::string target, bool standardize = false) {
  TransformOptions o;
  o.target = std::move(target);
  o.standardize = standardize;
  return o;
}

const char* kTrain =
    "x,color,when,y\n"
    "1,red,2001-01-22,yes\n"
    "2,blue,2001-01-23,no\n"
    ",red,,yes\n"
    "10,green,2016-08-28,no\n"
    "3,,2001-01-24,yes\n";

TEST(TransformTest, FitsOnTrainOnlyAndBuildsFeatures) {
  TransformOptions o;
  o.target = "y";
  auto t = Transform::Fit(Read(kTrain), o);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->task(), Task::kClassification);
  EXPECT_EQ(t->feature_names(),
            (std::vector<std::string>{"x", "color=blue", "color=green", "color=red", "color=__missing__",
                                      "when.year", "when.month", "when.day_of_week", "when.day_of_year"}));
  // Test data with different values: imputation uses TRAIN medians.
  Table test = Read("y,when,color,x\nno,2016-08-28,purple,\nyes,,red,100\n");
  ApplyReport rep;
  auto fm = t->Apply(test, &rep);
  ASSERT_TRUE(fm.ok()) << fm.status().ToString();
  ASSERT_EQ(fm->rows, 2u);
  EXPECT_FLOAT_EQ(fm->at(0, Feature(*fm, "x")), 2.5f);  // median of 1,2,10,3
  EXPECT_FLOAT_EQ(fm->at(1, Feature(*fm, "x")), 100.0f);
  // Unknown category: all zeros, counted.
  for (const char* c : {"color=blue", "color=green", "color=red", "color=__missing__"}) {
    EXPECT_EQ(fm->at(0, Feature(*fm, c)), 0.0f) << c;
  }
  EXPECT_EQ(rep.unknown_categories["color"], 1u);
  EXPECT_EQ(fm->at(1, Feature(*fm, "color=red")), 1.0f);
  EXPECT_EQ(fm->at(0, Feature(*fm, "when.year")), 2016.0f);
  EXPECT_EQ(fm->at(0, Feature(*fm, "when.month")), 8.0f);
  EXPECT_EQ(fm->at(0, Feature(*fm, "when.day_of_week")), 6.0f);
  EXPECT_EQ(fm->at(0, Feature(*fm, "when.day_of_year")), 241.0f);
  EXPECT_EQ(fm->at(1, Feature(*fm, "when.year")), 2001.0f);  // median year imputed
  EXPECT_EQ(rep.imputed_values, 1u + 4u);
}

TEST(TransformTest, LabelsSortedWithPositiveClassAtIndexOne) {
  TransformOptions o;
  o.target = "y";
  auto sorted = Transform::Fit(Read(kTrain), o);
  ASSERT_TRUE(sorted.ok());
  EXPECT_EQ(sorted->class_labels(), (std::vector<std::string>{"no", "yes"}));
  o.positive_class = "no";
  auto t = Transform::Fit(Read(kTrain), o);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->class_labels(), (std::vector<std::string>{"yes", "no"}));
  auto labels = t->EncodeLabels(Read(kTrain));
  ASSERT_TRUE(labels.ok());
  EXPECT_EQ(labels->y, (std::vector<float>{0, 1, 0, 1, 0}));
  EXPECT_TRUE(labels->is_classification());
  auto unseen = t->EncodeLabels(Read("y\nmaybe\n"));
  EXPECT_EQ(unseen.status().code(), StatusCode::kInvalidArgument);
  o.positive_class = "absent";
  EXPECT_EQ(Transform::Fit(Read(kTrain), o).status().code(), StatusCode::kInvalidArgument);
}

TEST(TransformTest, RegressionTargetAndStandardisation) {
  TransformOptions o;
  o.target = "compressive_strength";
  o.standardize = true;
  auto train = ReadCsv(SharedData("concrete.csv"));
  ASSERT_TRUE(train.ok());
  auto t = Transform::Fit(*train, o);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->task(), Task::kRegression);
  EXPECT_EQ(t->num_features(), 8u);
  auto fm = t->Apply(*train);
  ASSERT_TRUE(fm.ok());
  for (size_t c = 0; c < fm->cols; ++c) {
    double s = 0, ss = 0;
    for (size_t r = 0; r < fm->rows; ++r) {
      s += fm->at(r, c);
      ss += fm->at(r, c) * fm->at(r, c);
    }
    EXPECT_NEAR(s / fm->rows, 0.0, 1e-4) << fm->feature_names[c];
    EXPECT_NEAR(ss / fm->rows, 1.0, 1e-3) << fm->feature_names[c];
  }
  auto labels = t->EncodeLabels(*train);
  ASSERT_TRUE(labels.ok());
  EXPECT_FALSE(labels->is_classification());
  EXPECT_FLOAT_EQ(labels->y[0], 79.99f);
}

TEST(TransformTest, MaxCategoriesGroupsRareIntoOther) {
  TransformOptions o;
  o.target = "Class";
  o.max_categories = 5;
  auto train = ReadCsv(SharedData("lending_club.csv"));
  ASSERT_TRUE(train.ok());
  auto t = Transform::Fit(*train, o);
  ASSERT_TRUE(t.ok());
  size_t state_features = 0;
  for (const auto& n : t->feature_names()) state_features += n.rfind("addr_state=", 0) == 0 ? 1 : 0;
  EXPECT_EQ(state_features, 6u);  // 5 kept + __other__
  auto fm = t->Apply(*train);
  ASSERT_TRUE(fm.ok());
  // Every row has exactly one addr_state one-hot set.
  for (size_t r = 0; r < fm->rows; r += 7) {
    float sum = 0;
    for (size_t c = 0; c < fm->cols; ++c) {
      if (fm->feature_names[c].rfind("addr_state=", 0) == 0) sum += fm->at(r, c);
    }
    ASSERT_EQ(sum, 1.0f) << r;
  }
  EXPECT_EQ(t->class_labels(), (std::vector<std::string>{"bad", "good"}));
}

TEST(TransformTest, MostFrequentImputationUsesTrainMode) {
  TransformOptions o;
  o.categorical_impute = CategoricalImpute::kMostFrequent;
  auto t = Transform::Fit(Read(kTrain), o);
  ASSERT_TRUE(t.ok());
  auto fm = t->Apply(Read("x,color,when,y\n1,,2001-01-01,no\n"));
  ASSERT_TRUE(fm.ok()) << fm.status().ToString();
  EXPECT_EQ(fm->at(0, Feature(*fm, "color=red")), 1.0f);
  // No target: every column is a feature, and labels cannot be encoded.
  EXPECT_EQ(t->EncodeLabels(Read(kTrain)).status().code(), StatusCode::kFailedPrecondition);
}

TEST(TransformTest, ApplyRowMatchesApplyOnTable) {
  TransformOptions o;
  o.target = "y";
  o.standardize = true;
  auto t = Transform::Fit(Read(kTrain), o);
  ASSERT_TRUE(t.ok());
  Table one = Read("x,color,when\n2,blue,2002-03-04\n");
  auto fm = t->Apply(one);
  ASSERT_TRUE(fm.ok());
  std::vector<std::pair<std::string, FieldValue>> row = {
      {"when", std::string("2002-03-04")}, {"x", 2.0}, {"color", std::string("blue")}, {"extra", 5.0}};
  auto r = t->ApplyRow(row);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->values, fm->values);
  // Numbers given as text and absent fields (missing) are accepted.
  std::vector<std::pair<std::string, FieldValue>> sparse = {{"x", std::string("2")}};
  auto s = t->ApplyRow(sparse);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->values[0], fm->values[0]);
  EXPECT_EQ(s->at(0, Feature(*fm, "color=__missing__")), 1.0f);
  std::vector<std::pair<std::string, FieldValue>> bad = {{"x", std::string("abc")}};
  EXPECT_EQ(t->ApplyRow(bad).status().code(), StatusCode::kInvalidArgument);
}

TEST(TransformTest, MissingInputColumnIsAnError) {
  TransformOptions o;
  o.target = "y";
  auto t = Transform::Fit(Read(kTrain), o);
  ASSERT_TRUE(t.ok());
  auto fm = t->Apply(Read("x,when\n1,2001-01-01\n"));
  ASSERT_FALSE(fm.ok());
  EXPECT_NE(fm.status().message().find("'color'"), std::string::npos);
  EXPECT_EQ(Transform::Fit(Read(kTrain), WithTarget("yy")).status().code(),
            StatusCode::kNotFound);
}

TEST(TransformTest, JsonRoundTripGivesIdenticalOutput) {
  auto train = ReadCsv(SharedData("lending_club.csv"));
  ASSERT_TRUE(train.ok());
  TransformOptions o;
  o.target = "Class";
  o.positive_class = "bad";
  o.standardize = true;
  o.max_categories = 10;
  auto t = Transform::Fit(*train, o);
  ASSERT_TRUE(t.ok());
  const testing::TempDir tmp("data");
  std::string path = tmp.Sub("transform.json");
  ASSERT_TRUE(t->Save(path).ok());
  auto loaded = Transform::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->ToJson(), t->ToJson());
  auto a = t->Apply(*train);
  auto b = loaded->Apply(*train);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->values, b->values);
  EXPECT_EQ(loaded->class_labels(), (std::vector<std::string>{"good", "bad"}));
  nlohmann::json broken = t->ToJson();
  broken["columns"][0].erase("fill");
  EXPECT_EQ(Transform::FromJson(broken).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Transform::FromJson(nlohmann::json{{"format", "other"}}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(TransformTest, DateFeaturesOnRealDataset) {
  auto train = ReadCsv(SharedData("chicago_ridership.csv"));
  ASSERT_TRUE(train.ok());
  auto t = Transform::Fit(*train, WithTarget("ridership"));
  ASSERT_TRUE(t.ok());
  auto fm = t->Apply(*train);
  ASSERT_TRUE(fm.ok());
  EXPECT_EQ(fm->at(0, Feature(*fm, "date.year")), 2001.0f);
  EXPECT_EQ(fm->at(0, Feature(*fm, "date.day_of_week")), 0.0f);  // 2001-01-22 was a Monday
  EXPECT_EQ(fm->cols, 48u + 4u);
}

TEST(TransformTest, SingleRowIsCheap) {
  auto train = ReadCsv(SharedData("lending_club.csv"));
  ASSERT_TRUE(train.ok());
  auto t = Transform::Fit(*train, WithTarget("Class", true));
  ASSERT_TRUE(t.ok());
  std::vector<std::pair<std::string, FieldValue>> row;
  for (const Column& c : train->columns()) {
    if (c.type() == ColumnType::kNumeric) {
      row.emplace_back(c.name(), c.number(3));
    } else {
      row.emplace_back(c.name(), std::string(c.str(3)));
    }
  }
  std::vector<float> out;
  const int kIters = 20000;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kIters; ++i) ASSERT_TRUE(t->ApplyRowInto(row, &out).ok());
  double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() / kIters;
  // Generous bound (sanitizers, loaded machine); typically ~1 us optimised.
  EXPECT_LT(us, 200.0);
  auto fm = t->Apply(train->Take({3}));
  ASSERT_TRUE(fm.ok());
  EXPECT_EQ(out, fm->values);
}

}  // namespace
}  // namespace mlpipe::data
