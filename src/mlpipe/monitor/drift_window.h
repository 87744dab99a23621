// Drift of one window of live traffic against a model package's reference
// statistics (data/stats.h, the training data's): per feature PSI (numeric
// and date: the reference histogram's bins; categorical: the reference
// category shares plus "other") and, for numeric and date features, the KS
// statistic against the reference CDF sketch with its p-value
// (ks_pvalue.h; the sizes are the reference's and the window's non-missing
// counts).
//
// Verdict of a feature: alert when PSI >= psi_alert or the KS p-value is
// below ks_alpha / (number of features KS-tested in the window), the
// Bonferroni correction that keeps the chance of any false KS alarm in a
// window at ks_alpha; warn when PSI >= psi_warn; else ok. The window's
// verdict is its worst feature's. Every verdict carries a reason for people
// ("psi 0.31 >= 0.25 on int_rate").
//
// PSI has a noise floor that grows with the buckets and shrinks with the
// window: for a window of n rows drawn from the reference itself, PSI is
// about (buckets - 1) / n (0.04 for 20 bins and 500 rows, 0.1 for a
// 50-category feature and 500 rows), so windows much smaller than 10 x
// buckets warn on noise; `min_rows` guards against the smallest ones.
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/data/stats.h"
#include "mlpipe/data/table.h"
#include "mlpipe/monitor/ks_pvalue.h"

namespace mlpipe::monitor {

enum class DriftLevel { kOk = 0, kWarn = 1, kAlert = 2 };
// "ok", "warn", "alert".
const char* DriftLevelName(DriftLevel level);

struct DriftOptions {
  double psi_warn = 0.1;    // default 0.1
  double psi_alert = 0.25;  // default 0.25
  double ks_alpha = 0.05;   // family-wise, over the KS-tested features; default 0.05
  // Smaller windows are skipped, and features with fewer non-missing values
  // are not judged; default 200.
  size_t min_rows = 200;
  bool ks_test = true;  // KS on numeric and date features; false = PSI only
  // Features to check; empty = every reference column that the window has
  // (so a label column in the reference but not in live traffic is left out).
  std::vector<std::string> features;
  KsMethod ks_method = KsMethod::kAuto;
};

// InvalidArgument naming the bad field: thresholds not 0 < warn <= alert,
// alpha not in (0, 1).
Status ValidateDriftOptions(const DriftOptions& options);

struct FeatureDrift {
  std::string feature;
  data::ColumnType type = data::ColumnType::kNumeric;
  size_t values = 0;      // non-missing values in the window
  double psi = 0;         // NaN when not computed
  double ks = 0;          // NaN for categorical features or when not computed
  double ks_p_value = 0;  // NaN when ks is
  bool checked = false;   // false: not comparable (reason says why)
  DriftLevel level = DriftLevel::kOk;
  std::string reason;  // "psi 0.31 >= 0.25", "no values in the window"
};

struct DriftWindow {
  size_t rows = 0;
  bool skipped = false;                // fewer than min_rows rows, or no feature comparable
  std::vector<FeatureDrift> features;  // in reference column order
  std::vector<std::string> missing;    // requested features the window lacks
  size_t ks_tests = 0;                 // features with a KS p-value
  double ks_threshold = 0;             // ks_alpha / ks_tests (0 when none)
  DriftLevel level = DriftLevel::kOk;
  // Skipped: "150 rows < min_rows 200", "no feature could be compared with
  // the reference". Else the worst feature's reason with
  // its name ("psi 0.31 >= 0.25 on int_rate", "+ 2 more features" when
  // several share the level), or "no drift (max psi 0.04 on x)".
  std::string reason;
  // The feature behind the verdict ("" when skipped or none was checked).
  std::string worst_feature;
};

// `window`'s columns are matched to reference columns by name; a numeric
// or date reference column needs a numeric or date column, a categorical one
// any column (values compared as text). Precondition: options validated.
DriftWindow ComputeDriftWindow(const data::TableStats& reference, const data::Table& window,
                               const DriftOptions& options = {});

}  // namespace mlpipe::monitor
