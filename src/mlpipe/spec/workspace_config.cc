#include "mlpipe/spec/workspace_config.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "mlpipe/spec/pipeline.h"
#include "mlpipe/spec/yaml_tree.h"
#include "mlpipe/spec/yaml_util.h"

namespace mlpipe::spec {
namespace {

using internal::Diagnostics;
using internal::FindEntry;
using internal::MapEntry;
using internal::YamlDocument;
using internal::YamlNode;

const std::vector<std::string> kConfigTopKeys = {"executor", "slurm", "metadata", "objects"};
const std::vector<std::string> kConfigSlurmKeys = {"partition", "account", "group", "staging", "node_dir",
                                                    "node_mlpipe"};
const std::vector<std::string> kConfigObjectsKeys = {"s3"};
const std::vector<std::string> kConfigS3Keys = {"endpoint", "bucket", "prefix", "region"};

bool IsHttpUrl(std::string_view text) { return text.starts_with("http://") || text.starts_with("https://"); }

std::string TrimSlashes(std::string text) {
  while (!text.empty() && text.front() == '/') text.erase(0, 1);
  while (!text.empty() && text.back() == '/') text.pop_back();
  return text;
}

// An entry that must be a map: its entries, or nothing (reported).
std::vector<MapEntry> SubMap(const MapEntry& entry, Diagnostics& diags, const std::vector<std::string>& keys,
                             std::string_view where, std::string_view hint) {
  if (!entry.value->IsMap()) {
    diags.Error(entry.loc,
                fmt::format("{} must be a map, got {}", where, internal::NodeKindName(*entry.value)),
                std::string(hint));
    return {};
  }
  return internal::MapEntries(*entry.value, diags, &keys, where);
}

void ParseSlurm(const MapEntry& entry, Diagnostics& diags, SlurmSettings& slurm) {
  auto entries =
      SubMap(entry, diags, kConfigSlurmKeys, "slurm:", "e.g. slurm: {partition: batch, group: 20}");
  if (const MapEntry* e = FindEntry(entries, "partition")) {
    if (auto v = internal::GetText(*e, diags, "slurm.partition")) slurm.partition = *v;
  }
  if (const MapEntry* e = FindEntry(entries, "account")) {
    if (auto v = internal::GetText(*e, diags, "slurm.account")) slurm.account = *v;
  }
  if (const MapEntry* e = FindEntry(entries, "group")) {
    if (auto v = internal::GetInt(*e, diags, "slurm.group")) {
      if (*v < 1 || *v > 100000) {
        diags.Error(e->loc, fmt::format("slurm.group must be from 1 to 100000, got {}", *v),
                    "it is how many steps started together share one Slurm job");
      } else {
        slurm.group = static_cast<int>(*v);
      }
    }
  }
  if (const MapEntry* e = FindEntry(entries, "staging")) {
    if (auto v = internal::GetOneOf(*e, diags, "slurm.staging", {"shared", "node"})) slurm.staging = *v;
  }
  for (const char* key : {"node_dir", "node_mlpipe"}) {
    const MapEntry* e = FindEntry(entries, key);
    if (e == nullptr) continue;
    auto v = internal::GetText(*e, diags, fmt::format("slurm.{}", key));
    if (!v) continue;
    if (v->empty() || v->front() != '/') {
      diags.Error(e->loc, fmt::format("slurm.{} must be an absolute path, got '{}'", key, *v),
                  "it is a path on the nodes, e.g. /scratch/mlpipe");
    } else {
      (std::string_view(key) == "node_dir" ? slurm.node_dir : slurm.node_mlpipe) = *v;
    }
  }
}

void ParseS3(const MapEntry& entry, Diagnostics& diags, S3Settings& s3) {
  auto entries = SubMap(entry, diags, kConfigS3Keys,
                        "objects.s3:", "e.g. s3: {endpoint: http://127.0.0.1:7480, bucket: artifacts}");
  if (entries.empty()) return;
  if (const MapEntry* e = FindEntry(entries, "endpoint")) {
    if (auto v = internal::GetText(*e, diags, "objects.s3.endpoint")) {
      if (!IsHttpUrl(*v)) {
        diags.Error(e->loc,
                    fmt::format("objects.s3.endpoint must be an http:// or https:// URL, got '{}'", *v),
                    "e.g. endpoint: https://s3.eu-west-1.amazonaws.com");
      } else {
        s3.endpoint = *v;
        while (s3.endpoint.ends_with('/')) s3.endpoint.pop_back();
      }
    }
  } else {
    diags.Error(entry.loc, "objects.s3: has no endpoint", "add endpoint: http://HOST:PORT");
  }
  if (const MapEntry* e = FindEntry(entries, "bucket")) {
    if (auto v = internal::GetText(*e, diags, "objects.s3.bucket")) {
      if (v->empty() || v->find('/') != std::string::npos) {
        diags.Error(e->loc, fmt::format("objects.s3.bucket must be a bucket name, got '{}'", *v),
                    "put a key prefix under prefix:");
      } else {
        s3.bucket = *v;
      }
    }
  } else {
    diags.Error(entry.loc, "objects.s3: has no bucket", "add bucket: NAME");
  }
  if (const MapEntry* e = FindEntry(entries, "prefix")) {
    if (auto v = internal::GetText(*e, diags, "objects.s3.prefix")) s3.prefix = TrimSlashes(*v);
  }
  if (const MapEntry* e = FindEntry(entries, "region")) {
    if (auto v = internal::GetText(*e, diags, "objects.s3.region")) s3.region = *v;
  }
}

Status DiagnosticsStatus(const std::vector<Diagnostic>& found) {
  std::string text;
  for (const Diagnostic& d : found) {
    if (!text.empty()) text += '\n';
    text += d.ToString();
  }
  return InvalidArgumentError(text);
}

}  // namespace

StatusOr<WorkspaceConfig> ParseWorkspaceConfig(std::string_view text, const std::string& file) {
  WorkspaceConfig config;
  config.file = file;
  std::vector<Diagnostic> found;
  Diagnostics diags(&found, file);
  YamlDocument doc;
  if (auto error = internal::ParseYaml(text, &doc)) {
    diags.Error(SourceLocation{file, error->line, error->column},
                fmt::format("YAML syntax error: {}", error->message),
                "fix the YAML syntax of the config file");
    return DiagnosticsStatus(found);
  }
  const YamlNode& root = doc.root();
  if (root.IsNull()) return config;
  if (!root.IsMap()) {
    diags.Error(diags.Loc(root),
                fmt::format("a workspace config must be a map, got {}", internal::NodeKindName(root)),
                "e.g. executor: slurm");
    return DiagnosticsStatus(found);
  }
  auto entries = internal::MapEntries(root, diags, &kConfigTopKeys, "the workspace config");
  if (const MapEntry* e = FindEntry(entries, "executor")) {
    if (auto v = internal::GetOneOf(*e, diags, "executor", {"local", "slurm"})) config.executor = *v;
  }
  if (const MapEntry* e = FindEntry(entries, "slurm")) ParseSlurm(*e, diags, config.slurm);
  if (const MapEntry* e = FindEntry(entries, "metadata")) {
    if (auto v = internal::GetText(*e, diags, "metadata")) {
      if (v->empty()) {
        diags.Error(e->loc, "metadata: is empty",
                    "give a postgresql:// URL, or remove it for the SQLite file");
      } else {
        config.metadata = *v;
      }
    }
  }
  if (const MapEntry* e = FindEntry(entries, "objects")) {
    auto objects =
        SubMap(*e, diags, kConfigObjectsKeys, "objects:", "e.g. objects: {s3: {endpoint: ..., bucket: ...}}");
    if (const MapEntry* s3 = FindEntry(objects, "s3")) ParseS3(*s3, diags, config.s3);
  }
  if (!found.empty()) return DiagnosticsStatus(found);
  return config;
}

StatusOr<WorkspaceConfig> LoadWorkspaceConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return WorkspaceConfig{};
    return UnavailableError(fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return ParseWorkspaceConfig(text.str(), path);
}

Status ApplyEnvironment(WorkspaceConfig& config, const std::function<const char*(const char*)>& getenv) {
  auto get = [&](const char* name) -> std::string {
    const char* v = getenv ? getenv(name) : std::getenv(name);
    return v != nullptr ? v : "";
  };
  if (std::string v = get("MLPIPE_EXECUTOR"); !v.empty()) {
    if (v != "local" && v != "slurm") {
      return InvalidArgumentError(fmt::format("MLPIPE_EXECUTOR must be local or slurm, not '{}'", v));
    }
    config.executor = v;
  }
  if (std::string v = get("MLPIPE_SLURM_PARTITION"); !v.empty()) config.slurm.partition = v;
  if (std::string v = get("MLPIPE_SLURM_ACCOUNT"); !v.empty()) config.slurm.account = v;
  if (std::string v = get("MLPIPE_SLURM_GROUP"); !v.empty()) {
    char* end = nullptr;
    const long n = std::strtol(v.c_str(), &end, 10);
    if (end == v.c_str() || *end != '\0' || n < 1 || n > 100000) {
      return InvalidArgumentError(
          fmt::format("MLPIPE_SLURM_GROUP must be a number from 1 to 100000, not '{}'", v));
    }
    config.slurm.group = static_cast<int>(n);
  }
  if (std::string v = get("MLPIPE_SLURM_STAGING"); !v.empty()) {
    if (v != "shared" && v != "node") {
      return InvalidArgumentError(fmt::format("MLPIPE_SLURM_STAGING must be shared or node, not '{}'", v));
    }
    config.slurm.staging = v;
  }
  for (auto [name, field] : {std::pair{"MLPIPE_SLURM_NODE_DIR", &config.slurm.node_dir},
                             std::pair{"MLPIPE_SLURM_NODE_MLPIPE", &config.slurm.node_mlpipe}}) {
    std::string v = get(name);
    if (v.empty()) continue;
    if (v.front() != '/') return InvalidArgumentError(fmt::format("{} must be an absolute path, not '{}'", name, v));
    *field = v;
  }
  if (std::string v = get("MLPIPE_METADATA"); !v.empty()) config.metadata = v;
  if (std::string v = get("MLPIPE_S3_ENDPOINT"); !v.empty()) {
    if (!IsHttpUrl(v)) {
      return InvalidArgumentError(
          fmt::format("MLPIPE_S3_ENDPOINT must be an http:// or https:// URL, not '{}'", v));
    }
    while (v.ends_with('/')) v.pop_back();
    config.s3.endpoint = v;
  }
  if (std::string v = get("MLPIPE_S3_BUCKET"); !v.empty()) config.s3.bucket = v;
  if (std::string v = get("MLPIPE_S3_PREFIX"); !v.empty()) config.s3.prefix = TrimSlashes(v);
  if (std::string v = get("MLPIPE_S3_REGION"); !v.empty()) config.s3.region = v;
  if (!config.s3.endpoint.empty() && config.s3.bucket.empty()) {
    return InvalidArgumentError(fmt::format(
        "an S3 endpoint ({}) is set but no bucket; hint: set MLPIPE_S3_BUCKET or objects.s3.bucket in {}",
        config.s3.endpoint, config.file.empty() ? ".mlpipe/config.yaml" : config.file));
  }
  return OkStatus();
}

}  // namespace mlpipe::spec
