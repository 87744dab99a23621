#include "mlpipe/engine/node_staging.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace mlpipe::engine {
namespace fs = std::filesystem;

namespace {

bool UnderAnyRoot(const std::string& path, const std::vector<std::string>& roots) {
  for (const std::string& r : roots) {
    if (path.compare(0, r.size(), r) == 0 && (path.size() == r.size() || path[r.size()] == '/')) return true;
  }
  return false;
}

StatusOr<std::string> ReadGeneratedFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError(fmt::format("cannot read {}", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

NodeStagingRunner::NodeStagingRunner(std::unique_ptr<exec::CommandRunner> inner, store::ObjectStore& objects,
                                     store::RemoteTier& remote, store::S3Client& client,
                                     NodeStagingOptions options)
    : inner_(std::move(inner)),
      objects_(objects),
      remote_(remote),
      client_(client),
      options_(std::move(options)) {
  if (options_.node_mlpipe.empty()) options_.node_mlpipe = options_.self_exe;
}

Status NodeStagingRunner::Send(const std::string& path, const std::string& ref) {
  if (in_bucket_.count(ref) != 0) return OkStatus();
  if (objects_.Contains(ref)) {
    RETURN_IF_ERROR(remote_.Push(ref).WithContext(fmt::format("sending {} to {}", ref, remote_.Describe())));
  } else {
    // A source read where it lies (never stored) or a code file: stored now,
    // which sends it.
    ASSIGN_OR_RETURN(store::StoredObject stored, objects_.Put(path, store::PutMode::kCopy));
    if (!ref.empty() && stored.ref != ref) {
      return FailedPreconditionError(
          fmt::format("{} changed while the run read it (it was {}, it is now {})", path, ref, stored.ref));
    }
    in_bucket_.insert(stored.ref);
  }
  in_bucket_.insert(ref);
  return OkStatus();
}

StatusOr<NodeStepRequest> NodeStagingRunner::BuildRequest(const exec::Command& command,
                                                          const std::string& token) {
  const exec::Command::Files& files = command.files;
  // A read outside the named roots (a source given by an absolute path)
  // brings its folder along as a root.
  std::vector<std::string> roots = files.roots;
  auto add_root = [&](const std::string& path) {
    if (!UnderAnyRoot(path, roots)) roots.push_back(fs::path(path).parent_path().string());
  };
  for (const auto& [path, ref] : files.objects) add_root(path);
  for (const std::string& path : files.sent) add_root(path);

  NodeStepRequest r;
  r.job_dir = fmt::format("{}/steps/{}", options_.node_dir, token);
  const NodePathMap map(roots, r.job_dir);
  exec::Command& c = r.command;
  for (const std::string& arg : command.argv) c.argv.push_back(map.Text(arg));
  if (!command.argv.empty() && command.argv[0] == options_.self_exe) c.argv[0] = options_.node_mlpipe;
  for (const std::string& kv : WithoutSecrets(command.env)) c.env.push_back(map.Text(kv));
  c.cwd = map.Path(command.cwd);
  c.stdout_path = map.Path(command.stdout_path);
  c.stderr_path = map.Path(command.stderr_path);
  c.timeout_ns = command.timeout_ns;
  c.name = command.name;

  for (const auto& [path, ref] : files.objects) {
    RETURN_IF_ERROR(Send(path, ref).WithContext(fmt::format("input {}", path)));
    r.objects.emplace_back(map.Path(path), ref);
  }
  for (const std::string& path : files.sent) {
    ASSIGN_OR_RETURN(store::StoredObject stored, objects_.Put(path, store::PutMode::kCopy));
    in_bucket_.insert(stored.ref);
    r.objects.emplace_back(map.Path(path), stored.ref);
  }
  for (const std::string& path : files.generated) {
    ASSIGN_OR_RETURN(std::string text, ReadGeneratedFile(path));
    r.texts.emplace_back(map.Path(path), map.Text(text));
  }
  for (const std::string& path : files.returned) r.returned.emplace_back(map.Path(path), path);
  for (const std::string* log : {&command.stdout_path, &command.stderr_path}) {
    if (!log->empty()) r.returned.emplace_back(map.Path(*log), *log);
  }
  return r;
}

exec::Command NodeStagingRunner::NodeCommand(const exec::Command& command, const std::string& token) const {
  exec::Command job;
  job.argv = {options_.node_mlpipe, "step-exec"};
  job.argv.insert(job.argv.end(), options_.store_args.begin(), options_.store_args.end());
  job.argv.insert(job.argv.end(), {"--node-dir", options_.node_dir, "--token", token});
  // No env: the job inherits the submitter's (sbatch exports it), which has
  // the store's credentials. No logs: none of this machine's folders exist
  // on the node; step-exec sends what goes wrong in its result.
  // The node ends the step at its timeout by its own timer (and says so in
  // its result); the scheduler's limit is a backstop a minute later, which
  // leaves step-exec the time to send the logs back.
  if (command.timeout_ns > 0) job.timeout_ns = command.timeout_ns + kSchedulerLimitMarginNs;
  job.cpus = command.cpus;
  job.memory_bytes = command.memory_bytes;
  job.name = command.name;
  return job;
}

Status NodeStagingRunner::Start(int job, const exec::Command& command) {
  const std::string token = NewNodeStepToken();
  ASSIGN_OR_RETURN(NodeStepRequest request, BuildRequest(command, token));
  RETURN_IF_ERROR(PutNodeStepJson(client_, NodeStepKey(token, "request.json"), NodeStepRequestJson(request))
                      .WithContext(fmt::format("sending the request of {}", command.name)));
  RETURN_IF_ERROR(inner_->Start(job, NodeCommand(command, token)));
  jobs_[job] = Sent{token, command.timeout_ns};
  return OkStatus();
}

StatusOr<std::optional<std::pair<int, exec::CommandResult>>> NodeStagingRunner::Wait(
    int64_t deadline_mono_ns) {
  ASSIGN_OR_RETURN(auto ended, inner_->Wait(deadline_mono_ns));
  if (!ended) return ended;
  auto it = jobs_.find(ended->first);
  if (it == jobs_.end()) return ended;
  exec::CommandResult result = Bring(it->second, ended->second);
  jobs_.erase(it);
  return std::optional<std::pair<int, exec::CommandResult>>({ended->first, std::move(result)});
}

exec::CommandResult NodeStagingRunner::Bring(const Sent& sent, const exec::CommandResult& job) {
  const std::string result_key = NodeStepKey(sent.token, "result.json");
  auto got = GetNodeStepJson(client_, result_key);
  StatusOr<NodeStepResult> node =
      got.ok() ? ParseNodeStepResult(*got) : StatusOr<NodeStepResult>(got.status());
  (void)client_.DeleteObject(NodeStepKey(sent.token, "request.json"));
  (void)client_.DeleteObject(result_key);
  if (!node.ok()) {
    exec::CommandResult out = job;
    out.timeout_ns = sent.timeout_ns;
    if (!job.timed_out && !job.cancelled) {
      out.error = fmt::format(
          "the job ended ({}) without sending its result to {} ({}); hint: is mlpipe at {} on the node, and "
          "can "
          "the node reach the store with the submitter's AWS_ACCESS_KEY_ID?",
          job.Describe(), client_.Describe(), node.status().message(), options_.node_mlpipe);
    }
    return out;
  }
  exec::CommandResult out = node->result;
  out.timeout_ns = sent.timeout_ns;
  if (job.timed_out) {  // the scheduler's time limit: step-exec saw only its SIGTERM
    out.timed_out = true;
    out.cancelled = false;
  }
  if (job.cancelled) out.cancelled = true;
  if (out.wall_ns == 0) out.wall_ns = job.wall_ns;
  for (const NodeStepFile& f : node->files) {
    std::error_code ec;
    fs::create_directories(fs::path(f.path).parent_path(), ec);
    Status copied = objects_.CopyOut(f.ref, f.path);
    if (!copied.ok() && out.error.empty()) {
      out.error = fmt::format("bringing {} back from node {}: {}", f.path, node->node, copied.message());
    }
  }
  return out;
}

}  // namespace mlpipe::engine
