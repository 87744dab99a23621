#include "mlpipe/serving/deployment.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "mlpipe/metadata/model_names.h"

namespace mlpipe::serving {

namespace {

namespace fs = std::filesystem;

StatusOr<VariantConfig> ParseVariant(const YAML::Node& node, const std::string& model, const std::string& base_dir,
                                     const std::string& where, const char* name_key) {
  if (!node.IsMap()) return InvalidArgumentError(where + ": expected a mapping");
  VariantConfig v;
  if (!node[name_key]) return InvalidArgumentError(fmt::format("{}: missing '{}'", where, name_key));
  v.name = node[name_key].as<std::string>();
  if (v.name.empty()) return InvalidArgumentError(where + ": empty name");
  int given = 0;
  if (node["alias"]) {
    ++given;
    v.spec.model_ref = model + "@" + node["alias"].as<std::string>();
  }
  if (node["version"]) {
    ++given;
    std::string ver = node["version"].as<std::string>();
    if (!ver.empty() && ver[0] == 'v') ver = ver.substr(1);
    v.spec.model_ref = model + ":v" + ver;
  }
  if (node["package"]) {
    ++given;
    fs::path p(node["package"].as<std::string>());
    v.spec.package_path = p.is_absolute() ? p.string() : (fs::path(base_dir) / p).lexically_normal().string();
  }
  if (given != 1) {
    return InvalidArgumentError(fmt::format("{} ('{}'): give exactly one of alias, version, package", where, v.name));
  }
  if (!v.spec.model_ref.empty()) {
    if (model.empty()) return InvalidArgumentError(where + ": 'model' must be set to use alias or version");
    auto parsed = metadata::ParseModelRef(v.spec.model_ref);
    if (!parsed.ok()) return parsed.status().WithContext(where);
  }
  if (node["weight"]) {
    v.weight = node["weight"].as<double>();
    if (!(v.weight >= 0)) return InvalidArgumentError(fmt::format("{} ('{}'): weight must be >= 0", where, v.name));
  }
  return v;
}

}  // namespace

StatusOr<DeploymentConfig> DeploymentConfig::FromYaml(const std::string& text, const std::string& base_dir) {
  try {
    YAML::Node root = YAML::Load(text);
    if (!root.IsMap()) return InvalidArgumentError("deployment: expected a mapping at the top level");
    DeploymentConfig d;
    if (root["model"]) d.model = root["model"].as<std::string>();
    d.name = root["deployment"] ? root["deployment"].as<std::string>() : d.model;
    if (d.name.empty()) return InvalidArgumentError("deployment: set 'deployment' or 'model'");
    if (!d.model.empty()) RETURN_IF_ERROR(metadata::ValidateModelName(d.model).WithContext("model"));
    RETURN_IF_ERROR(metadata::ValidateModelName(d.name).WithContext("deployment"));
    if (d.model.empty()) d.model = d.name;
    YAML::Node vs = root["variants"];
    if (!vs || !vs.IsSequence() || vs.size() == 0) return InvalidArgumentError("variants: give at least one variant");
    std::set<std::string> names;
    double total = 0;
    for (size_t i = 0; i < vs.size(); ++i) {
      ASSIGN_OR_RETURN(VariantConfig v, ParseVariant(vs[i], d.model, base_dir, fmt::format("variants[{}]", i), "name"));
      if (!names.insert(v.name).second) return InvalidArgumentError("variants: duplicate name '" + v.name + "'");
      if (!vs[i]["weight"]) v.weight = 1;
      total += v.weight;
      d.variants.push_back(std::move(v));
    }
    if (!(total > 0)) return InvalidArgumentError("variants: the weights sum to 0");
    if (root["sticky_header"]) d.sticky_header = root["sticky_header"].as<std::string>();
    if (root["shadow"]) {
      ASSIGN_OR_RETURN(VariantConfig s, ParseVariant(root["shadow"], d.model, base_dir, "shadow", "variant"));
      if (names.count(s.name) > 0) return InvalidArgumentError("shadow: '" + s.name + "' is also a variant");
      d.shadow = std::move(s);
    }
    for (const auto& key : root) {
      static const std::set<std::string> kKeys = {"deployment", "model", "variants", "sticky_header", "shadow"};
      if (kKeys.count(key.first.as<std::string>()) == 0) {
        return InvalidArgumentError("deployment: unknown key '" + key.first.as<std::string>() + "'");
      }
    }
    return d;
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(std::string("deployment: ") + e.what());
  }
}

StatusOr<DeploymentConfig> DeploymentConfig::FromFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFoundError("deployment file " + path + " cannot be read");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string base = fs::path(path).parent_path().string();
  auto d = FromYaml(ss.str(), base.empty() ? "." : base);
  if (!d.ok()) return d.status().WithContext(path);
  return d;
}

DeploymentConfig DeploymentConfig::SingleVariant(const std::string& model_name, ModelSpec spec) {
  DeploymentConfig d;
  d.name = model_name;
  d.model = model_name;
  d.variants.push_back({"default", std::move(spec), 1.0});
  return d;
}

StatusOr<std::pair<std::string, ModelSpec>> ParseModelFlag(const std::string& text) {
  ASSIGN_OR_RETURN(metadata::ModelRefText ref, metadata::ParseModelRef(text));
  ModelSpec spec;
  spec.model_ref = text;
  return std::make_pair(ref.name, spec);
}

}  // namespace mlpipe::serving
