#include "mlpipe/engine/metrics_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "mlpipe/base/strings.h"

namespace mlpipe::engine {
namespace {

using nlohmann::json;

// A value as people read it in a warning, cut short.
std::string Preview(const json& v) {
  std::string text = v.dump();
  return text.size() > 40 ? text.substr(0, 37) + "..." : text;
}

// "a string (\"xgb\")", "null", "a list ([1,2])".
std::string DescribeValue(const json& v) {
  if (v.is_string()) return "a string (" + Preview(v) + ")";
  if (v.is_null()) return "null";
  if (v.is_array()) return "a list (" + Preview(v) + ")";
  return Preview(v);
}

// Appends the numbers of `obj` (bools as 1/0, nested objects as "a.b");
// every other value gets a warning when `warnings` is set.
void Flatten(const json& obj, const std::string& prefix, std::vector<MetricPoint>* out,
             std::vector<MetricWarning>* warnings) {
  for (const auto& [k, v] : obj.items()) {
    std::string name = prefix.empty() ? k : prefix + "." + k;
    if (v.is_number()) {
      out->push_back({name, v.get<double>(), std::nullopt});
    } else if (v.is_boolean()) {
      out->push_back({name, v.get<bool>() ? 1.0 : 0.0, std::nullopt});
    } else if (v.is_object()) {
      Flatten(v, name, out, warnings);
    } else if (warnings != nullptr) {
      warnings->push_back(
          {name, fmt::format("metric '{}' is {}, not a number: not recorded", name, DescribeValue(v))});
    }
  }
}

// One {"name", "value", "step"} line.
void ReadPoint(const json& j, int line_no, ReportedMetrics* out) {
  if (!j["name"].is_string()) {
    out->warnings.push_back({"", fmt::format("metrics line {}: \"name\" is {}, not a string: skipped",
                                             line_no, DescribeValue(j["name"]))});
    return;
  }
  const std::string name = j["name"].get<std::string>();
  const json& value = j["value"];
  MetricPoint p{name, 0, std::nullopt};
  if (value.is_number()) {
    p.value = value.get<double>();
  } else if (value.is_boolean()) {
    p.value = value.get<bool>() ? 1.0 : 0.0;
  } else {
    out->warnings.push_back(
        {name, fmt::format("metric '{}' (line {}) is {}, not a number: not recorded", name, line_no,
                           value.is_object() ? "an object (" + Preview(value) + ")" : DescribeValue(value))});
    return;
  }
  if (j.contains("step")) {
    if (j["step"].is_number_integer()) {
      p.step = j["step"].get<int64_t>();
    } else {
      out->warnings.push_back({name, fmt::format("metric '{}' (line {}): \"step\" is {}, not a whole number: "
                                                 "recorded without it",
                                                 name, line_no, Preview(j["step"]))});
    }
  }
  out->points.push_back(std::move(p));
}

std::optional<std::string> Slurp(const std::string& path) {
  std::ifstream f(path);
  if (!f) return std::nullopt;
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

ReportedMetrics ParseMetricsText(const std::string& text) {
  ReportedMetrics out;
  if (Trim(text).empty()) return out;
  // A single JSON object of name -> value.
  json whole = json::parse(text, nullptr, false);
  if (!whole.is_discarded() && whole.is_object() && !whole.contains("name")) {
    Flatten(whole, "", &out.points, &out.warnings);
    return out;
  }
  if (!whole.is_discarded() && !whole.is_object()) {
    out.warnings.push_back({"", fmt::format("the metrics file holds {}, not an object or JSON lines: skipped",
                                            DescribeValue(whole))});
    return out;
  }
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (Trim(line).empty()) continue;
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      const bool non_finite =
          line.find("NaN") != std::string::npos || line.find("Infinity") != std::string::npos;
      out.warnings.push_back({"", fmt::format("metrics line {} is not a JSON object{}: skipped ({})", line_no,
                                              non_finite ? " (NaN and Infinity are not JSON numbers)" : "",
                                              Preview(json(std::string(Trim(line)))))});
      continue;
    }
    if (j.contains("name") && !j.contains("value")) {
      out.warnings.push_back(
          {"", fmt::format("metrics line {} has a \"name\" but no \"value\": skipped", line_no)});
    } else if (j.contains("name")) {
      ReadPoint(j, line_no, &out);
    } else {
      Flatten(j, "", &out.points, &out.warnings);  // a line of name -> value
    }
  }
  return out;
}

ReportedMetrics ReadMetricsFile(const std::string& path) {
  auto text = Slurp(path);
  if (!text) return {};
  return ParseMetricsText(*text);
}

std::vector<MetricPoint> ReadMetricsOutput(const std::string& path) {
  std::vector<MetricPoint> out;
  auto text = Slurp(path);
  if (!text) return out;
  json j = json::parse(*text, nullptr, false);
  if (!j.is_discarded() && j.is_object()) Flatten(j, "", &out, nullptr);
  return out;
}

std::vector<MetricPoint> MergeReportedMetrics(std::vector<MetricPoint> from_outputs,
                                              const std::vector<MetricPoint>& reported) {
  // `out` is `rep` itself or `rep` under one object ("metrics.accuracy").
  auto same = [](const MetricPoint& out, const MetricPoint& rep) {
    if (out.step || rep.step || out.value != rep.value) return false;
    if (out.name == rep.name) return true;
    const size_t n = rep.name.size();
    if (out.name.size() <= n + 1 || out.name[out.name.size() - n - 1] != '.' ||
        out.name.compare(out.name.size() - n, n, rep.name) != 0) {
      return false;
    }
    return out.name.find('.') == out.name.size() - n - 1;  // one object level, no deeper
  };
  std::vector<bool> drop(from_outputs.size(), false);
  for (const MetricPoint& r : reported) {
    size_t matches = 0, at = 0;
    for (size_t i = 0; i < from_outputs.size(); ++i) {
      if (same(from_outputs[i], r)) {
        ++matches;
        at = i;
      }
    }
    if (matches == 1) drop[at] = true;  // two candidates: ambiguous, keep both
  }
  std::vector<MetricPoint> out;
  for (size_t i = 0; i < from_outputs.size(); ++i) {
    if (!drop[i]) out.push_back(std::move(from_outputs[i]));
  }
  out.insert(out.end(), reported.begin(), reported.end());
  return out;
}

}  // namespace mlpipe::engine
