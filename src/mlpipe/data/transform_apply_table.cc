// Transform::Apply on a whole table. Each step's input column is resolved
// once (dictionary entries to one-hot offsets or numbers), then the rows are
// written in blocks of kBlockRows, block by block in parallel: within a block
// every step writes its features, so the block of the (row-major) matrix
// stays in cache. The result and the error reported (the first bad value of
// the first step that has one, as a serial column-by-column pass would find)
// do not depend on the number of threads.
#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "mlpipe/data/number.h"
#include "mlpipe/data/parallel.h"
#include "mlpipe/data/transform.h"
#include "mlpipe/data/transform_values.h"

namespace mlpipe::data {
namespace {

using transform_internal::BadValue;
using transform_internal::IsNaText;
using transform_internal::kNaN;
using transform_internal::kNoFeature;
using transform_internal::MissingCategoryOffset;
using transform_internal::CategoryOffset;
using transform_internal::PutDate;
using transform_internal::PutNumber;
using Step = Transform::Step;

constexpr size_t kBlockRows = 2048;
// Below this many output values, one thread.
constexpr size_t kParallelValues = 1 << 18;

// How one step reads its input column.
enum class Mode { kNumber, kNumberFromText, kDate, kDateFromText, kDateAllMissing, kCategory, kCategoryFromValue };

struct Prepared {
  const Step* step = nullptr;
  const Column* col = nullptr;
  Mode mode = Mode::kNumber;
  std::vector<double> numbers;   // kNumberFromText: per dictionary entry (NaN: missing)
  std::vector<char> ok;          // kNumberFromText: entry parses (or reads as missing)
  std::vector<int32_t> days;     // kDateFromText: per dictionary entry
  std::vector<int32_t> offset;   // kCategory: per dictionary entry (kNoFeature: none)
  std::vector<char> known;       // kCategory: entry is a train category
};

StatusOr<Prepared> Prepare(const Step& s, const Column& col) {
  Prepared p;
  p.step = &s;
  p.col = &col;
  const auto& dict = col.dictionary();
  switch (s.type) {
    case ColumnType::kNumeric:
      if (col.type() == ColumnType::kNumeric) {
        p.mode = Mode::kNumber;
      } else if (col.type() == ColumnType::kCategorical) {
        p.mode = Mode::kNumberFromText;
        p.numbers.assign(dict.size(), kNaN);
        p.ok.assign(dict.size(), 0);
        for (size_t i = 0; i < dict.size(); ++i) {
          p.ok[i] = ParseNumber(dict[i], &p.numbers[i]) || IsNaText(dict[i]);
        }
      } else {
        return InvalidArgumentError(
            fmt::format("column '{}' is a date column; the transform expects numbers", s.name));
      }
      break;
    case ColumnType::kDate:
      if (col.type() == ColumnType::kDate) {
        p.mode = Mode::kDate;
      } else if (col.type() == ColumnType::kCategorical) {
        p.mode = Mode::kDateFromText;
        p.days.assign(dict.size(), kMissingDay);
        for (size_t i = 0; i < dict.size(); ++i) {
          if (auto d = ParseDate(dict[i])) p.days[i] = *d;
        }
      } else if (col.MissingCount() == col.size()) {
        p.mode = Mode::kDateAllMissing;
      } else {
        return InvalidArgumentError(
            fmt::format("column '{}' is numeric; the transform expects YYYY-MM-DD dates", s.name));
      }
      break;
    case ColumnType::kCategorical:
      if (col.type() == ColumnType::kCategorical) {
        p.mode = Mode::kCategory;
        p.offset.assign(dict.size(), kNoFeature);
        p.known.assign(dict.size(), 1);
        for (size_t i = 0; i < dict.size(); ++i) {
          auto it = s.category_index.find(dict[i]);
          if (it != s.category_index.end()) {
            p.offset[i] = it->second;
          } else {
            p.known[i] = 0;
            p.offset[i] = s.other_offset;
          }
        }
      } else {
        p.mode = Mode::kCategoryFromValue;
      }
      break;
  }
  return p;
}

// Writes the features of rows [r0, r1) of one step into `values` (row-major,
// nf per row). On a bad value returns its error and sets *bad_row.
Status ApplyRows(const Prepared& p, size_t r0, size_t r1, size_t nf, float* values, bool most_frequent,
                 ApplyReport* rep, size_t* bad_row) {
  const Step& s = *p.step;
  const Column& col = *p.col;
  float* base = values + s.first_feature;
  switch (p.mode) {
    case Mode::kNumber:
      for (size_t r = r0; r < r1; ++r) PutNumber(s, 0, col.number(r), base + r * nf, rep);
      break;
    case Mode::kNumberFromText:
      for (size_t r = r0; r < r1; ++r) {
        int32_t c = col.code(r);
        if (c >= 0 && !p.ok[c]) {
          *bad_row = r;
          return BadValue(s, r, col.str(r), "number");
        }
        PutNumber(s, 0, c < 0 ? kNaN : p.numbers[c], base + r * nf, rep);
      }
      break;
    case Mode::kDate:
      for (size_t r = r0; r < r1; ++r) PutDate(s, col.day(r), base + r * nf, rep);
      break;
    case Mode::kDateFromText:
      for (size_t r = r0; r < r1; ++r) {
        int32_t c = col.code(r);
        if (c >= 0 && p.days[c] == kMissingDay && !IsNaText(col.str(r))) {
          *bad_row = r;
          return BadValue(s, r, col.str(r), "YYYY-MM-DD date");
        }
        PutDate(s, c < 0 ? kMissingDay : p.days[c], base + r * nf, rep);
      }
      break;
    case Mode::kDateAllMissing:
      for (size_t r = r0; r < r1; ++r) PutDate(s, kMissingDay, base + r * nf, rep);
      break;
    case Mode::kCategory:
      for (size_t r = r0; r < r1; ++r) {
        int32_t c = col.code(r);
        int32_t off;
        if (c < 0) {
          off = MissingCategoryOffset(s, most_frequent, rep);
        } else {
          off = p.offset[c];
          if (!p.known[c] && rep != nullptr) ++rep->unknown_categories[s.name];
        }
        if (off >= 0) base[r * nf + static_cast<size_t>(off)] = 1.0f;
      }
      break;
    case Mode::kCategoryFromValue:
      for (size_t r = r0; r < r1; ++r) {
        int32_t off = col.IsMissing(r) ? MissingCategoryOffset(s, most_frequent, rep)
                                       : CategoryOffset(s, col.ValueToString(r), rep);
        if (off >= 0) base[r * nf + static_cast<size_t>(off)] = 1.0f;
      }
      break;
  }
  return OkStatus();
}

// The first error of one block: its step index and row.
struct BlockError {
  size_t step = std::numeric_limits<size_t>::max();
  size_t row = 0;
  Status status;
};

}  // namespace

StatusOr<FeatureMatrix> Transform::Apply(const Table& table, ApplyReport* report) const {
  FeatureMatrix fm;
  fm.rows = table.num_rows();
  fm.cols = feature_names_.size();
  fm.feature_names = feature_names_;
  fm.values.assign(fm.rows * fm.cols, 0.0f);
  // Resolve the steps in order; a step that cannot run at all ends the list
  // (its error comes after any bad value of the steps before it).
  std::vector<Prepared> prepared;
  Status step_error;
  for (const Step& s : steps_) {
    const Column* col = table.Find(s.name);
    if (col == nullptr) {
      step_error = InvalidArgumentError(
          fmt::format("input column '{}' is missing (the transform was fitted with it)", s.name));
      break;
    }
    auto p = Prepare(s, *col);
    if (!p.ok()) {
      step_error = p.status();
      break;
    }
    prepared.push_back(std::move(p).value());
  }
  const bool most_frequent = options_.categorical_impute == CategoricalImpute::kMostFrequent;
  const size_t blocks = (fm.rows + kBlockRows - 1) / kBlockRows;
  const size_t threads = fm.values.size() < kParallelValues ? 1 : internal::ResolveThreads(0);
  std::vector<BlockError> errors(blocks);
  std::vector<ApplyReport> reports(report != nullptr ? blocks : 0);
  internal::ParallelFor(blocks, threads, [&](size_t b) {
    const size_t r0 = b * kBlockRows, r1 = std::min(fm.rows, r0 + kBlockRows);
    ApplyReport* rep = report != nullptr ? &reports[b] : nullptr;
    for (size_t i = 0; i < prepared.size(); ++i) {
      size_t bad_row = 0;
      Status s = ApplyRows(prepared[i], r0, r1, fm.cols, fm.values.data(), most_frequent, rep, &bad_row);
      if (!s.ok()) {
        errors[b] = BlockError{i, bad_row, std::move(s)};
        return;
      }
    }
  });
  const BlockError* first = nullptr;
  for (const BlockError& e : errors) {
    if (e.status.ok()) continue;
    if (first == nullptr || e.step < first->step || (e.step == first->step && e.row < first->row)) first = &e;
  }
  if (first != nullptr) return first->status;
  RETURN_IF_ERROR(step_error);
  if (report != nullptr) {
    for (const ApplyReport& r : reports) {
      report->imputed_values += r.imputed_values;
      for (const auto& [name, n] : r.unknown_categories) report->unknown_categories[name] += n;
    }
  }
  return fm;
}

}  // namespace mlpipe::data
