// NodeStagingRunner: a CommandRunner for nodes that do not see this
// machine's files (`slurm.staging: node`, docs/cluster.md). It wraps the
// runner that reaches the nodes (SlurmRunner) and changes what each command
// is: every object the step reads is made sure to be in the S3 store (its
// code too, stored like any object), a NodeStepRequest naming them goes to
// the bucket (node_step.h), and the job runs `mlpipe step-exec` on the node,
// which fetches them into the node's own content-addressed cache (a cached
// input is never downloaded twice on a node), runs the step, stores its
// outputs, metrics file and logs (so they go up to the bucket) and sends a
// NodeStepResult back. When the job ends, the result's files are fetched
// into this workspace's store and copied to the paths the step would have
// written here, and the step's own exit status, CPU time and peak RSS are
// what Wait reports. The engine then reads them as from a local step:
// caching, lineage, --explain and resume do not change.
//
// A job that sent no result (mlpipe missing on the node, the bucket out of
// its reach, killed before it could) is reported with the scheduler's state
// and an error that says so. Not thread-safe, except Wake.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "mlpipe/engine/node_step.h"
#include "mlpipe/exec/command_runner.h"
#include "mlpipe/store/object_store.h"
#include "mlpipe/store/remote_tier.h"
#include "mlpipe/store/s3_client.h"

namespace mlpipe::engine {

// How much later than a step's timeout the scheduler's limit of its job is.
inline constexpr int64_t kSchedulerLimitMarginNs = 60'000'000'000;

struct NodeStagingOptions {
  // The folder on each node: its store (the node's cache) and the steps'
  // trees. Default /tmp/mlpipe-node.
  std::string node_dir = "/tmp/mlpipe-node";
  // The mlpipe executable on the nodes.
  std::string node_mlpipe;
  // This machine's mlpipe (a built-in step's argv[0]), replaced by node_mlpipe.
  std::string self_exe;
  // step-exec's arguments that name the S3 store (never a secret: the job
  // inherits the submitter's environment, and with it AWS_ACCESS_KEY_ID and
  // AWS_SECRET_ACCESS_KEY).
  std::vector<std::string> store_args;
};

class NodeStagingRunner : public exec::CommandRunner {
 public:
  // `objects` has `remote` (the S3 store `client` reaches) behind it; none
  // is owned, all must outlive the runner.
  NodeStagingRunner(std::unique_ptr<exec::CommandRunner> inner, store::ObjectStore& objects,
                    store::RemoteTier& remote, store::S3Client& client, NodeStagingOptions options);

  Status Start(int job, const exec::Command& command) override;
  StatusOr<std::optional<std::pair<int, exec::CommandResult>>> Wait(int64_t deadline_mono_ns) override;
  void AbortAll() override { inner_->AbortAll(); }
  size_t running() const override { return inner_->running(); }
  void Wake() override { inner_->Wake(); }

  // The request `command` becomes (exposed for tests). Sends what it reads
  // to the S3 store.
  StatusOr<NodeStepRequest> BuildRequest(const exec::Command& command, const std::string& token);
  // The command that runs `token`'s request on a node.
  exec::Command NodeCommand(const exec::Command& command, const std::string& token) const;

 private:
  struct Sent {
    std::string token;
    int64_t timeout_ns = 0;  // the step's own
  };
  // Makes sure the object `ref` (read here at `path`) is in the S3 store.
  Status Send(const std::string& path, const std::string& ref);
  // What the job's end means: the node's result, its files brought here.
  exec::CommandResult Bring(const Sent& sent, const exec::CommandResult& job);

  std::unique_ptr<exec::CommandRunner> inner_;
  store::ObjectStore& objects_;
  store::RemoteTier& remote_;
  store::S3Client& client_;
  NodeStagingOptions options_;
  std::map<int, Sent> jobs_;
  std::set<std::string> in_bucket_;  // refs known to be in the S3 store
};

}  // namespace mlpipe::engine
