#include "mlpipe/monitor/drift_window.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "mlpipe/base/strings.h"
#include "mlpipe/data/drift.h"

namespace mlpipe::monitor {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool IsNumericType(data::ColumnType t) {
  return t == data::ColumnType::kNumeric || t == data::ColumnType::kDate;
}

// The non-missing values of a numeric or date column (dates as day numbers).
std::vector<double> NumericValues(const data::Column& column) {
  std::vector<double> values;
  values.reserve(column.size());
  for (size_t r = 0; r < column.size(); ++r) {
    if (column.IsMissing(r)) continue;
    values.push_back(column.type() == data::ColumnType::kDate ? static_cast<double>(column.day(r))
                                                              : column.number(r));
  }
  return values;
}

// PSI and KS of one feature; the level is set once the KS threshold is known.
FeatureDrift Measure(const data::ColumnStats& ref, const data::Column& column, const DriftOptions& o) {
  FeatureDrift f;
  f.feature = ref.name;
  f.type = ref.type;
  f.psi = f.ks = f.ks_p_value = kNaN;
  if (IsNumericType(ref.type)) {
    if (!IsNumericType(column.type())) {
      f.reason = fmt::format("the window's column is {}, the reference's {}",
                             data::ColumnTypeName(column.type()), data::ColumnTypeName(ref.type));
      return f;
    }
    std::vector<double> values = NumericValues(column);
    f.values = values.size();
    if (values.empty()) {
      f.reason = "no values in the window";
      return f;
    }
    f.psi = data::NumericPsi(ref.numeric, values);
    if (o.ks_test) {
      f.ks = data::KsStatistic(ref.numeric, std::move(values));
      f.ks_p_value = KsPValue(f.ks, ref.count, f.values, o.ks_method);
    }
  } else {
    f.values = column.size() - column.MissingCount();
    if (f.values == 0) {
      f.reason = "no values in the window";
      return f;
    }
    f.psi = data::CategoricalPsi(ref.categorical, ref.count, column);
  }
  if (std::isnan(f.psi)) {
    f.reason = "no reference values";
    return f;
  }
  if (f.values < o.min_rows) {
    // A feature mostly missing in live traffic: too few values to judge.
    f.reason = fmt::format("{} values < min_rows {}", f.values, o.min_rows);
    return f;
  }
  f.checked = true;
  return f;
}

void Judge(const DriftOptions& o, double ks_threshold, size_t ks_tests, FeatureDrift* f) {
  std::vector<std::string> why;
  if (f->psi >= o.psi_alert) {
    f->level = DriftLevel::kAlert;
    why.push_back(fmt::format("psi {:.2f} >= {:.2f}", f->psi, o.psi_alert));
  }
  if (!std::isnan(f->ks_p_value) && f->ks_p_value < ks_threshold) {
    f->level = DriftLevel::kAlert;
    why.push_back(fmt::format("ks {:.3f} p {:.2g} < {:.2g} ({:g} / {} features)", f->ks, f->ks_p_value,
                              ks_threshold, o.ks_alpha, ks_tests));
  }
  if (f->level != DriftLevel::kAlert && f->psi >= o.psi_warn) {
    f->level = DriftLevel::kWarn;
    why.push_back(fmt::format("psi {:.2f} >= {:.2f}", f->psi, o.psi_warn));
  }
  if (why.empty()) {
    why.push_back(std::isnan(f->ks_p_value) ? fmt::format("psi {:.2f}", f->psi)
                                            : fmt::format("psi {:.2f}, ks p {:.2g}", f->psi, f->ks_p_value));
  }
  f->reason = Join(why, ", ");
}

bool Wanted(const DriftOptions& o, const std::string& name) {
  return o.features.empty() || std::find(o.features.begin(), o.features.end(), name) != o.features.end();
}

}  // namespace

const char* DriftLevelName(DriftLevel level) {
  switch (level) {
    case DriftLevel::kOk:
      return "ok";
    case DriftLevel::kWarn:
      return "warn";
    case DriftLevel::kAlert:
      return "alert";
  }
  return "?";
}

Status ValidateDriftOptions(const DriftOptions& o) {
  if (!(o.psi_warn > 0))
    return InvalidArgumentError(fmt::format("psi_warn must be > 0, got {:g}", o.psi_warn));
  if (!(o.psi_alert >= o.psi_warn)) {
    return InvalidArgumentError(
        fmt::format("psi_alert ({:g}) must be >= psi_warn ({:g})", o.psi_alert, o.psi_warn));
  }
  if (!(o.ks_alpha > 0 && o.ks_alpha < 1)) {
    return InvalidArgumentError(fmt::format("ks_alpha must be in (0, 1), got {:g}", o.ks_alpha));
  }
  return OkStatus();
}

DriftWindow ComputeDriftWindow(const data::TableStats& reference, const data::Table& window,
                               const DriftOptions& options) {
  DriftWindow w;
  w.rows = window.num_rows();
  for (const std::string& name : options.features) {
    if (reference.Find(name) == nullptr || window.Find(name) == nullptr) w.missing.push_back(name);
  }
  if (w.rows < options.min_rows) {
    w.skipped = true;
    w.reason = fmt::format("{} rows < min_rows {}", w.rows, options.min_rows);
    return w;
  }
  for (const data::ColumnStats& ref : reference.columns) {
    const data::Column* column = window.Find(ref.name);
    if (column == nullptr || !Wanted(options, ref.name)) continue;
    w.features.push_back(Measure(ref, *column, options));
    if (!std::isnan(w.features.back().ks_p_value)) ++w.ks_tests;
  }
  w.ks_threshold = w.ks_tests > 0 ? options.ks_alpha / static_cast<double>(w.ks_tests) : 0;
  const FeatureDrift* worst = nullptr;
  size_t at_worst_level = 0;
  for (FeatureDrift& f : w.features) {
    if (!f.checked) continue;
    Judge(options, w.ks_threshold, w.ks_tests, &f);
    if (worst == nullptr || f.level > worst->level) {
      worst = &f;
      at_worst_level = 1;
    } else if (f.level == worst->level) {
      ++at_worst_level;
      if (f.psi > worst->psi) worst = &f;
    }
  }
  if (worst == nullptr) {
    w.skipped = true;  // says nothing about drift, like a window too small
    w.reason = "no feature could be compared with the reference";
    return w;
  }
  w.level = worst->level;
  w.worst_feature = worst->feature;
  if (w.level == DriftLevel::kOk) {
    w.reason = fmt::format("no drift (max psi {:.2f} on {})", worst->psi, worst->feature);
  } else {
    w.reason = fmt::format("{} on {}", worst->reason, worst->feature);
    if (at_worst_level > 1) w.reason += fmt::format(" (+ {} more features)", at_worst_level - 1);
  }
  return w;
}

}  // namespace mlpipe::monitor
