// A staged step end to end without Slurm: NodeStagingRunner on the
// submitting side, RunNodeStep (what `mlpipe step-exec` does) on a "node"
// with a store of its own, both on one in-memory S3 store. The Slurm and
// Ceph RGW version is tests/e2e/cluster_e2e_test.cc.
#include "mlpipe/engine/node_step.h"

#include <gtest/gtest.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "mlpipe/base/clock.h"
#include "mlpipe/base/secret_names.h"
#include "mlpipe/base/testing/temp_dir.h"
#include "mlpipe/engine/node_staging.h"
#include "mlpipe/engine/node_step_exec.h"
#include "mlpipe/exec/local_runner.h"
#include "mlpipe/store/memory_s3_client.h"
#include "mlpipe/store/remote_objects.h"

namespace mlpipe::engine {
namespace {
namespace fs = std::filesystem;

TEST(NodePathMapTest, MovesPathsUnderARootAndNothingElse) {
  NodePathMap map({"/p/ws/.mlpipe", "/p/ws/", "/"}, "/node/steps/t");
  EXPECT_EQ(map.Path("/p/ws/data/a.csv"), "/node/steps/t/p/ws/data/a.csv");
  EXPECT_EQ(map.Path("/p/ws"), "/node/steps/t/p/ws");
  EXPECT_EQ(map.Path("/p/ws2/a"), "/p/ws2/a");  // a longer name, not the root
  EXPECT_EQ(map.Path("/usr/bin/python3"), "/usr/bin/python3");
  EXPECT_EQ(map.Path(""), "");
}

TEST(NodePathMapTest, MapsEveryRootATextNamesAtPathBoundaries) {
  NodePathMap map({"/p/ws", "/data"}, "/n");
  EXPECT_EQ(map.Text("cat /p/ws/a.txt '/data/x y' > /p/ws/out"),
            "cat /n/p/ws/a.txt '/n/data/x y' > /n/p/ws/out");
  EXPECT_EQ(map.Text("MLPIPE_INPUT_X=/data/x.csv"), "MLPIPE_INPUT_X=/n/data/x.csv");
  EXPECT_EQ(map.Text("a=/p/ws:/data"), "a=/n/p/ws:/n/data");
  EXPECT_EQ(map.Text(R"({"in": "/data/x"})"), R"({"in": "/n/data/x"})");
  // Inside a longer path, or a longer name: left alone.
  EXPECT_EQ(map.Text("/mnt/data/x /datasets/y /p/wsx"), "/mnt/data/x /datasets/y /p/wsx");
}

TEST(NodeStepSecretsTest, SecretsLeaveTheirValuesOnTheSubmitterAndTheNodeFillsThemIn) {
  EXPECT_TRUE(IsSecretVariable("AWS_SECRET_ACCESS_KEY"));
  EXPECT_TRUE(IsSecretVariable("AWS_ACCESS_KEY_ID"));
  EXPECT_TRUE(IsSecretVariable("PGPASSWORD"));
  EXPECT_TRUE(IsSecretVariable("github_token"));
  EXPECT_TRUE(IsSecretVariable("STRIPE_API_KEY"));
  EXPECT_FALSE(IsSecretVariable("PATH"));
  EXPECT_FALSE(IsSecretVariable("KEYBOARD"));
  EXPECT_FALSE(IsSecretVariable("MLPIPE_INPUT_KEYS"));
  const std::vector<std::string> env = {"PATH=/bin", "PGPASSWORD=hunter2", "A=x=y", "GITHUB_TOKEN=t"};
  const std::vector<std::string> sent = WithoutSecrets(env);
  EXPECT_EQ(sent, (std::vector<std::string>{"PATH=/bin", "PGPASSWORD", "A=x=y", "GITHUB_TOKEN"}));
  auto node_env = [](const char* name) -> const char* {
    return std::string_view(name) == "PGPASSWORD" ? "from-the-job" : nullptr;
  };
  EXPECT_EQ(WithSecrets(sent, node_env),
            (std::vector<std::string>{"PATH=/bin", "PGPASSWORD=from-the-job", "A=x=y"}));
}

TEST(NodeStepJsonTest, RequestAndResultRoundTrip) {
  NodeStepRequest r;
  r.job_dir = "/n/steps/t";
  r.command.argv = {"sh", "-c", "echo hi"};
  r.command.env = {"A=1"};
  r.command.cwd = "/n/steps/t/w";
  r.command.stdout_path = "/n/steps/t/o.log";
  r.command.timeout_ns = 5;
  r.command.name = "train";
  r.objects = {{"/n/a", "sha256:" + std::string(64, 'a')}};
  r.texts = {{"/n/inv.json", "{}"}};
  r.returned = {{"/n/out", "/p/out"}};
  auto back = ParseNodeStepRequest(NodeStepRequestJson(r));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->command.argv, r.command.argv);
  EXPECT_EQ(back->command.env, r.command.env);
  EXPECT_EQ(back->command.cwd, r.command.cwd);
  EXPECT_EQ(back->command.timeout_ns, 5);
  EXPECT_EQ(back->objects, r.objects);
  EXPECT_EQ(back->texts, r.texts);
  EXPECT_EQ(back->returned, r.returned);

