#include "mlpipe/monitor/prediction_log_reader.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <unordered_set>

#include "mlpipe/data/date.h"
#include "mlpipe/data/number.h"
#include "mlpipe/monitor/log_time.h"
#include "mlpipe/serving/prediction_log.h"

namespace mlpipe::monitor {
namespace {

constexpr int64_t kDayNs = 86'400'000'000'000;
constexpr size_t kMaxProblems = 5;

int64_t DayOf(int64_t ns) { return ns >= 0 ? ns / kDayNs : (ns - kDayNs + 1) / kDayNs; }

// What a line handler says about a parsed line: "" = taken, else why it is
// not a log line.
using LineHandler = std::function<std::string(const nlohmann::json& line, int64_t time_ns)>;

void Problem(LogReadCounts* counts, const std::string& file, size_t line, const std::string& what) {
  ++counts->malformed;
  if (counts->problems.size() < kMaxProblems)
    counts->problems.push_back(fmt::format("{}:{}: {}", file, line, what));
}

// Reads every `kind` file of the days in [from, to) and hands each complete
// line in the window (and of the wanted variant) to `handle`.
Status ForEachLine(const std::string& dir, const std::string& kind, const LogWindowOptions& o,
                   LogReadCounts* counts, const LineHandler& handle) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    return NotFoundError(fmt::format("no prediction log folder {}", dir));
  if (o.to_ns <= o.from_ns) {
    return InvalidArgumentError(fmt::format("empty time window: to ({}) <= from ({})", o.to_ns, o.from_ns));
  }
  for (int64_t day = DayOf(o.from_ns); day <= DayOf(o.to_ns - 1); ++day) {
    const std::string path = serving::DailyLogPath(dir, kind, day * kDayNs);
    if (!std::filesystem::exists(path, ec)) continue;  // no traffic logged that day
    std::ifstream in(path, std::ios::binary);
    if (!in) return InternalError(fmt::format("cannot read {}: {}", path, std::strerror(errno)));
    ++counts->files;
    const std::string file = std::filesystem::path(path).filename().string();
    // Line by line: a day's file can be far larger than the window read from it.
    std::string line;
    size_t line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      if (in.eof()) {  // no newline after it: being written, or torn
        if (!line.empty()) ++counts->unterminated;
        break;
      }
      if (line.empty()) continue;
      ++counts->lines;
      nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (j.is_discarded() || !j.is_object()) {
        Problem(counts, file, line_no, "not a JSON object");
        continue;
      }
      auto time_it = j.find("time");
      std::optional<int64_t> time_ns;
      if (time_it != j.end() && time_it->is_string())
        time_ns = ParseUtcTime(time_it->get_ref<const std::string&>());
      if (!time_ns) {
        Problem(counts, file, line_no, "no \"time\" in RFC 3339 UTC");
        continue;
      }
      if (*time_ns < o.from_ns || *time_ns >= o.to_ns) {
        ++counts->out_of_window;
        continue;
      }
      if (!o.variant.empty() && j.value("variant", "") != o.variant) {
        ++counts->other_variant;
        continue;
      }
      if (std::string why = handle(j, *time_ns); !why.empty()) Problem(counts, file, line_no, why);
    }
    if (in.bad()) return InternalError(fmt::format("reading {} failed: {}", path, std::strerror(errno)));
  }
  return OkStatus();
}

std::string Str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Appends one logged value to a column of a decided type.
void AppendValue(const nlohmann::json& v, data::Column* c) {
  switch (c->type()) {
    case data::ColumnType::kNumeric: {
      double d;
      if (v.is_number()) {
        c->AppendNumber(v.get<double>());
      } else if (v.is_string() && data::ParseNumber(v.get_ref<const std::string&>(), &d)) {
        c->AppendNumber(d);
      } else {
        c->AppendMissing();
      }
      return;
    }
    case data::ColumnType::kDate: {
      std::optional<int32_t> day;
      if (v.is_string()) day = data::ParseDate(v.get_ref<const std::string&>());
      c->AppendDay(day.value_or(data::kMissingDay));
      return;
    }
    case data::ColumnType::kCategorical:
      if (v.is_string()) {
        c->AppendString(v.get_ref<const std::string&>());
      } else if (v.is_number()) {
        c->AppendString(data::FormatNumber(v.get<double>()));
      } else if (v.is_boolean()) {
        c->AppendString(v.get<bool>() ? "true" : "false");
      } else {
        c->AppendMissing();
      }
      return;
  }
}

