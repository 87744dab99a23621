#include "mlpipe/data/validate.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <unordered_set>

#include <fmt/format.h>

#include "mlpipe/data/drift.h"
#include "mlpipe/data/json_io.h"
#include "mlpipe/data/number.h"

namespace mlpipe::data {
namespace {

using json = nlohmann::json;

bool IsNaText(std::string_view s) { return s.empty() || s == "NA" || s == "N/A" || s == "NaN" || s == "null"; }

// A column's values as numbers under the schema type (numeric or date), with
// type failures counted. NaN = missing (or unconvertible).
struct Converted {
  std::vector<double> values;  // one per row
  size_t bad = 0;
  std::vector<std::string> examples;
};

Converted ToNumbers(const Column& col, ColumnType want) {
  Converted out;
  out.values.resize(col.size(), std::nan(""));
  auto bad = [&](std::string_view s) {
    ++out.bad;
    if (out.examples.size() < 5 &&
        std::find(out.examples.begin(), out.examples.end(), s) == out.examples.end()) {
      out.examples.emplace_back(s);
    }
  };
  std::vector<double> dict_values;  // kCategorical: per dictionary entry
  std::vector<char> dict_ok;         // 1 converts, 2 reads as missing, 0 bad
  for (size_t r = 0; r < col.size(); ++r) {
    if (col.IsMissing(r)) continue;
    switch (col.type()) {
      case ColumnType::kNumeric:
        if (want == ColumnType::kNumeric) {
          out.values[r] = col.number(r);
        } else {
          bad(col.ValueToString(r));
        }
        break;
      case ColumnType::kDate:
        if (want == ColumnType::kDate) {
          out.values[r] = col.day(r);
        } else {
          bad(col.ValueToString(r));
        }
        break;
      case ColumnType::kCategorical: {
        // A mostly-numeric column with a few words was read as categorical:
        // each distinct text is converted once, then rows look it up.
        if (dict_values.empty() && !col.dictionary().empty()) {
          dict_values.assign(col.dictionary().size(), std::nan(""));
          dict_ok.assign(col.dictionary().size(), 0);
          for (size_t i = 0; i < col.dictionary().size(); ++i) {
            const std::string& s = col.dictionary()[i];
            double v;
            if (want == ColumnType::kNumeric && ParseNumber(s, &v)) {
              dict_values[i] = v;
              dict_ok[i] = 1;
            } else if (auto d = want == ColumnType::kDate ? ParseDate(s) : std::nullopt) {
              dict_values[i] = *d;
              dict_ok[i] = 1;
            } else {
              dict_ok[i] = IsNaText(s) ? 2 : 0;  // 2: reads as missing
            }
          }
        }
        const size_t c = static_cast<size_t>(col.code(r));
        if (dict_ok[c] == 1) {
          out.values[r] = dict_values[c];
        } else if (dict_ok[c] == 0) {
          bad(col.str(r));
        }
        break;
      }
    }
  }
  return out;
}

std::string FormatValue(ColumnType type, double v) {
  return type == ColumnType::kDate ? FormatDate(static_cast<int32_t>(v)) : FormatNumber(v);
}

class Validator {
 public:
  Validator(const Table& table, const Schema& schema, const TableStats* ref, const ValidateOptions& o)
      : table_(table), schema_(schema), ref_(ref), o_(o) {}

  ValidationResult Run() {
    res_.num_rows = table_.num_rows();
    for (const ColumnSchema& cs : schema_.columns) {
      if (Ignored(cs.name)) continue;
      const Column* col = table_.Find(cs.name);
      if (col == nullptr) {
        Add(cs.name, AnomalyKind::kMissingColumn, cs.required ? Severity::kError : Severity::kWarning,
            fmt::format("column '{}' is missing", cs.name), nullptr);
        continue;
      }
      CheckColumn(cs, *col);
    }
    for (const Column& col : table_.columns()) {
      if (Ignored(col.name()) || schema_.Find(col.name()) != nullptr) continue;
      Add(col.name(), AnomalyKind::kExtraColumn, Severity::kWarning,
          fmt::format("column '{}' is not in the schema", col.name()), nullptr);
    }
    return std::move(res_);
  }

 private:
  bool Ignored(const std::string& name) const {
    return std::find(o_.ignore_columns.begin(), o_.ignore_columns.end(), name) != o_.ignore_columns.end();
  }

  void Add(const std::string& column, AnomalyKind kind, Severity sev, std::string message, json value) {
    res_.anomalies.push_back(Anomaly{column, kind, sev, std::move(message), std::move(value)});
  }

