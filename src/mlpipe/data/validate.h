// Validation of a table against a schema (schema.h) and, optionally,
// reference statistics (stats.h): the built-in "validate" component.
//
// Anomaly kinds (JSON name, default severity, `value` payload):
//   missing_column   error (warning if !required)  null
//   extra_column     warning                        null
//   type_error       error    {"count", "examples"}: values that do not parse
//                             as the schema type (numeric or date)
//   out_of_range     warning  {"count", "fraction", "min", "max"}: values
//                             beyond [min - tol*w, max + tol*w], w = max - min
//                             (or max(|max|, 1) if that is 0), tol = range_tolerance
//   unseen_category  warning  {"count", "distinct", "examples"}: values not
//                             in the schema domain
//   missing_rate     warning (error if the schema says !nullable)
//                             {"rate", "reference"}: current missing rate
//                             exceeds the reference rate by more than
//                             missing_rate_threshold
//   drift_psi        warning  {"psi", "threshold"}   (needs reference stats)
//   drift_ks         warning  {"ks", "threshold"}    (numeric/date only)
// Values that fail a type check are left out of range and drift checks; the
// rest are checked as the schema type.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mlpipe/data/schema.h"
#include "mlpipe/data/stats.h"
#include "mlpipe/data/table.h"

namespace mlpipe::data {

enum class AnomalyKind {
  kMissingColumn,
  kExtraColumn,
  kTypeError,
  kOutOfRange,
  kUnseenCategory,
  kMissingRate,
  kDriftPsi,
  kDriftKs,
};
const char* AnomalyKindName(AnomalyKind kind);  // "missing_column", ...

enum class Severity { kWarning, kError };
const char* SeverityName(Severity s);  // "warning", "error"

struct Anomaly {
  std::string column;
  AnomalyKind kind = AnomalyKind::kTypeError;
  Severity severity = Severity::kWarning;
  std::string message;   // one readable sentence with the numbers
  nlohmann::json value;  // kind-specific details (see above)
};

// Drift scores of one column (NaN when not computed).
struct DriftScore {
  std::string column;
  double psi = 0;
  bool psi_exceeded = false;
  double ks = 0;  // NaN for categorical columns
  bool ks_exceeded = false;
};

struct ValidationResult {
  size_t num_rows = 0;
  std::vector<Anomaly> anomalies;
  std::vector<DriftScore> drift;  // one per column compared with reference stats
  bool HasErrors() const;
  // The first anomaly of `kind` on `column`, or nullptr.
  const Anomaly* Find(std::string_view column, AnomalyKind kind) const;
};

struct ValidateOptions {
  double range_tolerance = 0.0;          // fraction of the schema range width; default 0
  double missing_rate_threshold = 0.05;  // absolute increase over the reference; default 0.05
  double psi_threshold = 0.2;            // default 0.2
  double ks_threshold = 0.1;             // default 0.1
  bool check_drift = true;               // needs reference stats
  std::vector<std::string> ignore_columns;  // not checked at all (e.g. ids)
};

// `reference` may be nullptr (no drift checks; missing rates from the schema).
ValidationResult Validate(const Table& table, const Schema& schema, const TableStats* reference,
                          const ValidateOptions& options = {});

// {"ok": bool, "num_rows": N, "errors": E, "warnings": W,
//  "anomalies": [{"column", "kind", "severity", "message", "value"}],
//  "drift": [{"column", "psi", "psi_exceeded", "ks", "ks_exceeded"}]}
nlohmann::json ValidationToJson(const ValidationResult& result);
// A readable report: a summary line, one line per anomaly, a drift table.
// The summary says "validation FAILED" when `failed` (the check's verdict:
// a caller that fails on warnings too says so), else "validation passed";
// the one-argument form fails on errors only.
std::string ValidationToText(const ValidationResult& result, bool failed);
std::string ValidationToText(const ValidationResult& result);

}  // namespace mlpipe::data