// The table of the rows' feature objects: columns in order of first
// appearance, typed by `types` or inferred.
data::Table BuildTable(const std::vector<nlohmann::json>& rows,
                       const std::map<std::string, data::ColumnType>& types) {
  std::vector<std::string> names;
  std::unordered_set<std::string> seen;
  std::map<std::string, bool> all_numbers;  // inferred columns: only numbers (or null) seen
  for (const nlohmann::json& row : rows) {
    for (auto it = row.begin(); it != row.end(); ++it) {
      if (seen.insert(it.key()).second) {
        names.push_back(it.key());
        all_numbers[it.key()] = true;
      }
      if (!it.value().is_number() && !it.value().is_null()) all_numbers[it.key()] = false;
    }
  }
  data::Table table;
  for (const std::string& name : names) {
    auto t = types.find(name);
    data::ColumnType type = t != types.end()       ? t->second
                            : all_numbers.at(name) ? data::ColumnType::kNumeric
                                                   : data::ColumnType::kCategorical;
    data::Column c(name, type);
    c.Reserve(rows.size());
    for (const nlohmann::json& row : rows) {
      auto v = row.find(name);
      if (v == row.end()) {
        c.AppendMissing();
      } else {
        AppendValue(*v, &c);
      }
    }
    (void)table.AddColumn(std::move(c));  // names are distinct and sizes equal
  }
  return table;
}

}  // namespace

std::map<std::string, data::ColumnType> ColumnTypesOf(const data::TableStats& reference) {
  std::map<std::string, data::ColumnType> types;
  for (const data::ColumnStats& c : reference.columns) types[c.name] = c.type;
  return types;
}

StatusOr<PredictionWindow> ReadPredictionWindow(const std::string& dir, const LogWindowOptions& options) {
  PredictionWindow w;
  std::vector<nlohmann::json> rows;
  Status s =
      ForEachLine(dir, "predictions", options, &w.counts, [&](const nlohmann::json& j, int64_t time_ns) {
        const bool shadow = j.value("shadow", false);
        if (shadow && !options.include_shadow) {
          ++w.counts.shadow;
          return std::string();
        }
        auto features = j.find("features");
        auto predictions = j.find("predictions");
        if (features == j.end() || predictions == j.end() || !features->is_array() ||
            !predictions->is_array() || features->size() != predictions->size()) {
          return std::string("\"features\" and \"predictions\" are not arrays of one length");
        }
        for (size_t r = 0; r < features->size(); ++r) {
          const nlohmann::json& f = (*features)[r];
          const nlohmann::json& p = (*predictions)[r];
          if (!f.is_object() || !(p.is_object() || p.is_number()))
            return fmt::format("row {} is not a logged row", r);
          LoggedPrediction lp;
          lp.id = Str(j, "id");
          lp.row = r;
          lp.time_ns = time_ns;
          lp.variant = Str(j, "variant");
          lp.version = Str(j, "version");
          lp.shadow = shadow;
          if (p.is_number()) {
            lp.value = p.get<double>();
          } else {
            lp.label = Str(p, "label");
            auto probs = p.find("probabilities");
            if (probs != p.end() && probs->is_array()) {
              for (const nlohmann::json& x : *probs)
                lp.probabilities.push_back(x.is_number() ? x.get<double>() : 0.0);
            }
          }
          rows.push_back(f);
          w.predictions.push_back(std::move(lp));
        }
        return std::string();
      });
  if (!s.ok()) return s;
  w.features = BuildTable(rows, options.column_types);
  return w;
}

StatusOr<FeedbackWindow> ReadFeedbackWindow(const std::string& dir, const LogWindowOptions& options) {
  FeedbackWindow w;
  Status s = ForEachLine(dir, "feedback", options, &w.counts, [&](const nlohmann::json& j, int64_t time_ns) {
    FeedbackEntry e;
    e.id = Str(j, "id");
    if (e.id.empty()) return std::string("no request \"id\"");
    e.time_ns = time_ns;
    e.variant = Str(j, "variant");
    e.version = Str(j, "version");
    auto label = j.find("label");
    if (label == j.end()) return std::string("no \"label\"");
    if (label->is_array()) {
      e.labels.assign(label->begin(), label->end());
    } else {
      e.labels.push_back(*label);
    }
    w.entries.push_back(std::move(e));
    return std::string();
  });
  if (!s.ok()) return s;
  return w;
}

}  // namespace mlpipe::monitor
