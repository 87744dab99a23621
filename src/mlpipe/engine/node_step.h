// NodeStep: a step that runs on a node without the submitting machine's
// files (Slurm with `slurm.staging: node`, docs/cluster.md). The submitter
// (node_staging.h) sends a NodeStepRequest; `mlpipe step-exec` on the node
// (node_step_exec.h) rebuilds the step's files there, runs it, stores what it
// wrote and sends a NodeStepResult back. Both travel through the S3 store as
// JSON at NodeStepKey(token, ...); objects travel at their usual keys.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/exec/command_runner.h"
#include "mlpipe/store/s3_client.h"

namespace mlpipe::engine {

// Maps the submitter's paths to a node's: a path under one of `roots` moves
// under `node_dir` (node_dir followed by the whole path), so the tree a step
// sees is rebuilt there with the same shape. Other paths stay as they are.
class NodePathMap {
 public:
  NodePathMap(std::vector<std::string> roots, std::string node_dir);

  // `path` mapped when it is a root or under one; else `path`.
  std::string Path(const std::string& path) const;
  // Every root `text` names, mapped: a root counts where it starts a path
  // (at the start of the text or after a character no path holds, such as a
  // space, '=', ':' or a quote) and ends one (at the end, at '/' or before
  // such a character). For argv, environment values and generated files.
  std::string Text(std::string_view text) const;

  const std::string& node_dir() const { return node_dir_; }

 private:
  std::vector<std::string> roots_;  // longest first
  std::string node_dir_;
};

// A request names each secret variable (base/secret_names.h) without its
// value ("NAME" instead of "NAME=VALUE"), and the node takes the value from
// its own environment, which the job inherits from the submitter: no secret
// is written to the bucket.
// `env` with every secret's value left out, as a request carries it.
std::vector<std::string> WithoutSecrets(const std::vector<std::string>& env);
// A request's environment made whole on the node: each bare NAME takes its
// value from `getenv` (left out when the node has none).
std::vector<std::string> WithSecrets(const std::vector<std::string>& env,
                                     const std::function<const char*(const char*)>& getenv);

struct NodeStepRequest {
  // The folder on the node the step's tree is rebuilt in; removed after.
  std::string job_dir;
  // argv, env, cwd, logs, timeout: already mapped (files left empty).
  exec::Command command;
  // Stored objects the step reads: node path, ref.
  std::vector<std::pair<std::string, std::string>> objects;
  // Files written for it (mapped text): node path, content.
  std::vector<std::pair<std::string, std::string>> texts;
  // What comes back once it ends (outputs, metrics file, logs): node path,
  // the submitter's path.
  std::vector<std::pair<std::string, std::string>> returned;
};

struct NodeStepFile {
  std::string path;  // the submitter's path
  std::string ref;
  bool is_dir = false;
};

struct NodeStepResult {
  exec::CommandResult result;
  std::string node;                 // the node's host name
  std::vector<NodeStepFile> files;  // stored on the node, and so in the S3 store
};

nlohmann::json NodeStepRequestJson(const NodeStepRequest& request);
// InvalidArgument naming the field for a malformed request.
StatusOr<NodeStepRequest> ParseNodeStepRequest(const nlohmann::json& j);
nlohmann::json NodeStepResultJson(const NodeStepResult& result);
StatusOr<NodeStepResult> ParseNodeStepResult(const nlohmann::json& j);

// The S3 key (relative to the store's prefix) of a step's request or result:
// "node-steps/TOKEN/request.json".
std::string NodeStepKey(std::string_view token, std::string_view file);
// The prefix of every such key: "node-steps/".
inline constexpr std::string_view kNodeStepsPrefix = "node-steps/";

// A fresh token for one attempt of one step: 32 hex digits.
std::string NewNodeStepToken();

// Removes the requests and results of staged steps that no run read back
// (a run killed while its jobs ran leaves them): those older than both
// `min_age_ns` and kStaleNodeStepNs, since a job may wait in a busy queue for
// days before its node reads its request. Returns how many steps' keys were
// removed (with `dry_run`, would be).
inline constexpr int64_t kStaleNodeStepNs = int64_t{7} * 24 * 3600 * 1'000'000'000;
StatusOr<int> RemoveStaleNodeSteps(store::S3Client& client, int64_t min_age_ns, int64_t now_ns, bool dry_run);

// Puts `j` at `key` (through a temp file, with its SHA-256).
Status PutNodeStepJson(store::S3Client& client, const std::string& key, const nlohmann::json& j);
// Reads the JSON at `key`: NotFound when there is none, InvalidArgument when
// it does not parse.
StatusOr<nlohmann::json> GetNodeStepJson(store::S3Client& client, const std::string& key);

}  // namespace mlpipe::engine
