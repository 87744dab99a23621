// TableStats <-> JSON (the "reference statistics" artifact).
#include <fmt/format.h>

#include "mlpipe/data/json_io.h"
#include "mlpipe/data/stats.h"

namespace mlpipe::data {

using json = nlohmann::json;

json StatsToJson(const TableStats& stats) {
  json cols = json::array();
  for (const ColumnStats& c : stats.columns) {
    json j = {{"name", c.name},
              {"type", ColumnTypeName(c.type)},
              {"count", c.count},
              {"missing", c.missing},
              {"missing_rate", c.missing_rate}};
    if (c.type == ColumnType::kCategorical) {
      j["distinct"] = c.categorical.distinct;
      json top = json::array();
      for (const auto& [v, n] : c.categorical.top) top.push_back(json::array({v, n}));
      j["top"] = std::move(top);
      j["other_count"] = c.categorical.other_count;
    } else {
      const NumericStats& n = c.numeric;
      j["mean"] = NumberToJson(n.mean);
      j["std"] = NumberToJson(n.std);
      j["min"] = NumberToJson(n.min);
      j["max"] = NumberToJson(n.max);
      json q = json::object();
      for (size_t i = 0; i < kQuantileProbs.size(); ++i) q[kQuantileNames[i]] = NumberToJson(n.quantiles[i]);
      j["quantiles"] = std::move(q);
      j["histogram"] = {{"edges", NumbersToJson(n.histogram.edges)}, {"counts", n.histogram.counts}};
      j["cdf"] = {{"discrete", n.cdf.discrete},
                  {"values", NumbersToJson(n.cdf.values)},
                  {"fractions", NumbersToJson(n.cdf.fractions)}};
    }
    cols.push_back(std::move(j));
  }
  return json{{"format", "mlpipe.stats"}, {"version", 1}, {"num_rows", stats.num_rows}, {"columns", cols}};
}

StatusOr<TableStats> StatsFromJson(const json& j) {
  try {
    if (!j.is_object() || j.value("format", "") != "mlpipe.stats") {
      return InvalidArgumentError("not a statistics document (format != \"mlpipe.stats\")");
    }
    TableStats t;
    t.num_rows = j.at("num_rows").get<uint64_t>();
    for (const json& c : j.at("columns")) {
      ColumnStats s;
      s.name = c.at("name").get<std::string>();
      std::string where = "columns." + s.name;
      ASSIGN_OR_RETURN(s.type, ParseColumnType(c.at("type").get<std::string>()));
      s.count = c.at("count").get<uint64_t>();
      s.missing = c.at("missing").get<uint64_t>();
      s.missing_rate = c.at("missing_rate").get<double>();
      if (s.type == ColumnType::kCategorical) {
        s.categorical.distinct = c.at("distinct").get<uint64_t>();
        for (const json& e : c.at("top")) {
          s.categorical.top.emplace_back(e.at(0).get<std::string>(), e.at(1).get<uint64_t>());
        }
        s.categorical.other_count = c.at("other_count").get<uint64_t>();
      } else {
        NumericStats& n = s.numeric;
        ASSIGN_OR_RETURN(n.mean, NumberFromJson(c.at("mean"), where + ".mean"));
        ASSIGN_OR_RETURN(n.std, NumberFromJson(c.at("std"), where + ".std"));
        ASSIGN_OR_RETURN(n.min, NumberFromJson(c.at("min"), where + ".min"));
        ASSIGN_OR_RETURN(n.max, NumberFromJson(c.at("max"), where + ".max"));
        for (size_t i = 0; i < kQuantileProbs.size(); ++i) {
          ASSIGN_OR_RETURN(n.quantiles[i], NumberFromJson(c.at("quantiles").at(kQuantileNames[i]),
                                                          where + ".quantiles"));
        }
        ASSIGN_OR_RETURN(n.histogram.edges, NumbersFromJson(c.at("histogram").at("edges"), where + ".histogram.edges"));
        n.histogram.counts = c.at("histogram").at("counts").get<std::vector<uint64_t>>();
        if (c.contains("cdf")) {
          const json& cdf = c.at("cdf");
          n.cdf.discrete = cdf.at("discrete").get<bool>();
          ASSIGN_OR_RETURN(n.cdf.values, NumbersFromJson(cdf.at("values"), where + ".cdf.values"));
          ASSIGN_OR_RETURN(n.cdf.fractions, NumbersFromJson(cdf.at("fractions"), where + ".cdf.fractions"));
          if (n.cdf.values.size() != n.cdf.fractions.size()) {
            return InvalidArgumentError(where + ".cdf: values and fractions differ in length");
          }
        }
        if (!n.histogram.counts.empty() && n.histogram.edges.size() != n.histogram.counts.size() + 1) {
          return InvalidArgumentError(where + ".histogram: need one more edge than counts");
        }
      }
      t.columns.push_back(std::move(s));
    }
    return t;
  } catch (const json::exception& e) {
    return InvalidArgumentError(fmt::format("malformed statistics document: {}", e.what()));
  }
}

Status SaveStats(const TableStats& stats, const std::string& path) {
  return WriteJsonFile(StatsToJson(stats), path);
}

StatusOr<TableStats> LoadStats(const std::string& path) {
  ASSIGN_OR_RETURN(json j, ReadJsonFile(path));
  auto s = StatsFromJson(j);
  if (!s.ok()) return s.status().WithContext(path);
  return s;
}

}  // namespace mlpipe::data
