#include "mlpipe/serving/deployment.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "mlpipe/base/strings.h"
#include "mlpipe/base/yaml_nesting.h"
#include "mlpipe/metadata/model_names.h"

namespace mlpipe::serving {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::vector<std::string> kTopKeys = {"deployment", "model", "variants", "sticky_header", "shadow"};
const std::vector<std::string> kVariantKeys = {"name", "alias", "version", "package", "weight"};
const std::vector<std::string> kShadowKeys = {"variant", "alias", "version", "package", "weight"};

// Collects every problem of one document. With marks (a YAML file) a problem
// is placed at FILE:LINE:COLUMN; without (JSON), at its key path.
class Problems {
 public:
  explicit Problems(const DeploymentMarks* marks) : marks_(marks) {}

  void Error(std::string_view path, std::string_view message, std::string_view hint = "") {
    if (marks_ != nullptr) {
      lines_.push_back(marks_->Error(path, message, hint));
      return;
    }
    std::string line = fmt::format("{}: error: {}", path.empty() ? "deployment" : path, message);
    if (!hint.empty()) line += fmt::format("\n  hint: {}", hint);
    lines_.push_back(std::move(line));
  }
  // "line 4" (a file) or the path itself, for hints that point elsewhere.
  std::string Locate(const std::string& path) const {
    if (marks_ != nullptr) {
      auto it = marks_->at.find(path);
      if (it != marks_->at.end()) return fmt::format("line {}", it->second.first);
    }
    return path;
  }
  bool empty() const { return lines_.empty(); }
  Status ToStatus() const { return InvalidArgumentError(Join(lines_, "\n")); }

 private:
  const DeploymentMarks* marks_;
  std::vector<std::string> lines_;
};

std::string Sub(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
}

// Reports keys of `obj` not in `allowed`, with a did-you-mean hint.
void CheckKeys(const json& obj, const std::string& path, const std::vector<std::string>& allowed,
               std::string_view what, Problems& problems) {
  for (const auto& [key, value] : obj.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string close = ClosestMatch(key, allowed);
    problems.Error(Sub(path, key), fmt::format("unknown key '{}' in {}", key, what),
                   close.empty() ? fmt::format("the keys are: {}", Join(allowed, ", "))
                                 : fmt::format("did you mean '{}'?", close));
  }
}

// A text value (a YAML scalar arrives as text; a JSON number is shown as written).
std::optional<std::string> Text(const json& j, const std::string& path, Problems& problems) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_number()) return j.dump();
  problems.Error(path, fmt::format("'{}' must be a text", path));
  return std::nullopt;
}

// A number value: a JSON number, or a text that is one (a YAML scalar).
std::optional<double> Number(const json& j, const std::string& path, Problems& problems) {
  if (j.is_number()) return j.get<double>();
  if (j.is_string()) {
    const std::string& text = j.get_ref<const std::string&>();
    try {
      size_t used = 0;
      double v = std::stod(text, &used);
      if (used == text.size()) return v;
    } catch (const std::exception&) {
      // Reported below.
    }
    problems.Error(path, fmt::format("'{}' must be a number, got '{}'", path, text));
    return std::nullopt;
  }
  problems.Error(path, fmt::format("'{}' must be a number", path));
  return std::nullopt;
}

std::string KindName(const json& j) {
  if (j.is_object()) return "a mapping";
  if (j.is_array()) return "a list";
  if (j.is_null()) return "empty";
  return "a single value";
}

