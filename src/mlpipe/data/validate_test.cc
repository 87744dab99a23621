#include "mlpipe/data/validate.h"

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "mlpipe/base/strings.h"
#include "mlpipe/data/csv.h"
#include "mlpipe/data/drift.h"
#include "mlpipe/data/number.h"
#include "mlpipe/data/test_data.h"

namespace mlpipe::data {
namespace {

// A real dataset as text lines of fields, damaged in place and read back
// through the CSV reader, the way a broken upstream file would arrive.
class CsvText {
 public:
  // Parsed once per file per test binary (copies are cheap next to parsing).
  explicit CsvText(const std::string& file) {
    static std::map<std::string, std::vector<std::vector<std::string>>> cache;
    auto it = cache.find(file);
    if (it == cache.end()) {
      std::vector<std::vector<std::string>> rows;
      std::ifstream in(testing::SharedData(file));
      std::string line;
      while (std::getline(in, line)) rows.push_back(Split(line, ','));
      it = cache.emplace(file, std::move(rows)).first;
    }
    rows_ = it->second;
  }
  size_t Col(const std::string& name) const {
    for (size_t j = 0; j < rows_[0].size(); ++j) {
      if (rows_[0][j] == name) return j;
    }
    ADD_FAILURE() << name;
    return 0;
  }
  size_t num_rows() const { return rows_.size() - 1; }
  std::string& at(size_t row, const std::string& col) { return rows_[row + 1][Col(col)]; }
  void DropColumn(const std::string& col) {
    size_t j = Col(col);
    for (auto& r : rows_) r.erase(r.begin() + static_cast<std::ptrdiff_t>(j));
  }
  void AddColumn(const std::string& col, const std::string& value) {
    rows_[0].push_back(col);
    for (size_t i = 1; i < rows_.size(); ++i) rows_[i].push_back(value);
  }
  // Applies f to every value of a numeric column.
  template <typename F>
  void MapNumbers(const std::string& col, F f) {
    for (size_t i = 0; i < num_rows(); ++i) {
      double v;
      ASSERT_TRUE(ParseNumber(at(i, col), &v));
      at(i, col) = FormatNumber(f(v));
    }
  }
  Table Read() const {
    std::string text;
    for (const auto& r : rows_) text += Join(r, ",") + "\n";
    auto t = ReadCsvString(text);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return std::move(t).value();
  }

