// End-to-end: two nodes' worth of mlpipe on one machine. Two workspaces (two
// users' checkouts of one project) share one PostgreSQL database for their
// metadata and one S3 bucket (Ceph RGW) for their artifacts, and run their
// steps through Slurm (docs/cluster.md). What one runs, the other sees: the
// runs, the artifacts' content, the models; and the second one's run of the
// same pipeline reuses the first one's outputs, fetched from the bucket.
//
// Needs the three services `make test` starts (scripts/services/
// with_services.sh: MLPIPE_TEST_PG_URL, MLPIPE_TEST_S3_*, a Slurm that
// answers); skips with the reason where one is missing.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/e2e/e2e_util.h"
#include "tests/e2e/server_util.h"

namespace mlpipe::e2e {
namespace {

class ClusterE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string missing = MissingServices({.pg = true, .s3 = true, .slurm = true});
    if (!missing.empty()) {
      GTEST_SKIP() << "needs " << missing << "run under scripts/services/with_services.sh";
    }
    tag_ = fmt::format("cluster_{}", getpid());
    pg_ = EnvOf("MLPIPE_TEST_PG_URL");
    ASSERT_EQ(Shell(fmt::format("psql -q '{}' -c 'CREATE SCHEMA IF NOT EXISTS {}'", pg_, tag_)), 0);
  }
  void TearDown() override {
    if (!tag_.empty())
      (void)Shell(fmt::format("psql -q '{}' -c 'DROP SCHEMA {} CASCADE' >/dev/null 2>&1", pg_, tag_));
  }

  // The settings both workspaces share: Slurm, the database (a schema of this
  // test's own), the bucket (a prefix of its own).
  std::string Settings() const {
    return fmt::format(
        "executor: slurm\nslurm: {{group: 4}}\nmetadata: {}{}options=-csearch_path%3D{}\n"
        "objects:\n  s3:\n    endpoint: {}\n    bucket: {}\n    prefix: {}\n",
        pg_, pg_.find('?') == std::string::npos ? "?" : "&", tag_, EnvOf("MLPIPE_TEST_S3_ENDPOINT"),
        EnvOf("MLPIPE_TEST_S3_BUCKET"), tag_);
  }
  std::map<std::string, std::string> Credentials() const {
    return {{"AWS_ACCESS_KEY_ID", EnvOf("MLPIPE_TEST_S3_ACCESS_KEY")},
            {"AWS_SECRET_ACCESS_KEY", EnvOf("MLPIPE_TEST_S3_SECRET_KEY")}};
  }
  std::string Pipeline() const {
    return fmt::format(R"y(pipeline: {}
steps:
  prep:
    run: tr a-z A-Z < ${{inputs.raw}} > ${{outputs.data}}
    shell: true
    inputs: {{raw: data/raw.txt}}
    outputs: {{data: dataset}}
  train:
    run: |
      mkdir -p ${{outputs.model}}
      wc -c < ${{inputs.data}} > ${{outputs.model}}/weights
      echo 'print("yes")' > ${{outputs.model}}/predict.py
      echo '{{"task": "binary", "target": "label", "features": [{{"name": "x", "type": "numeric"}}], "class_labels": ["no", "yes"], "predictor": {{"command": ["python3", "predict.py"]}}}}' > ${{outputs.model}}/manifest.json
    shell: true
    inputs: {{data: prep.data}}
    outputs: {{model: model}}
register:
  model: {}
  from: train.model
  alias: champion
)y",
                       tag_, tag_);
  }

  std::string tag_, pg_;
};