// One variant (or the shadow, named by `name_key`); `*valid` false once a
// problem is reported. nullopt when it has no name to check duplicates by.
std::optional<VariantConfig> ReadVariant(const json& j, const std::string& path, const std::string& model,
                                         const std::string& base_dir, const char* name_key,
                                         const std::vector<std::string>& keys, Problems& problems,
                                         bool* valid) {
  *valid = false;
  if (!j.is_object()) {
    problems.Error(path, fmt::format("'{}' must be a mapping, got {}", path, KindName(j)),
                   fmt::format("write {{{}: champion, alias: champion, weight: 90}}", name_key));
    return std::nullopt;
  }
  bool ok = true;
  CheckKeys(j, path, keys, fmt::format("'{}'", path), problems);
  VariantConfig v;
  if (!j.contains(name_key)) {
    problems.Error(
        path, fmt::format("'{}' has no '{}'", path, name_key),
        fmt::format("give it a {}: it names the variant in metrics and X-Mlpipe-Variant", name_key));
    ok = false;
  } else if (auto name = Text(j[name_key], Sub(path, name_key), problems)) {
    v.name = *name;
    if (v.name.empty()) {
      problems.Error(Sub(path, name_key), fmt::format("'{}' is empty", Sub(path, name_key)));
      ok = false;
    }
  } else {
    ok = false;
  }
  int given = 0;
  if (j.contains("alias")) {
    ++given;
    if (auto alias = Text(j["alias"], Sub(path, "alias"), problems)) {
      v.spec.model_ref = fmt::format("{}@{}", model, *alias);
    } else {
      ok = false;
    }
  }
  if (j.contains("version")) {
    ++given;
    std::optional<std::string> text = j["version"].is_number_integer()
                                          ? std::optional(j["version"].dump())
                                          : Text(j["version"], Sub(path, "version"), problems);
    if (text && !text->empty() && (*text)[0] == 'v') text = text->substr(1);
    if (text) v.spec.model_ref = fmt::format("{}:v{}", model, *text);
    ok = ok && text.has_value();
  }
  if (j.contains("package")) {
    ++given;
    if (auto package = Text(j["package"], Sub(path, "package"), problems); package && !package->empty()) {
      fs::path p(*package);
      v.spec.package_path = p.is_absolute() ? p.lexically_normal().string()
                                            : (fs::path(base_dir) / p).lexically_normal().string();
    } else {
      if (package) problems.Error(Sub(path, "package"), fmt::format("'{}' is empty", Sub(path, "package")));
      ok = false;
    }
  }
  if (given != 1) {
    problems.Error(path,
                   fmt::format("'{}' gives {} of alias, version, package: give exactly one", path, given),
                   "alias: champion (follows the alias), version: 4 (pinned), or package: ./pkg (a folder)");
    ok = false;
  } else if (!v.spec.model_ref.empty() && ok) {
    auto parsed = metadata::ParseModelRef(v.spec.model_ref);
    if (!parsed.ok()) {
      problems.Error(Sub(path, j.contains("alias") ? "alias" : "version"), parsed.status().message());
      ok = false;
    }
  }
  if (j.contains("weight")) {
    if (auto w = Number(j["weight"], Sub(path, "weight"), problems)) {
      if (!(*w >= 0) || !std::isfinite(*w)) {
        problems.Error(Sub(path, "weight"),
                       fmt::format("'{}' must be a number >= 0, got {}", Sub(path, "weight"), *w),
                       "a weight is a relative share of the traffic; 0 serves none");
        ok = false;
      }
      v.weight = *w;
    } else {
      ok = false;
    }
  } else {
    v.weight = 1;
  }
  *valid = ok;
  if (v.name.empty()) return std::nullopt;
  return v;
}