 private:
  std::vector<std::vector<std::string>> rows_;
};

struct Reference {
  Schema schema;
  TableStats stats;
};

Reference Fit(const std::string& file) {
  Table t = CsvText(file).Read();
  return Reference{InferSchema(t), ComputeStats(t)};
}

size_t Count(const ValidationResult& r, AnomalyKind kind) {
  size_t n = 0;
  for (const auto& a : r.anomalies) n += a.kind == kind ? 1 : 0;
  return n;
}

TEST(ValidateTest, CleanDataHasNoAnomalies) {
  Reference ref = Fit("breast_cancer.csv");
  ValidationResult r = Validate(CsvText("breast_cancer.csv").Read(), ref.schema, &ref.stats);
  EXPECT_TRUE(r.anomalies.empty()) << ValidationToText(r);
  EXPECT_EQ(r.drift.size(), 31u);
  for (const auto& d : r.drift) EXPECT_NEAR(d.psi, 0.0, 1e-9) << d.column;
}

// Regression: categorical columns were reported as drifted (PSI 9.21, i.e.
// every value in the "other" bucket) when a file was validated against its
// own statistics. The cause was a stale object file compiled against an
// older stats.h (NumericStats without its Cdf, so ColumnStats::categorical
// was read at the wrong offset); this pins the end-to-end behaviour down the
// way the validate component runs it: files in, statistics through JSON.
TEST(ValidateTest, IdenticalCategoricalDataHasNoDrift) {
  const std::string path = testing::SharedData("lending_club.csv");
  auto table = ReadCsv(path);
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  const testing::TempDir tmp("data");
  const std::string& dir = tmp.path();
  ASSERT_TRUE(SaveStats(ComputeStats(*table), dir + "/stats.json").ok());
  ASSERT_TRUE(SaveSchema(InferSchema(*table), dir + "/schema.json").ok());
  auto stats = LoadStats(dir + "/stats.json");
  auto schema = LoadSchema(dir + "/schema.json");
  ASSERT_TRUE(stats.ok() && schema.ok());
  auto again = ReadCsv(path);
  ASSERT_TRUE(again.ok());
  ValidationResult r = Validate(*again, *schema, &*stats);
  EXPECT_TRUE(r.anomalies.empty()) << ValidationToText(r);
  size_t categorical = 0;
  for (const auto& d : r.drift) {
    EXPECT_NEAR(d.psi, 0.0, 1e-9) << d.column;
    const ColumnStats* cs = stats->Find(d.column);
    ASSERT_NE(cs, nullptr);
    if (cs->type == ColumnType::kCategorical) {
      ++categorical;
      EXPECT_TRUE(std::isnan(d.ks)) << d.column;
      // The same data in another row order (other dictionary order) is no drift either.
      std::vector<size_t> reversed(again->num_rows());
      for (size_t i = 0; i < reversed.size(); ++i) reversed[i] = reversed.size() - 1 - i;
      Column col = again->Find(d.column)->Take(reversed);
      Column reordered(col.name(), ColumnType::kCategorical);
      ASSERT_TRUE(reordered.AppendColumn(col).ok());  // re-interned: codes in the new order
      EXPECT_NEAR(CategoricalPsi(cs->categorical, cs->count, reordered), 0.0, 1e-9) << d.column;
    }
  }
  EXPECT_EQ(categorical, 6u);  // term, sub_grade, addr_state, verification_status, emp_length, Class
}

TEST(ValidateTest, DroppedColumnIsMissingColumnError) {
  Reference ref = Fit("breast_cancer.csv");
  CsvText damaged("breast_cancer.csv");
  damaged.DropColumn("mean_radius");
  ValidationResult r = Validate(damaged.Read(), ref.schema, &ref.stats);
  const Anomaly* a = r.Find("mean_radius", AnomalyKind::kMissingColumn);
  ASSERT_NE(a, nullptr) << ValidationToText(r);
  EXPECT_EQ(a->severity, Severity::kError);
  EXPECT_TRUE(r.HasErrors());
  EXPECT_EQ(r.anomalies.size(), 1u) << ValidationToText(r);
}

TEST(ValidateTest, ExtraColumnIsWarning) {
  Reference ref = Fit("iris.csv");
  CsvText damaged("iris.csv");
  damaged.AddColumn("row_id", "1");
  ValidationResult r = Validate(damaged.Read(), ref.schema, &ref.stats);
  const Anomaly* a = r.Find("row_id", AnomalyKind::kExtraColumn);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->severity, Severity::kWarning);
  EXPECT_FALSE(r.HasErrors());
}

TEST(ValidateTest, StringInNumericColumnIsTypeError) {
  Reference ref = Fit("breast_cancer.csv");
  CsvText damaged("breast_cancer.csv");
  damaged.at(10, "mean_texture") = "n/a?";
  damaged.at(20, "mean_texture") = "twelve";
  ValidationResult r = Validate(damaged.Read(), ref.schema, &ref.stats);
  const Anomaly* a = r.Find("mean_texture", AnomalyKind::kTypeError);
  ASSERT_NE(a, nullptr) << ValidationToText(r);
  EXPECT_EQ(a->severity, Severity::kError);
  EXPECT_EQ(a->value["count"], 2);
  EXPECT_EQ(a->value["examples"][1], "twelve");
  // The remaining values are still checked as numbers: no drift from 2 rows.
  EXPECT_EQ(r.Find("mean_texture", AnomalyKind::kDriftPsi), nullptr);
}

TEST(ValidateTest, ScaledValuesAreOutOfRangeAndDrift) {
  Reference ref = Fit("breast_cancer.csv");
  CsvText damaged("breast_cancer.csv");
  damaged.MapNumbers("mean_area", [](double v) { return v * 10; });
  ValidationResult r = Validate(damaged.Read(), ref.schema, &ref.stats);
  const Anomaly* a = r.Find("mean_area", AnomalyKind::kOutOfRange);
  ASSERT_NE(a, nullptr) << ValidationToText(r);
  EXPECT_GT(a->value["fraction"].get<double>(), 0.9);
  EXPECT_NE(r.Find("mean_area", AnomalyKind::kDriftPsi), nullptr);
  EXPECT_NE(r.Find("mean_area", AnomalyKind::kDriftKs), nullptr);
  EXPECT_EQ(r.Find("mean_radius", AnomalyKind::kOutOfRange), nullptr);
  // A tolerance wide enough accepts them.
  ValidateOptions loose;
  loose.range_tolerance = 10;
  ValidationResult l = Validate(damaged.Read(), ref.schema, &ref.stats, loose);
  EXPECT_EQ(l.Find("mean_area", AnomalyKind::kOutOfRange), nullptr);
}

TEST(ValidateTest, NewCategoryIsUnseenCategory) {
  Reference ref = Fit("lending_club.csv");
  CsvText damaged("lending_club.csv");
  for (size_t i = 0; i < 30; ++i) damaged.at(i * 100, "addr_state") = "ZZ";
  damaged.at(5, "sub_grade") = "H9";
  ValidationResult r = Validate(damaged.Read(), ref.schema, &ref.stats);
  const Anomaly* a = r.Find("addr_state", AnomalyKind::kUnseenCategory);
  ASSERT_NE(a, nullptr) << ValidationToText(r);
  EXPECT_EQ(a->value["count"], 30);
  EXPECT_EQ(a->value["examples"][0], "ZZ");
  EXPECT_NE(r.Find("sub_grade", AnomalyKind::kUnseenCategory), nullptr);
  EXPECT_EQ(r.Find("term", AnomalyKind::kUnseenCategory), nullptr);
}

TEST(ValidateTest, ThirtyPercentBlanksIsMissingRateJump) {
  Reference ref = Fit("lending_club.csv");
  CsvText damaged("lending_club.csv");
  for (size_t i = 0; i < damaged.num_rows(); ++i) {
    if (i % 10 < 3) damaged.at(i, "revol_util") = "";
  }
  ValidationResult r = Validate(damaged.Read(), ref.schema, &ref.stats);
  const Anomaly* a = r.Find("revol_util", AnomalyKind::kMissingRate);
  ASSERT_NE(a, nullptr) << ValidationToText(r);
  EXPECT_NEAR(a->value["rate"].get<double>(), 0.3, 0.001);
  EXPECT_EQ(a->severity, Severity::kError);  // the reference had no missing values
  EXPECT_EQ(r.Find("annual_inc", AnomalyKind::kMissingRate), nullptr);
}

TEST(ValidateTest, ShiftedDistributionIsDrift) {
  Reference ref = Fit("lending_club.csv");
  CsvText damaged("lending_club.csv");
  const ColumnStats* s = ref.stats.Find("int_rate");
  double shift = s->numeric.std;
  damaged.MapNumbers("int_rate", [&](double v) { return v + shift; });
  ValidateOptions o;
  o.range_tolerance = 1.0;  // still "in range": only drift should fire
  ValidationResult r = Validate(damaged.Read(), ref.schema, &ref.stats, o);
  EXPECT_EQ(r.Find("int_rate", AnomalyKind::kOutOfRange), nullptr);
  ASSERT_NE(r.Find("int_rate", AnomalyKind::kDriftPsi), nullptr) << ValidationToText(r);
  ASSERT_NE(r.Find("int_rate", AnomalyKind::kDriftKs), nullptr);
  // Only the shifted column drifted.
  EXPECT_EQ(Count(r, AnomalyKind::kDriftPsi), 1u) << ValidationToText(r);
}

TEST(ValidateTest, HalvesOfOneDatasetDoNotDrift) {
  Table all = CsvText("lending_club.csv").Read();
  std::vector<size_t> even, odd;
  for (size_t i = 0; i < all.num_rows(); ++i) (i % 2 ? odd : even).push_back(i);
  Table a = all.Take(even), b = all.Take(odd);
  Schema schema = InferSchema(a);
  TableStats stats = ComputeStats(a);
  ValidateOptions o;
  o.range_tolerance = 0.5;
  ValidationResult r = Validate(b, schema, &stats, o);
  EXPECT_EQ(Count(r, AnomalyKind::kDriftPsi), 0u) << ValidationToText(r);
  EXPECT_EQ(Count(r, AnomalyKind::kDriftKs), 0u) << ValidationToText(r);
}

TEST(ValidateTest, JsonAndTextReports) {
  Reference ref = Fit("breast_cancer.csv");
  CsvText damaged("breast_cancer.csv");
  damaged.DropColumn("mean_radius");
  damaged.MapNumbers("mean_area", [](double v) { return v * 10; });
  ValidationResult r = Validate(damaged.Read(), ref.schema, &ref.stats);
  nlohmann::json j = ValidationToJson(r);
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["num_rows"], 569);
  ASSERT_GE(j["anomalies"].size(), 2u);
  bool found = false;
  for (const auto& a : j["anomalies"]) {
    EXPECT_TRUE(a.contains("column") && a.contains("kind") && a.contains("severity") && a.contains("message") &&
                a.contains("value"));
    found |= a["kind"] == "missing_column" && a["column"] == "mean_radius" && a["severity"] == "error";
  }
  EXPECT_TRUE(found);
  std::string text = ValidationToText(r);
  EXPECT_NE(text.find("validation FAILED"), std::string::npos) << text;
  EXPECT_NE(text.find("missing_column"), std::string::npos);
  EXPECT_NE(text.find("mean_area"), std::string::npos);
  EXPECT_NE(text.find("<- drift"), std::string::npos);
}

TEST(ValidateTest, WithoutReferenceStatsUsesSchemaOnly) {
  Reference ref = Fit("iris.csv");
  CsvText damaged("iris.csv");
  damaged.at(0, "species") = "rose";
  ValidationResult r = Validate(damaged.Read(), ref.schema, nullptr);
  EXPECT_NE(r.Find("species", AnomalyKind::kUnseenCategory), nullptr);
  EXPECT_TRUE(r.drift.empty());
}

}  // namespace
}  // namespace mlpipe::data