  void CheckColumn(const ColumnSchema& cs, const Column& col) {
    const ColumnStats* rs = ref_ != nullptr ? ref_->Find(cs.name) : nullptr;
    const size_t n = col.size();
    // Missing rate.
    size_t missing = col.MissingCount();
    double rate = n == 0 ? 0 : static_cast<double>(missing) / static_cast<double>(n);
    double ref_rate = rs != nullptr ? rs->missing_rate : cs.missing_rate;
    if (rate > ref_rate + o_.missing_rate_threshold) {
      Add(cs.name, AnomalyKind::kMissingRate, cs.nullable ? Severity::kWarning : Severity::kError,
          fmt::format("column '{}': {:.1f}% missing values (reference {:.1f}%, threshold +{:.1f} points)", cs.name,
                      100 * rate, 100 * ref_rate, 100 * o_.missing_rate_threshold),
          json{{"rate", rate}, {"reference", ref_rate}});
    }
    if (cs.type == ColumnType::kCategorical) {
      CheckCategorical(cs, col, rs);
    } else {
      CheckNumeric(cs, col, rs);
    }
  }

  void CheckNumeric(const ColumnSchema& cs, const Column& col, const ColumnStats* rs) {
    Converted conv = ToNumbers(col, cs.type);
    if (conv.bad > 0) {
      Add(cs.name, AnomalyKind::kTypeError, Severity::kError,
          fmt::format("column '{}': {} value(s) are not {} (e.g. '{}')", cs.name, conv.bad,
                      cs.type == ColumnType::kDate ? "YYYY-MM-DD dates" : "numbers", conv.examples.front()),
          json{{"count", conv.bad}, {"examples", conv.examples}});
    }
    std::vector<double> present;
    present.reserve(conv.values.size());
    for (double v : conv.values) {
      if (!std::isnan(v)) present.push_back(v);
    }
    if (cs.min && cs.max && !present.empty()) {
      double w = *cs.max - *cs.min;
      if (w == 0) w = std::max(std::fabs(*cs.max), 1.0);
      double lo = *cs.min - o_.range_tolerance * w, hi = *cs.max + o_.range_tolerance * w;
      size_t out = 0;
      double vmin = present[0], vmax = present[0];
      for (double v : present) {
        out += (v < lo || v > hi) ? 1 : 0;
        vmin = std::min(vmin, v);
        vmax = std::max(vmax, v);
      }
      if (out > 0) {
        double frac = static_cast<double>(out) / static_cast<double>(present.size());
        Add(cs.name, AnomalyKind::kOutOfRange, Severity::kWarning,
            fmt::format("column '{}': {} value(s) ({:.1f}%) outside the schema range [{}, {}]; observed [{}, {}]",
                        cs.name, out, 100 * frac, FormatValue(cs.type, *cs.min), FormatValue(cs.type, *cs.max),
                        FormatValue(cs.type, vmin), FormatValue(cs.type, vmax)),
            json{{"count", out}, {"fraction", frac}, {"min", vmin}, {"max", vmax}});
      }
    }
    if (o_.check_drift && rs != nullptr && rs->type != ColumnType::kCategorical && !present.empty()) {
      DriftScore d;
      d.column = cs.name;
      d.psi = NumericPsi(rs->numeric, present);
      d.ks = KsStatistic(rs->numeric, present);
      AddDrift(std::move(d));
    }
  }

  void CheckCategorical(const ColumnSchema& cs, const Column& col, const ColumnStats* rs) {
    if (cs.has_domain) {
      std::unordered_set<std::string_view> domain(cs.domain.begin(), cs.domain.end());
      size_t count = 0;
      std::vector<std::string> unseen;
      auto check = [&](std::string_view s) {
        if (domain.count(s) > 0) return;
        ++count;
        if (std::find(unseen.begin(), unseen.end(), s) == unseen.end()) unseen.emplace_back(s);
      };
      for (size_t r = 0; r < col.size(); ++r) {
        if (col.IsMissing(r)) continue;
        if (col.type() == ColumnType::kCategorical) {
          check(col.str(r));
        } else {
          check(col.ValueToString(r));
        }
      }
      if (count > 0) {
        std::vector<std::string> examples(unseen.begin(), unseen.begin() + std::min<size_t>(unseen.size(), 10));
        Add(cs.name, AnomalyKind::kUnseenCategory, Severity::kWarning,
            fmt::format("column '{}': {} value(s) in {} categor{} not in the schema domain (e.g. '{}')", cs.name,
                        count, unseen.size(), unseen.size() == 1 ? "y" : "ies", unseen.front()),
            json{{"count", count}, {"distinct", unseen.size()}, {"examples", examples}});
      }
    }
    if (o_.check_drift && rs != nullptr && rs->type == ColumnType::kCategorical) {
      DriftScore d;
      d.column = cs.name;
      d.psi = CategoricalPsi(rs->categorical, rs->count, col);
      d.ks = std::nan("");
      AddDrift(std::move(d));
    }
  }

