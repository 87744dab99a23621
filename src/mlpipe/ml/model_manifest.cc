#include "mlpipe/ml/model_manifest.h"

#include <fmt/format.h>

#include <cmath>
#include <set>

namespace mlpipe::ml {
namespace {

using json = nlohmann::json;

Status BadManifest(const std::string& what) { return InvalidArgumentError("manifest: " + what); }

bool IsFeatureType(const std::string& t) { return t == "numeric" || t == "categorical" || t == "date"; }

// A positive number of seconds.
Status ReadSeconds(const json& p, const char* key, double* out) {
  auto it = p.find(key);
  if (it == p.end()) return OkStatus();
  if (!it->is_number() || !(it->get<double>() > 0) || !std::isfinite(it->get<double>())) {
    return BadManifest(
        fmt::format("predictor.{} must be a positive number of seconds, got {}", key, it->dump()));
  }
  *out = it->get<double>();
  return OkStatus();
}

Status ReadCount(const json& p, const char* key, int max, int* out) {
  auto it = p.find(key);
  if (it == p.end()) return OkStatus();
  if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > max) {
    return BadManifest(
        fmt::format("predictor.{} must be a whole number from 1 to {}, got {}", key, max, it->dump()));
  }
  *out = it->get<int>();
  return OkStatus();
}

Status ParseCommand(const json& p, CommandSpec* c) {
  static const std::set<std::string> kKeys = {"command",         "workers",        "timeout",
                                              "startup_timeout", "max_batch_rows", "env"};
  for (const auto& [k, v] : p.items()) {
    if (!kKeys.count(k)) {
      return BadManifest(
          fmt::format("unknown key predictor.{} (known: command, workers, timeout, startup_timeout, "
                      "max_batch_rows, env)",
                      k));
    }
  }
  auto cmd = p.find("command");
  if (cmd == p.end() || !cmd->is_array() || cmd->empty()) {
    return BadManifest(
        R"(predictor.command must be a non-empty list of arguments, like ["python3", "predict.py"])");
  }
  for (const auto& a : *cmd) {
    if (!a.is_string() || a.get<std::string>().empty()) {
      return BadManifest(
          fmt::format("predictor.command holds {}: every argument must be a non-empty string", a.dump()));
    }
    c->argv.push_back(a.get<std::string>());
  }
  RETURN_IF_ERROR(ReadCount(p, "workers", 64, &c->workers));
  RETURN_IF_ERROR(ReadCount(p, "max_batch_rows", 1'000'000, &c->max_batch_rows));
  RETURN_IF_ERROR(ReadSeconds(p, "timeout", &c->timeout_s));
  RETURN_IF_ERROR(ReadSeconds(p, "startup_timeout", &c->startup_timeout_s));
  if (auto env = p.find("env"); env != p.end()) {
    if (!env->is_object()) return BadManifest("predictor.env must be an object of NAME: \"value\"");
    for (const auto& [k, v] : env->items()) {
      if (k.empty() || k.find('=') != std::string::npos || !v.is_string()) {
        return BadManifest(fmt::format("predictor.env: '{}' must be a variable name with a string value", k));
      }
      c->env[k] = v.get<std::string>();
    }
  }
  return OkStatus();
}

// The checks a hand-written (command) manifest needs; the built-in ones are
// written by SaveModelPackage and checked against their transform at load.
Status CheckCommandManifest(const ModelManifest& m) {
  if (m.target.empty())
    return BadManifest("'target' must name the label column of the data the model is evaluated on");
  if (m.features.empty()) return BadManifest("'features' must list the model's input columns (at least one)");
  const size_t k = m.class_labels.size();
  if (m.task == Task::kRegression && k != 0)
    return BadManifest("a regression model has no class_labels (give [])");
  if (m.task == Task::kBinary && k != 2) {
    return BadManifest(
        fmt::format("a binary model needs exactly 2 class_labels (the positive class second), got {}", k));
  }
  if (m.task == Task::kMulticlass && k < 2)
    return BadManifest("a multiclass model needs at least 2 class_labels");
  if (std::set<std::string>(m.class_labels.begin(), m.class_labels.end()).size() != k) {
    return BadManifest("class_labels must be distinct");
  }
  if (m.task == Task::kBinary && m.positive_class != m.class_labels[1]) {
    return BadManifest(
        fmt::format("positive_class '{}' must be the second of class_labels ({}, {}): probabilities are "
                    "given in class_labels order",
                    m.positive_class, m.class_labels[0], m.class_labels[1]));
  }
  return OkStatus();
}

}  // namespace

