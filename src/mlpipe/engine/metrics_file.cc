#include "mlpipe/engine/metrics_file.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "mlpipe/base/strings.h"

namespace mlpipe::engine {
namespace {

using nlohmann::json;

void Flatten(const json& obj, const std::string& prefix, std::vector<MetricPoint>* out) {
  for (const auto& [k, v] : obj.items()) {
    std::string name = prefix.empty() ? k : prefix + "." + k;
    if (v.is_number()) {
      out->push_back({name, v.get<double>(), std::nullopt});
    } else if (v.is_boolean()) {
      out->push_back({name, v.get<bool>() ? 1.0 : 0.0, std::nullopt});
    } else if (v.is_object()) {
      Flatten(v, name, out);
    }
  }
}

std::optional<std::string> Slurp(const std::string& path) {
  std::ifstream f(path);
  if (!f) return std::nullopt;
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

StatusOr<std::vector<MetricPoint>> ParseMetricsText(const std::string& text) {
  std::vector<MetricPoint> out;
  if (Trim(text).empty()) return out;
  // A single JSON object of name -> number.
  json whole = json::parse(text, nullptr, false);
  if (!whole.is_discarded() && whole.is_object() && !whole.contains("name")) {
    Flatten(whole, "", &out);
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
      return InvalidArgumentError("metrics line " + std::to_string(line_no) + " is not a JSON object: " + line);
    }
    if (j.contains("name") && j.contains("value")) {
      if (!j["name"].is_string() || !j["value"].is_number()) {
        return InvalidArgumentError("metrics line " + std::to_string(line_no) +
                                    ": expected {\"name\": string, \"value\": number}");
      }
      MetricPoint p{j["name"].get<std::string>(), j["value"].get<double>(), std::nullopt};
      if (j.contains("step") && j["step"].is_number_integer()) p.step = j["step"].get<int64_t>();
      out.push_back(std::move(p));
    } else {
      Flatten(j, "", &out);  // a line of name -> number
    }
  }
  return out;
}

StatusOr<std::vector<MetricPoint>> ReadMetricsFile(const std::string& path) {
  auto text = Slurp(path);
  if (!text) return std::vector<MetricPoint>{};
  return ParseMetricsText(*text);
}

std::vector<MetricPoint> ReadMetricsOutput(const std::string& path) {
  std::vector<MetricPoint> out;
  auto text = Slurp(path);
  if (!text) return out;
  json j = json::parse(*text, nullptr, false);
  if (!j.is_discarded() && j.is_object()) Flatten(j, "", &out);
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