TEST_F(ClusterE2ETest, ASecondWorkspaceSeesTheRunsArtifactsAndModelsAndReusesTheOutputs) {
  Project p("cluster");
  for (const std::string who : {"alice", "bob"}) {
    p.Write(who + "/pipeline.yaml", Pipeline());
    p.Write(who + "/data/raw.txt", "shared data\n");
    p.Write(who + "/.mlpipe/config.yaml", Settings());
  }
  CommandOutput run = p.MlpipeIn("alice", {"run", "pipeline.yaml"}, Credentials());
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;

  // bob sees alice's run, with its steps, from the shared database.
  CommandOutput shown = p.MlpipeIn("bob", {"runs", "show", "1", "--json"}, Credentials());
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  std::map<std::string, std::string> status;
  const nlohmann::json alice_run = nlohmann::json::parse(shown.out);
  for (const auto& step : alice_run["steps"])
    status[step["step"].get<std::string>()] = step["status"].get<std::string>();
  EXPECT_EQ(status["prep"], "succeeded") << shown.out;
  EXPECT_EQ(status["train"], "succeeded") << shown.out;
  // The content: bob's store never had it; it comes from the bucket.
  CommandOutput cat = p.MlpipeIn("bob", {"artifacts", "cat", tag_ + ".prep.data:v1"}, Credentials());
  EXPECT_EQ(cat.exit_code, 0) << cat.err;
  EXPECT_EQ(cat.out, "SHARED DATA\n");
  // The model alice's run registered.
  CommandOutput models = p.MlpipeIn("bob", {"models", "show", tag_, "--json"}, Credentials());
  EXPECT_EQ(models.exit_code, 0) << models.err;
  EXPECT_TRUE(Contains(models.out, "champion")) << models.out;

  // bob's run of the same pipeline runs nothing: every output is alice's,
  // fetched from the bucket into bob's store.
  CommandOutput again = p.MlpipeIn("bob", {"run", "pipeline.yaml", "--json"}, Credentials());
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  const std::string bob_run = p.MlpipeIn("bob", {"runs", "show", "2", "--json"}, Credentials()).out;
  status.clear();
  const nlohmann::json bob_record = nlohmann::json::parse(bob_run);
  for (const auto& step : bob_record["steps"])
    status[step["step"].get<std::string>()] = step["status"].get<std::string>();
  EXPECT_EQ(status["prep"], "cached") << bob_run;
  EXPECT_EQ(status["train"], "cached") << bob_run;
  // The model folder is now in bob's own store, whole: verify finds every
  // object the shared record names, intact.
  CommandOutput verify = p.MlpipeIn("bob", {"artifacts", "verify"}, Credentials());
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

TEST_F(ClusterE2ETest, AServerOnAnotherWorkspaceListsTheRunsOfTheSharedDatabase) {
  Project alice("cluster-alice");
  alice.Write("pipeline.yaml", Pipeline());
  alice.Write("data/raw.txt", "served\n");
  alice.Write(".mlpipe/config.yaml", Settings());
  ASSERT_EQ(alice.Mlpipe({"run", "pipeline.yaml"}, Credentials()).exit_code, 0);
  // The server of a workspace that never ran anything (its children inherit
  // the credentials).
  Project carol("cluster-carol");
  carol.Write(".mlpipe/config.yaml", Settings());
  carol.Write("pipeline.yaml", Pipeline());
  carol.Write("data/raw.txt", "served\n");
  for (const auto& [name, value] : Credentials()) setenv(name.c_str(), value.c_str(), 1);
  Server server(carol);
  ASSERT_GT(server.proc().port(), 0) << carol.Read(".server.err");
  auto [code, runs] = server.Get("/api/v1/runs?pipeline=" + tag_);
  EXPECT_EQ(code, 200) << runs.dump();
  ASSERT_EQ(runs["runs"].size(), 1u) << runs.dump();
  EXPECT_EQ(runs["runs"][0]["status"], "succeeded") << runs.dump();
  auto [model_code, model] = server.Get("/api/v1/models/" + tag_);
  EXPECT_EQ(model_code, 200) << model.dump();
  // Content carol's workspace never had comes from the bucket: a file, and a
  // file of a folder.
  EXPECT_FALSE(std::filesystem::exists(carol.Path(".mlpipe/objects/sha256")) &&
               !std::filesystem::is_empty(carol.Path(".mlpipe/objects/sha256")));
  EXPECT_EQ(server.Text("/api/v1/artifacts/" + tag_ + ".prep.data/content"), "SERVED\n");
  EXPECT_EQ(server.Text("/api/v1/artifacts/" + tag_ + ".train.model/content?path=weights"), "7\n");
  for (const auto& [name, value] : Credentials()) unsetenv(name.c_str());
}

TEST_F(ClusterE2ETest, BadSharedSettingsStopTheRunBeforeAnythingRunsWithExit2) {
  Project p("cluster-bad");
  p.Write("pipeline.yaml", Pipeline());
  p.Write("data/raw.txt", "x\n");
  // A missing bucket.
  std::string settings = Settings();
  const std::string bucket = EnvOf("MLPIPE_TEST_S3_BUCKET");
  p.Write(".mlpipe/config.yaml", settings.replace(settings.find("bucket: " + bucket), 8 + bucket.size(),
                                                  "bucket: no-such-bucket-" + tag_));
  CommandOutput r = p.Mlpipe({"run", "pipeline.yaml"}, Credentials());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(Contains(r.err, "no-such-bucket-" + tag_)) << r.err;
  // Wrong credentials: the secret is never shown.
  p.Write(".mlpipe/config.yaml", Settings());
  CommandOutput wrong =
      p.Mlpipe({"run", "pipeline.yaml"}, {{"AWS_ACCESS_KEY_ID", EnvOf("MLPIPE_TEST_S3_ACCESS_KEY")},
                                          {"AWS_SECRET_ACCESS_KEY", "s3cr3t-n0t-sh0wn"}});
  EXPECT_EQ(wrong.exit_code, 2) << wrong.err;
  EXPECT_FALSE(Contains(wrong.err + wrong.out, "s3cr3t-n0t-sh0wn")) << wrong.err;
  // An endpoint nothing listens on.
  settings = Settings();
  const std::string endpoint = EnvOf("MLPIPE_TEST_S3_ENDPOINT");
  p.Write(".mlpipe/config.yaml",
          settings.replace(settings.find(endpoint), endpoint.size(), "http://127.0.0.1:1"));
  CommandOutput dead = p.Mlpipe({"run", "pipeline.yaml"}, Credentials());
  EXPECT_EQ(dead.exit_code, 2) << dead.err;
  EXPECT_TRUE(Contains(dead.err, "127.0.0.1:1")) << dead.err;
  // Nothing ran, nothing was recorded.
  EXPECT_NE(Shell("test -e " + p.Path(".mlpipe/runs/1")), 0);
}

}  // namespace
}  // namespace mlpipe::e2e