  nlohmann::json newer = NodeStepRequestJson(r);
  newer["version"] = 2;
  EXPECT_NE(ParseNodeStepRequest(newer).status().message().find("version 2"), std::string::npos);
  nlohmann::json bad = NodeStepRequestJson(r);
  bad["command"]["argv"] = "sh";
  EXPECT_NE(ParseNodeStepRequest(bad).status().message().find("argv"), std::string::npos);

  NodeStepResult res;
  res.node = "n1";
  res.result.exit_code = 3;
  res.result.cpu_ns = 7;
  res.result.max_rss_bytes = 9;
  res.files = {{"/p/out", "sha256:" + std::string(64, 'b'), true}};
  auto res_back = ParseNodeStepResult(NodeStepResultJson(res));
  ASSERT_TRUE(res_back.ok()) << res_back.status().ToString();
  EXPECT_EQ(res_back->node, "n1");
  EXPECT_EQ(res_back->result.exit_code, 3);
  EXPECT_EQ(res_back->result.cpu_ns, 7);
  EXPECT_EQ(res_back->result.max_rss_bytes, 9);
  ASSERT_EQ(res_back->files.size(), 1u);
  EXPECT_TRUE(res_back->files[0].is_dir);
}

TEST(NodeStepKeysTest, OnlyStepsOlderThanAWeekAndTheMinimumAgeAreStale) {
  store::MemoryS3Client s3;
  const std::string file = ::testing::TempDir() + "/node-step-key";
  std::ofstream(file) << "{}";
  const std::string sha = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";  // of "{}"
  const int64_t now = int64_t{1'800'000'000} * 1'000'000'000;
  for (const auto& [token, age] : std::vector<std::pair<std::string, int64_t>>{
           {"old", kStaleNodeStepNs + 1}, {"recent", kStaleNodeStepNs - 1}}) {
    for (const char* name : {"request.json", "result.json"}) {
      ASSERT_TRUE(s3.PutObject(NodeStepKey(token, name), file, sha).ok());
      s3.SetModified(NodeStepKey(token, name), now - age);
    }
  }
  ASSERT_TRUE(s3.PutObject("blobs/sha256/aa/x", file, sha).ok());  // not a step's: never touched
  s3.SetModified("blobs/sha256/aa/x", 0);

  auto dry = RemoveStaleNodeSteps(s3, 3'600'000'000'000, now, /*dry_run=*/true);
  ASSERT_TRUE(dry.ok());
  EXPECT_EQ(*dry, 1);
  EXPECT_EQ(s3.ListObjects("")->size(), 5u);
  auto removed = RemoveStaleNodeSteps(s3, 3'600'000'000'000, now, /*dry_run=*/false);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 1);
  auto left = s3.ListObjects("");
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 3u);
  for (const auto& e : *left) EXPECT_EQ(e.key.find("node-steps/old/"), std::string::npos) << e.key;
  // A minimum age over a week keeps the recent one too, and asks more of the old.
  EXPECT_EQ(*RemoveStaleNodeSteps(s3, kStaleNodeStepNs * 2, now, true), 0);
}

// Stands for Slurm and the node: Start runs `mlpipe step-exec`'s work in
// this process, on the node's own store; `send_nothing` is a job that ended
// without running it.
class NodeRunner : public exec::CommandRunner {
 public:
  NodeRunner(store::S3Client& client, store::ObjectStore& node_objects)
      : client_(client), node_objects_(node_objects) {}
  bool send_nothing = false;
  std::vector<exec::Command> started;