std::string MinimalManifestExample() {
  return R"({"task": "binary", "target": "label", "features": [{"name": "x", "type": "numeric"}], )"
         R"("class_labels": ["no", "yes"], "predictor": {"command": ["python3", "predict.py"]}})";
}

std::string MissingManifestHint() {
  return fmt::format(
      "add a {} that says what the model predicts and how, at least: {} (docs/model-packages.md)",
      kManifestFile, MinimalManifestExample());
}

json ModelManifest::ToJson() const {
  json features_json = json::array();
  for (const FeatureInfo& f : features) features_json.push_back({{"name", f.name}, {"type", f.type}});
  json j = {
      {"format_version", format_version}, {"task", TaskName(task)},       {"target", target},
      {"features", features_json},        {"class_labels", class_labels}, {"positive_class", positive_class},
      {"created_by", created_by},         {"training", training}};
  if (is_command()) {
    json p = {{"command", command.argv},
              {"workers", command.workers},
              {"timeout", command.timeout_s},
              {"startup_timeout", command.startup_timeout_s},
              {"max_batch_rows", command.max_batch_rows}};
    if (!command.env.empty()) p["env"] = command.env;
    j["predictor"] = std::move(p);
  } else {
    j["predictor"] = predictor;
    j["model_file"] = model_file;
    j["transform_file"] = transform_file;
  }
  j["schema_file"] = schema_file;
  j["stats_file"] = stats_file;
  return j;
}

StatusOr<ModelManifest> ModelManifest::FromJson(const json& j) {
  if (!j.is_object())
    return BadManifest("the file must hold a JSON object; e.g. " + MinimalManifestExample());
  ModelManifest m;
  const char* key = "format_version";
  try {
    if (j.contains(key)) {
      m.format_version = j.at(key).get<int>();
      if (m.format_version != kModelPackageFormatVersion) {
        return InvalidArgumentError(
            fmt::format("model package format_version {} is not supported (expected {})", m.format_version,
                        kModelPackageFormatVersion));
      }
    }
    key = "task";
    if (!j.contains(key)) return BadManifest("'task' is missing: binary, multiclass or regression");
    auto task = ParseTask(j.at(key).get<std::string>());
    if (!task) return BadManifest("'task' must be binary, multiclass or regression");
    m.task = *task;
    key = "target";
    m.target = j.at(key).get<std::string>();
    key = "features";
    for (const auto& f : j.at(key)) {
      FeatureInfo info{f.at("name").get<std::string>(), f.value("type", "")};
      if (info.name.empty()) return BadManifest("a feature has an empty name");
      if (!IsFeatureType(info.type)) {
        return BadManifest(fmt::format("feature '{}' has type '{}': it must be numeric, categorical or date",
                                       info.name, info.type));
      }
      for (const FeatureInfo& other : m.features) {
        if (other.name == info.name)
          return BadManifest(fmt::format("feature '{}' is listed twice", info.name));
      }
      m.features.push_back(std::move(info));
    }
    key = "class_labels";
    m.class_labels = j.value(key, std::vector<std::string>());
    key = "positive_class";
    m.positive_class = j.value(key, "");
    key = "predictor";
    if (!j.contains(key)) {
      return BadManifest(
          R"('predictor' is missing: "xgboost", "linear" or {"command": ["python3", "predict.py"]})");
    }
    const json& p = j.at(key);
    if (p.is_object()) {
      m.predictor = kCommandPredictor;
      RETURN_IF_ERROR(ParseCommand(p, &m.command));
    } else {
      m.predictor = p.get<std::string>();
      if (m.predictor != kXgboostPredictor && m.predictor != kLinearPredictor) {
        return BadManifest(
            fmt::format(R"(unknown predictor '{}' (built-ins: "xgboost", "linear"; or {{"command": [...]}}))",
                        m.predictor));
      }
      key = "class_labels";
      m.class_labels = j.at(key).get<std::vector<std::string>>();
      key = "model_file";
      m.model_file = j.at(key).get<std::string>();
      key = "transform_file";
      m.transform_file = j.at(key).get<std::string>();
    }
    key = "schema_file";
    m.schema_file = j.value(key, "");
    key = "stats_file";
    m.stats_file = j.value(key, "");
    key = "created_by";
    m.created_by = j.value(key, "");
    key = "training";
    m.training = j.value(key, json::object());
  } catch (const json::exception& e) {
    return BadManifest(fmt::format("bad or missing '{}': {}", key, e.what()));
  }
  if (m.is_command()) {
    if (m.task == Task::kBinary && m.positive_class.empty() && m.class_labels.size() == 2) {
      m.positive_class = m.class_labels[1];
    }
    RETURN_IF_ERROR(CheckCommandManifest(m));
  }
  return m;
}

}  // namespace mlpipe::ml