  void AddDrift(DriftScore d) {
    d.psi_exceeded = !std::isnan(d.psi) && d.psi > o_.psi_threshold;
    d.ks_exceeded = !std::isnan(d.ks) && d.ks > o_.ks_threshold;
    if (d.psi_exceeded) {
      Add(d.column, AnomalyKind::kDriftPsi, Severity::kWarning,
          fmt::format("column '{}': distribution drift, PSI {:.3f} > {}", d.column, d.psi, o_.psi_threshold),
          json{{"psi", d.psi}, {"threshold", o_.psi_threshold}});
    }
    if (d.ks_exceeded) {
      Add(d.column, AnomalyKind::kDriftKs, Severity::kWarning,
          fmt::format("column '{}': distribution drift, KS statistic {:.3f} > {}", d.column, d.ks, o_.ks_threshold),
          json{{"ks", d.ks}, {"threshold", o_.ks_threshold}});
    }
    res_.drift.push_back(std::move(d));
  }

  const Table& table_;
  const Schema& schema_;
  const TableStats* ref_;
  const ValidateOptions& o_;
  ValidationResult res_;
};

}  // namespace

const char* AnomalyKindName(AnomalyKind kind) {
  switch (kind) {
    case AnomalyKind::kMissingColumn: return "missing_column";
    case AnomalyKind::kExtraColumn: return "extra_column";
    case AnomalyKind::kTypeError: return "type_error";
    case AnomalyKind::kOutOfRange: return "out_of_range";
    case AnomalyKind::kUnseenCategory: return "unseen_category";
    case AnomalyKind::kMissingRate: return "missing_rate";
    case AnomalyKind::kDriftPsi: return "drift_psi";
    case AnomalyKind::kDriftKs: return "drift_ks";
  }
  return "?";
}

const char* SeverityName(Severity s) { return s == Severity::kError ? "error" : "warning"; }

bool ValidationResult::HasErrors() const {
  for (const auto& a : anomalies) {
    if (a.severity == Severity::kError) return true;
  }
  return false;
}

const Anomaly* ValidationResult::Find(std::string_view column, AnomalyKind kind) const {
  for (const auto& a : anomalies) {
    if (a.column == column && a.kind == kind) return &a;
  }
  return nullptr;
}

ValidationResult Validate(const Table& table, const Schema& schema, const TableStats* reference,
                          const ValidateOptions& options) {
  return Validator(table, schema, reference, options).Run();
}

json ValidationToJson(const ValidationResult& r) {
  size_t errors = 0, warnings = 0;
  json anomalies = json::array();
  for (const auto& a : r.anomalies) {
    (a.severity == Severity::kError ? errors : warnings)++;
    anomalies.push_back({{"column", a.column},
                         {"kind", AnomalyKindName(a.kind)},
                         {"severity", SeverityName(a.severity)},
                         {"message", a.message},
                         {"value", a.value}});
  }
  json drift = json::array();
  for (const auto& d : r.drift) {
    drift.push_back({{"column", d.column},
                     {"psi", NumberToJson(d.psi)},
                     {"psi_exceeded", d.psi_exceeded},
                     {"ks", NumberToJson(d.ks)},
                     {"ks_exceeded", d.ks_exceeded}});
  }
  return json{{"ok", errors == 0},       {"num_rows", r.num_rows}, {"errors", errors},
              {"warnings", warnings},    {"anomalies", anomalies}, {"drift", drift}};
}

std::string ValidationToText(const ValidationResult& r) { return ValidationToText(r, r.HasErrors()); }

std::string ValidationToText(const ValidationResult& r, bool failed) {
  size_t errors = 0;
  for (const auto& a : r.anomalies) errors += a.severity == Severity::kError ? 1 : 0;
  std::string out =
      fmt::format("validation {}: {} rows, {} error(s), {} warning(s)\n", failed ? "FAILED" : "passed",
                  r.num_rows, errors, r.anomalies.size() - errors);
  for (const auto& a : r.anomalies) {
    out += fmt::format("  {:<7} {:<15} {}\n", SeverityName(a.severity), AnomalyKindName(a.kind), a.message);
  }
  if (!r.drift.empty()) {
    out += "drift:\n";
    out += fmt::format("  {:<32} {:>8} {:>8}\n", "column", "psi", "ks");
    for (const auto& d : r.drift) {
      out += fmt::format("  {:<32} {:>8} {:>8}{}\n", d.column, std::isnan(d.psi) ? "-" : fmt::format("{:.4f}", d.psi),
                         std::isnan(d.ks) ? "-" : fmt::format("{:.4f}", d.ks),
                         d.psi_exceeded || d.ks_exceeded ? "  <- drift" : "");
    }
  }
  return out;
}

}  // namespace mlpipe::data