  Status Start(int job, const exec::Command& command) override {
    started.push_back(command);
    exec::CommandResult job_result;
    job_result.exit_code = 0;
    if (!send_nothing) {
      const std::string token = command.argv.back();
      ASSIGN_OR_RETURN(nlohmann::json j, GetNodeStepJson(client_, NodeStepKey(token, "request.json")));
      ASSIGN_OR_RETURN(NodeStepRequest request, ParseNodeStepRequest(j));
      exec::LocalRunnerOptions options;
      options.use_spawner = false;
      options.watch_interrupts = false;
      exec::LocalRunner local(options);
      ASSIGN_OR_RETURN(NodeStepResult result, RunNodeStep(request, node_objects_, local));
      RETURN_IF_ERROR(
          PutNodeStepJson(client_, NodeStepKey(token, "result.json"), NodeStepResultJson(result)));
      job_result.exit_code = result.result.exit_code;
    }
    done_.emplace_back(job, job_result);
    return OkStatus();
  }
  StatusOr<std::optional<std::pair<int, exec::CommandResult>>> Wait(int64_t) override {
    if (done_.empty()) return FailedPreconditionError("nothing running");
    auto front = done_.front();
    done_.pop_front();
    return std::optional<std::pair<int, exec::CommandResult>>(front);
  }
  void AbortAll() override {}
  size_t running() const override { return done_.size(); }

 private:
  store::S3Client& client_;
  store::ObjectStore& node_objects_;
  std::deque<std::pair<int, exec::CommandResult>> done_;
};

std::string NodeStepFileText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class NodeStagingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto here = store::ObjectStore::Open(here_ws_);
    ASSERT_TRUE(here.ok());
    here_objects_ = std::move(*here);
    here_remote_ = std::make_unique<store::RemoteObjects>(s3_, *here_objects_);
    here_objects_->SetRemote(here_remote_.get());
    auto node = store::ObjectStore::Open(store::Workspace(node_dir_ + "/store"));
    ASSERT_TRUE(node.ok());
    node_objects_ = std::move(*node);
    node_remote_ = std::make_unique<store::RemoteObjects>(s3_, *node_objects_);
    node_objects_->SetRemote(node_remote_.get());
    auto inner = std::make_unique<NodeRunner>(s3_, *node_objects_);
    node_runner_ = inner.get();
    NodeStagingOptions options;
    options.node_dir = node_dir_;
    options.node_mlpipe = "/opt/mlpipe";
    options.self_exe = "/usr/bin/mlpipe-here";
    runner_ =
        std::make_unique<NodeStagingRunner>(std::move(inner), *here_objects_, *here_remote_, s3_, options);
    fs::create_directories(project_ + "/data");
    fs::create_directories(here_ws_.root() + "/runs/1/work");
  }

  // A step reading data/in.txt (stored) and code.sh (sent), writing out.txt.
  exec::Command Step(const std::string& script) {
    std::ofstream(project_ + "/data/in.txt") << "hello from here\n";
    std::ofstream(project_ + "/code.sh") << script;
    auto stored = here_objects_->Put(project_ + "/data/in.txt", store::PutMode::kCopy);
    EXPECT_TRUE(stored.ok());
    auto input = here_objects_->Materialize(stored->ref);
    EXPECT_TRUE(input.ok());
    const std::string run = here_ws_.root() + "/runs/1";
    exec::Command c;
    c.argv = {"/bin/sh", project_ + "/code.sh", *input, run + "/out.txt"};
    c.env = {"PATH=/usr/bin:/bin", "MLPIPE_METRICS=" + run + "/metrics.jsonl", "PGPASSWORD=hunter2"};
    c.cwd = run + "/work";
    c.stdout_path = run + "/stdout.log";
    c.stderr_path = run + "/stderr.log";
    c.name = "step";
    c.files.roots = {here_ws_.root(), project_};
    c.files.objects = {{*input, stored->ref}};
    c.files.sent = {project_ + "/code.sh"};
    c.files.returned = {run + "/out.txt", run + "/metrics.jsonl"};
    return c;
  }

  mlpipe::testing::TempDir tmp_{"node-staging"};
  std::string project_ = tmp_.path() + "/project";
  store::Workspace here_ws_{project_ + "/.mlpipe"};
  std::string node_dir_ = tmp_.path() + "/node";
  store::MemoryS3Client s3_;
  std::unique_ptr<store::ObjectStore> here_objects_, node_objects_;
  std::unique_ptr<store::RemoteObjects> here_remote_, node_remote_;
  NodeRunner* node_runner_ = nullptr;
  std::unique_ptr<NodeStagingRunner> runner_;
};

