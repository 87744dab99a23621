// The model package's manifest (manifest.json): what the package predicts
// (task, target, input features, class labels) and how (a built-in predictor
// over files of the package, or a command the package brings). The format is
// documented in docs/model-packages.md.
//
//   {"format_version": 1,                  optional for command packages (1)
//    "task": "binary" | "multiclass" | "regression",
//    "target": "Class",                    the label column of test data
//    "features": [{"name": "x", "type": "numeric" | "categorical" | "date"}],
//    "class_labels": ["good", "bad"],      classification; [] for regression
//    "positive_class": "bad",              binary: class_labels[1] (default)
//    "predictor": "xgboost" | "linear"     built-in, over model_file and
//       | {"command": ["python3", "predict.py"],   transform_file; or a
//          "workers": 1, "timeout": 30,            worker speaking the line
//          "startup_timeout": 60,                  protocol (docs/model-packages.md)
//          "max_batch_rows": 1024, "env": {"K": "V"}},
//    "model_file", "transform_file",       built-in predictors only
//    "schema_file", "stats_file",          optional: data::Schema / TableStats
//    "created_by", "training": {...}}      free-form
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/ml/task.h"

namespace mlpipe::ml {

inline constexpr const char* kManifestFile = "manifest.json";
// The model file a package is written with, by predictor. XGBoost's UBJSON
// loads about 8x faster than its text JSON (1.8 vs 14 ms for 100 trees of
// depth 6): a hot swap's load competes with requests for the CPU.
inline constexpr const char* kXgboostModelFile = "model.ubj";
inline constexpr const char* kLinearModelFile = "model.json";
inline constexpr int kModelPackageFormatVersion = 1;

// The predictor kinds (ModelManifest::predictor).
inline constexpr const char* kXgboostPredictor = "xgboost";
inline constexpr const char* kLinearPredictor = "linear";
inline constexpr const char* kCommandPredictor = "command";

struct FeatureInfo {
  std::string name;
  std::string type;  // "numeric", "categorical", "date"
};

// A `predictor: {command: [...]}`: worker processes started in the package
// folder (ml/command_predictor.h).
struct CommandSpec {
  std::vector<std::string> argv;           // argv[0] is looked up in PATH when it has no '/'
  int workers = 1;                         // processes in the pool, 1..64
  double timeout_s = 30;                   // per request; a worker that takes longer is killed
  double startup_timeout_s = 60;           // from start to the {"ready": true} line
  int max_batch_rows = 1024;               // rows per request to a worker
  std::map<std::string, std::string> env;  // added to the inherited environment
};

struct ModelManifest {
  int format_version = kModelPackageFormatVersion;
  Task task = Task::kRegression;
  std::string target;
  std::vector<FeatureInfo> features;
  std::vector<std::string> class_labels;
  std::string positive_class;                 // binary: class_labels[1]; else ""
  std::string predictor;                      // kXgboostPredictor, kLinearPredictor or kCommandPredictor
  CommandSpec command;                        // when predictor is kCommandPredictor
  std::string model_file = kLinearModelFile;  // built-ins: kXgboostModelFile for XGBoost
  std::string transform_file = "transform.json";
  std::string schema_file;  // "" when absent
  std::string stats_file;   // "" when absent
  std::string created_by;
  nlohmann::json training = nlohmann::json::object();

  bool is_command() const { return predictor == kCommandPredictor; }
  nlohmann::json ToJson() const;
  // InvalidArgument naming the bad key and saying what it must be.
  static StatusOr<ModelManifest> FromJson(const nlohmann::json& j);
};

// What to write in a manifest.json, for the messages that ask for one.
std::string MinimalManifestExample();
// "add a manifest.json that says ..., at least: {...} (docs/model-packages.md)".
std::string MissingManifestHint();

}  // namespace mlpipe::ml