// The checks and conversion shared by the file and the stored form.
StatusOr<DeploymentConfig> FromTree(const json& root, const std::string& base_dir,
                                    const DeploymentMarks* marks) {
  Problems problems(marks);
  if (!root.is_object()) {
    problems.Error("", fmt::format("a deployment is a mapping of keys, got {}", KindName(root)),
                   "start with 'model: NAME' and a 'variants:' list");
    return problems.ToStatus();
  }
  CheckKeys(root, "", kTopKeys, "the deployment", problems);
  DeploymentConfig d;
  if (root.contains("model")) {
    if (auto model = Text(root["model"], "model", problems)) {
      d.model = *model;
      if (Status s = metadata::ValidateModelName(d.model); !s.ok()) problems.Error("model", s.message());
    }
  }
  if (root.contains("deployment")) {
    if (auto name = Text(root["deployment"], "deployment", problems)) {
      d.name = *name;
      if (Status s = metadata::ValidateModelName(d.name); !s.ok()) problems.Error("deployment", s.message());
    }
  }
  if (d.name.empty()) d.name = d.model;
  if (d.model.empty()) d.model = d.name;
  if (d.name.empty()) {
    problems.Error("", "the deployment names no model", "set 'model: NAME' (the registered model it serves)");
  }
  const json* variants = root.contains("variants") ? &root["variants"] : nullptr;
  if (variants == nullptr || !variants->is_array() || variants->empty()) {
    problems.Error(variants == nullptr ? "" : "variants", "'variants' must list at least one variant",
                   "variants:\n    - {name: champion, alias: champion, weight: 100}");
  } else {
    std::map<std::string, std::string> first_path;  // variant name -> its path
    double total = 0;
    bool all_read = true;
    for (size_t i = 0; i < variants->size(); ++i) {
      std::string path = fmt::format("variants[{}]", i);
      bool valid = false;
      auto v = ReadVariant((*variants)[i], path, d.model, base_dir, "name", kVariantKeys, problems, &valid);
      all_read = all_read && valid;
      if (!v) continue;
      auto [it, inserted] = first_path.emplace(v->name, path);
      if (!inserted) {
        problems.Error(
            Sub(path, "name"), fmt::format("duplicate variant name '{}'", v->name),
            fmt::format("the first is at {}; variant names must differ", problems.Locate(it->second)));
      }
      total += v->weight;
      d.variants.push_back(std::move(*v));
    }
    if (all_read && !(total > 0)) {
      problems.Error("variants", "the variant weights sum to 0: the deployment would serve no traffic",
                     "give at least one variant a weight > 0");
    }
    if (root.contains("shadow")) {
      bool valid = false;
      auto s =
          ReadVariant(root["shadow"], "shadow", d.model, base_dir, "variant", kShadowKeys, problems, &valid);
      if (s && first_path.count(s->name) > 0) {
        problems.Error("shadow.variant", fmt::format("shadow '{}' is also a variant", s->name),
                       "a shadow gets a copy of the traffic: give it a name of its own");
      } else if (s) {
        s->weight = 0;
        d.shadow = std::move(*s);
      }
    }
  }
  if (root.contains("sticky_header")) {
    if (auto header = Text(root["sticky_header"], "sticky_header", problems)) d.sticky_header = *header;
  }
  if (!problems.empty()) return problems.ToStatus();
  return d;
}

std::pair<int, int> Position(const YAML::Mark& mark) {
  if (mark.is_null()) return {0, 0};
  return {mark.line + 1, mark.column + 1};
}

// The YAML tree as JSON (scalars as text), recording where each key path is.
json YamlToTree(const YAML::Node& node, const std::string& path, DeploymentMarks& marks,
                std::vector<std::string>& duplicates) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return node.Scalar();
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (size_t i = 0; i < node.size(); ++i) {
        std::string item = fmt::format("{}[{}]", path, i);
        marks.at.emplace(item, Position(node[i].Mark()));
        out.push_back(YamlToTree(node[i], item, marks, duplicates));
      }
      return out;
    }
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& pair : node) {
        std::string key = pair.first.IsScalar() ? pair.first.Scalar() : "?";
        std::string sub = Sub(path, key);
        if (out.contains(key)) {
          // Placed at the second occurrence; the hint names the first.
          DeploymentMarks here{marks.file, {{sub, Position(pair.first.Mark())}}};
          duplicates.push_back(
              here.Error(sub, fmt::format("duplicate key '{}'", key),
                         fmt::format("the first is at line {}; give each key once", marks.at[sub].first)));
          continue;
        }
        marks.at.emplace(sub, Position(pair.first.Mark()));
        out[key] = YamlToTree(pair.second, sub, marks, duplicates);
      }
      return out;
    }
    default:
      return nullptr;
  }
}

json VariantToJson(const VariantConfig& v, const char* name_key) {
  json j = {{name_key, v.name}};
  if (!v.spec.package_path.empty()) {
    j["package"] = v.spec.package_path;
    return j;
  }
  auto ref = metadata::ParseModelRef(v.spec.model_ref);
  if (ref.ok() && ref->version) {
    j["version"] = *ref->version;
  } else {
    j["alias"] = ref.ok() && ref->alias ? *ref->alias : std::string(metadata::kLatestAlias);
  }
  return j;
}

}  // namespace

