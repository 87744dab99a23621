// Transform <-> JSON (the "transform" artifact).
#include <fmt/format.h>

#include "mlpipe/data/json_io.h"
#include "mlpipe/data/transform.h"

namespace mlpipe::data {
namespace {

using json = nlohmann::json;

const char* NumericImputeName(NumericImpute v) {
  switch (v) {
    case NumericImpute::kMedian: return "median";
    case NumericImpute::kMean: return "mean";
    case NumericImpute::kNone: return "none";
  }
  return "?";
}

}  // namespace

json Transform::ToJson() const {
  json opts = {
      {"target", options_.target},
      {"exclude", options_.exclude},
      {"task", TaskName(options_.task)},
      {"positive_class", options_.positive_class},
      {"numeric_impute", NumericImputeName(options_.numeric_impute)},
      {"categorical_impute", CategoricalImputeName(options_.categorical_impute)},
      {"standardize", options_.standardize},
      {"max_categories", options_.max_categories},
      {"feature_order", FeatureOrderName(options_.feature_order)},
  };
  json cols = json::array();
  for (const Step& s : steps_) {
    json c = {{"name", s.name},
              {"type", ColumnTypeName(s.type)},
              {"first_feature", s.first_feature},
              {"num_features", s.num_features}};
    if (s.type == ColumnType::kCategorical) {
      c["categories"] = s.categories;
      c["other_offset"] = s.other_offset;
      c["missing_offset"] = s.missing_offset;
      c["mode"] = s.mode;
    } else {
      c["fill"] = NumbersToJson(s.fill);
      c["mean"] = NumbersToJson(s.mean);
      c["scale"] = NumbersToJson(s.scale);
    }
    cols.push_back(std::move(c));
  }
  return json{{"format", "mlpipe.transform"},
              {"version", 1},
              {"options", opts},
              {"target", target_},
              {"task", TaskName(task_)},
              {"task_reason", task_reason_},
              {"class_labels", class_labels_},
              {"feature_names", feature_names_},
              {"columns", cols}};
}

StatusOr<Transform> Transform::FromJson(const json& j) {
  try {
    if (!j.is_object() || j.value("format", "") != "mlpipe.transform") {
      return InvalidArgumentError("not a transform document (format != \"mlpipe.transform\")");
    }
    if (j.at("version").get<int>() != 1) {
      return InvalidArgumentError(fmt::format("unsupported transform version {}", j.at("version").dump()));
    }
    Transform t;
    const json& o = j.at("options");
    t.options_.target = o.at("target").get<std::string>();
    t.options_.exclude = o.at("exclude").get<std::vector<std::string>>();
    ASSIGN_OR_RETURN(t.options_.task, ParseTask(o.at("task").get<std::string>()));
    t.options_.positive_class = o.at("positive_class").get<std::string>();
    std::string ni = o.at("numeric_impute").get<std::string>();
    if (ni == "median") {
      t.options_.numeric_impute = NumericImpute::kMedian;
    } else if (ni == "mean") {
      t.options_.numeric_impute = NumericImpute::kMean;
    } else if (ni == "none") {
      t.options_.numeric_impute = NumericImpute::kNone;
    } else {
      return InvalidArgumentError(fmt::format("options.numeric_impute: unknown value '{}'", ni));
    }
    auto ci = ParseCategoricalImpute(o.at("categorical_impute").get<std::string>());
    if (!ci.ok()) return ci.status().WithContext("options.categorical_impute");
    t.options_.categorical_impute = *ci;
    t.options_.standardize = o.at("standardize").get<bool>();
    t.options_.max_categories = o.at("max_categories").get<size_t>();
    // Transforms saved before feature_order existed have their features in
    // input order.
    auto order = ParseFeatureOrder(o.value("feature_order", "input"));
    if (!order.ok()) return order.status().WithContext("options.feature_order");
    t.options_.feature_order = *order;
    t.target_ = j.at("target").get<std::string>();
    ASSIGN_OR_RETURN(t.task_, ParseTask(j.at("task").get<std::string>()));
    t.task_reason_ = j.value("task_reason", "");
    t.class_labels_ = j.at("class_labels").get<std::vector<std::string>>();
    t.feature_names_ = j.at("feature_names").get<std::vector<std::string>>();
    size_t expected_first = 0;
    for (const json& c : j.at("columns")) {
      Step s;
      s.name = c.at("name").get<std::string>();
      ASSIGN_OR_RETURN(s.type, ParseColumnType(c.at("type").get<std::string>()));
      s.first_feature = c.at("first_feature").get<size_t>();
      s.num_features = c.at("num_features").get<size_t>();
      std::string where = "columns." + s.name;
      if (s.first_feature != expected_first || s.first_feature + s.num_features > t.feature_names_.size()) {
        return InvalidArgumentError(where + ": feature offsets do not match feature_names");
      }
      expected_first += s.num_features;
      if (s.type == ColumnType::kCategorical) {
        s.categories = c.at("categories").get<std::vector<std::string>>();
        s.other_offset = c.at("other_offset").get<int32_t>();
        s.missing_offset = c.at("missing_offset").get<int32_t>();
        s.mode = c.at("mode").get<std::string>();
        size_t extra = (s.other_offset >= 0 ? 1 : 0) + (s.missing_offset >= 0 ? 1 : 0);
        if (s.categories.size() + extra != s.num_features ||
            s.other_offset >= static_cast<int32_t>(s.num_features) ||
            s.missing_offset >= static_cast<int32_t>(s.num_features)) {
          return InvalidArgumentError(where + ": categories do not match num_features");
        }
      } else {
        ASSIGN_OR_RETURN(s.fill, NumbersFromJson(c.at("fill"), where + ".fill"));
        ASSIGN_OR_RETURN(s.mean, NumbersFromJson(c.at("mean"), where + ".mean"));
        ASSIGN_OR_RETURN(s.scale, NumbersFromJson(c.at("scale"), where + ".scale"));
        size_t want = s.type == ColumnType::kDate ? 4 : 1;
        if (s.num_features != want || s.fill.size() != want || s.mean.size() != want || s.scale.size() != want) {
          return InvalidArgumentError(where + ": expected " + std::to_string(want) + " fill/mean/scale values");
        }
      }
      t.inputs_.push_back(InputColumn{s.name, s.type});
      t.steps_.push_back(std::move(s));
    }
    if (expected_first != t.feature_names_.size()) {
      return InvalidArgumentError("columns do not cover feature_names");
    }
    t.BuildIndexes();
    return t;
  } catch (const json::exception& e) {
    return InvalidArgumentError(fmt::format("malformed transform document: {}", e.what()));
  }
}

Status Transform::Save(const std::string& path) const { return WriteJsonFile(ToJson(), path); }

StatusOr<Transform> Transform::Load(const std::string& path) {
  ASSIGN_OR_RETURN(json j, ReadJsonFile(path));
  auto t = FromJson(j);
  if (!t.ok()) return t.status().WithContext(path);
  return t;
}

}  // namespace mlpipe::data
