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
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/serving/model_source.h"

namespace mlpipe::serving {

struct VariantConfig {
  std::string name;  // shown in X-Mlpipe-Variant and metrics
  ModelSpec spec;
  double weight = 0;  // relative share; >= 0
};

struct DeploymentConfig {
  std::string name;   // deployment name (URL /v2/deployments/NAME/stats, log folder)
  std::string model;  // the model name requests use (/v2/models/NAME)
  std::vector<VariantConfig> variants;  // at least one, weights sum > 0
  std::string sticky_header;            // "" = random draws
  std::optional<VariantConfig> shadow;  // gets a copy of each request; weight unused

  // InvalidArgument naming the key (and the file) for a malformed document:
  // no variants, duplicate names, a variant without exactly one of alias /
  // version / package, a negative weight, all weights zero.
  static StatusOr<DeploymentConfig> FromYaml(const std::string& text, const std::string& base_dir = ".");
  static StatusOr<DeploymentConfig> FromFile(const std::string& path);
  // One variant "default" with weight 1.
  static DeploymentConfig SingleVariant(const std::string& model_name, ModelSpec spec);
};

// "NAME@ALIAS" -> {"NAME", spec}, "NAME:vN" likewise, for --model.
// InvalidArgument for a malformed text.
StatusOr<std::pair<std::string, ModelSpec>> ParseModelFlag(const std::string& text);

}  // namespace mlpipe::serving