TEST_F(NodeStagingTest, TheNodeRunsTheStepInItsOwnTreeAndItsFilesComeBack) {
  exec::Command c = Step(
      "cat \"$1\" > \"$2\"; pwd >> \"$2\"; echo '{\"name\": \"m\", \"value\": 1}' >> \"$MLPIPE_METRICS\";"
      " echo said; echo warned >&2\n");
  ASSERT_TRUE(runner_->Start(0, c).ok());
  // The job runs step-exec with the node's mlpipe and no secret in argv.
  ASSERT_EQ(node_runner_->started.size(), 1u);
  const exec::Command& job = node_runner_->started[0];
  EXPECT_EQ(job.argv[0], "/opt/mlpipe");
  EXPECT_EQ(job.argv[1], "step-exec");
  EXPECT_TRUE(job.env.empty());
  // The secret the step's environment holds is not in the bucket.
  auto listed = s3_.ListObjects("node-steps/");
  ASSERT_TRUE(listed.ok());
  ASSERT_FALSE(listed->empty());
  for (const auto& e : *listed) EXPECT_EQ(s3_.Object(e.key).value_or("").find("hunter2"), std::string::npos);
  EXPECT_TRUE(job.stdout_path.empty());

  auto ended = runner_->Wait(exec::kNoDeadline);
  ASSERT_TRUE(ended.ok()) << ended.status().ToString();
  ASSERT_TRUE(ended->has_value());
  const exec::CommandResult& r = (*ended)->second;
  EXPECT_TRUE(r.ok()) << r.Describe();
  const std::string run = here_ws_.root() + "/runs/1";
  const std::string out = NodeStepFileText(run + "/out.txt");
  // The input's content, read on the node, in a folder under the node's.
  EXPECT_EQ(out.rfind("hello from here\n" + node_dir_ + "/steps/", 0), 0u) << out;
  EXPECT_NE(out.find(run + "/work"), std::string::npos) << out;  // the same tree, rebuilt
  EXPECT_NE(NodeStepFileText(run + "/metrics.jsonl").find("\"m\""), std::string::npos);
  EXPECT_EQ(NodeStepFileText(run + "/stdout.log"), "said\n");
  EXPECT_EQ(NodeStepFileText(run + "/stderr.log"), "warned\n");
  // The node kept its inputs in its own store (its cache), and removed the tree.
  EXPECT_TRUE(fs::is_empty(node_dir_ + "/steps"));
  EXPECT_EQ(node_remote_->counters().downloads, 2);  // the input and the code
  // The request and result are gone from the bucket.
  auto left = s3_.ListObjects("node-steps/");
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->empty());

  // A second step reading the same input: the node downloads nothing new.
  ASSERT_TRUE(runner_->Start(1, Step("cat \"$1\" > \"$2\"\n")).ok());
  ASSERT_TRUE(runner_->Wait(exec::kNoDeadline).ok());
  EXPECT_EQ(node_remote_->counters().downloads, 3);  // only the changed code
}

TEST_F(NodeStagingTest, AFailedStepReportsItsExitStatusAndItsLogsComeBack) {
  ASSERT_TRUE(runner_->Start(0, Step("echo broke >&2; exit 3\n")).ok());
  auto ended = runner_->Wait(exec::kNoDeadline);
  ASSERT_TRUE(ended.ok() && ended->has_value());
  EXPECT_EQ((*ended)->second.exit_code, 3);
  EXPECT_TRUE((*ended)->second.error.empty()) << (*ended)->second.error;
  EXPECT_EQ(NodeStepFileText(here_ws_.root() + "/runs/1/stderr.log"), "broke\n");
  EXPECT_FALSE(fs::exists(here_ws_.root() + "/runs/1/out.txt"));
}

TEST_F(NodeStagingTest, TheNodeEndsAStepAtItsTimeoutAndTheSchedulersLimitIsLater) {
  exec::Command c = Step("echo started; exec sleep 30\n");
  c.timeout_ns = 300'000'000;
  ASSERT_TRUE(runner_->Start(0, c).ok());
  EXPECT_EQ(node_runner_->started[0].timeout_ns, c.timeout_ns + kSchedulerLimitMarginNs);
  auto ended = runner_->Wait(exec::kNoDeadline);
  ASSERT_TRUE(ended.ok() && ended->has_value());
  const exec::CommandResult& r = (*ended)->second;
  EXPECT_TRUE(r.timed_out) << r.Describe();
  EXPECT_EQ(r.timeout_ns, c.timeout_ns);
  EXPECT_EQ(NodeStepFileText(here_ws_.root() + "/runs/1/stdout.log"), "started\n");
}

TEST_F(NodeStagingTest, AJobThatSentNoResultIsAnErrorThatSaysWhere) {
  node_runner_->send_nothing = true;
  ASSERT_TRUE(runner_->Start(0, Step("true\n")).ok());
  auto ended = runner_->Wait(exec::kNoDeadline);
  ASSERT_TRUE(ended.ok() && ended->has_value());
  const exec::CommandResult& r = (*ended)->second;
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.error.find("without sending its result"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("/opt/mlpipe"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace mlpipe::engine