std::string DeploymentMarks::Error(std::string_view key, std::string_view message,
                                   std::string_view hint) const {
  std::string place = file;
  for (std::string k(key);;) {
    if (auto it = at.find(k); it != at.end() && it->second.first > 0) {
      place = fmt::format("{}:{}:{}", file, it->second.first, it->second.second);
      break;
    }
    size_t cut = k.find_last_of(".[");
    if (cut == std::string::npos) {
      if (auto root = at.find(""); root != at.end() && root->second.first > 0) {
        place = fmt::format("{}:{}:{}", file, root->second.first, root->second.second);
      }
      break;
    }
    k.resize(cut);
  }
  std::string out = fmt::format("{}: error: {}", place, message);
  if (!hint.empty()) out += fmt::format("\n  hint: {}", hint);
  return out;
}

StatusOr<DeploymentConfig> DeploymentConfig::FromYaml(const std::string& text, const std::string& base_dir,
                                                      const std::string& file, DeploymentMarks* marks) {
  DeploymentMarks local;
  DeploymentMarks& m = marks != nullptr ? *marks : local;
  m.file = file;
  m.at.clear();
  // yaml-cpp recurses once per level: a deeply nested file is refused first.
  if (auto deep = CheckYamlNesting(text)) {
    return InvalidArgumentError(
        fmt::format("{}:{}:{}: error: not valid YAML: {}", file, deep->line, deep->column, deep->message));
  }
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    auto [line, column] = Position(e.mark);
    return InvalidArgumentError(
        fmt::format("{}:{}:{}: error: not valid YAML: {}", file, line, column, e.msg));
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(fmt::format("{}: error: not valid YAML: {}", file, e.what()));
  }
  m.at.emplace("", root.Mark().is_null() ? std::pair{1, 1} : Position(root.Mark()));
  std::vector<std::string> duplicates;
  json tree = YamlToTree(root, "", m, duplicates);
  auto d = FromTree(tree, base_dir, &m);
  if (duplicates.empty()) return d;
  if (!d.ok()) duplicates.push_back(d.status().message());
  return InvalidArgumentError(Join(duplicates, "\n"));
}

StatusOr<DeploymentConfig> DeploymentConfig::FromFile(const std::string& path, DeploymentMarks* marks) {
  std::ifstream in(path);
  if (!in) return NotFoundError("deployment file " + path + " cannot be read");
  std::stringstream ss;
  ss << in.rdbuf();
  std::error_code ec;
  fs::path base = fs::absolute(fs::path(path), ec).parent_path();
  if (ec) base = fs::path(path).parent_path();
  return FromYaml(ss.str(), base.empty() ? "." : base.string(), path, marks);
}

DeploymentConfig DeploymentConfig::SingleVariant(const std::string& model_name, ModelSpec spec) {
  DeploymentConfig d;
  d.name = model_name;
  d.model = model_name;
  d.variants.push_back({"default", std::move(spec), 1.0});
  return d;
}

json DeploymentConfig::ToJson() const {
  json variants_json = json::array();
  for (const auto& v : variants) {
    json j = VariantToJson(v, "name");
    j["weight"] = v.weight;
    variants_json.push_back(std::move(j));
  }
  json out = {{"deployment", name},
              {"model", model},
              {"variants", std::move(variants_json)},
              {"sticky_header", sticky_header}};
  if (shadow) out["shadow"] = VariantToJson(*shadow, "variant");
  return out;
}

StatusOr<DeploymentConfig> DeploymentConfig::FromJson(const json& j) {
  // Stored packages are absolute; a relative one (hand-written) is taken
  // from the current folder.
  return FromTree(j, ".", nullptr);
}

StatusOr<std::pair<std::string, ModelSpec>> ParseModelFlag(const std::string& text) {
  ASSIGN_OR_RETURN(metadata::ModelRefText ref, metadata::ParseModelRef(text));
  ModelSpec spec;
  spec.model_ref = text;
  return std::make_pair(ref.name, spec);
}

}  // namespace mlpipe::serving
