// Deployment: which variants of a registered model receive what share of the
// traffic, sticky assignment, and shadow traffic. Read from a YAML file:
//
//   deployment: churn                 # the deployment's name (default: model)
//   model: churn                      # registered model name
//   variants:
//     - {name: champion, alias: champion, weight: 90}
//     - {name: challenger, version: 4, weight: 10}
//     - {name: local, package: ./pkg, weight: 0}    # a package folder (relative
//                                                   # to the file's folder)
//   sticky_header: X-User-Id          # optional: same key -> same variant
//   shadow: {variant: challenger2, alias: staging}  # optional
//
// Without a file, `mlpipe serve --model NAME@ALIAS` / `--package PATH` is a
// deployment with one variant called "default" (SingleVariant).
//
// The stored form (a deployment's revision in the metadata store) is JSON
// with the file's keys: ToJson / FromJson, a package path absolute.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/serving/model_source.h"

namespace mlpipe::serving {

struct VariantConfig {
  std::string name;  // shown in X-Mlpipe-Variant and metrics
  ModelSpec spec;
  double weight = 0;  // relative share; >= 0
};

struct DeploymentMarks;

struct DeploymentConfig {
  std::string name;                     // deployment name (URL /v2/deployments/NAME/stats, log folder)
  std::string model;                    // the model name requests use (/v2/models/NAME)
  std::vector<VariantConfig> variants;  // at least one, weights sum > 0
  std::string sticky_header;            // "" = random draws
  std::optional<VariantConfig> shadow;  // gets a copy of each request; weight unused

  // InvalidArgument for a malformed document, every problem on a line of
  // its own as "FILE:LINE:COLUMN: error: what\n  hint: how to fix it": a
  // YAML syntax error, an unknown key (did you mean), no variants, duplicate
  // variant names, a variant without exactly one of alias / version /
  // package, a weight that is not a number >= 0, weights summing to 0.
  // `file` names the document in messages; `marks`, when given, receives
  // where its keys are (for checks made later against the registry).
  static StatusOr<DeploymentConfig> FromYaml(const std::string& text, const std::string& base_dir = ".",
                                             const std::string& file = "deployment",
                                             DeploymentMarks* marks = nullptr);
  // The file form: packages relative to the file's folder, made absolute.
  // NotFound if the file cannot be read.
  static StatusOr<DeploymentConfig> FromFile(const std::string& path, DeploymentMarks* marks = nullptr);
  // One variant "default" with weight 1.
  static DeploymentConfig SingleVariant(const std::string& model_name, ModelSpec spec);

  // {"deployment", "model", "variants": [{"name", "alias"|"version"|"package",
  // "weight"}], "sticky_header", "shadow"?: {"variant", ...}}: a variant
  // of the newest version is {"alias": "latest"}. Canonical: equal configs
  // give equal text.
  nlohmann::json ToJson() const;
  // The inverse of ToJson, checked as FromYaml checks a file (messages name
  // the key path: "variants[1].weight").
  static StatusOr<DeploymentConfig> FromJson(const nlohmann::json& j);
};

// Where the keys of a deployment file are: "model", "deployment",
// "variants", "variants[1]", "variants[1].version", "shadow.alias"...
struct DeploymentMarks {
  std::string file;
  std::map<std::string, std::pair<int, int>, std::less<>> at;  // 1-based line, column
  // "FILE:LINE:COLUMN: error: message\n  hint: hint" at `key` (or its
  // nearest recorded parent; the file alone if none).
  std::string Error(std::string_view key, std::string_view message, std::string_view hint = "") const;
};

// "NAME@ALIAS" -> {"NAME", spec}, "NAME:vN" likewise, for --model.
// InvalidArgument for a malformed text.
StatusOr<std::pair<std::string, ModelSpec>> ParseModelFlag(const std::string& text);

}  // namespace mlpipe::serving
