#include "mlpipe/spec/workspace_config.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "mlpipe/base/testing/temp_dir.h"

namespace mlpipe::spec {
namespace {

TEST(WorkspaceConfigTest, ReadsEverySetting) {
  auto config = ParseWorkspaceConfig(R"(executor: slurm
slurm:
  partition: batch
  account: ml
  group: 20
metadata: postgresql://mlpipe@db.example:5432/mlpipe
objects:
  s3:
    endpoint: http://127.0.0.1:7480/
    bucket: artifacts
    prefix: /team-a/
    region: eu-west-1
)",
                                     "config.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->executor, "slurm");
  EXPECT_EQ(config->slurm.partition, "batch");
  EXPECT_EQ(config->slurm.account, "ml");
  EXPECT_EQ(config->slurm.group, 20);
  EXPECT_EQ(config->metadata, "postgresql://mlpipe@db.example:5432/mlpipe");
  EXPECT_EQ(config->s3.endpoint, "http://127.0.0.1:7480");
  EXPECT_EQ(config->s3.bucket, "artifacts");
  EXPECT_EQ(config->s3.prefix, "team-a");
  EXPECT_EQ(config->s3.region, "eu-west-1");
}

TEST(WorkspaceConfigTest, AnEmptyFileIsTheDefaults) {
  auto config = ParseWorkspaceConfig("", "config.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->executor, "");
  EXPECT_EQ(config->metadata, "");
  EXPECT_EQ(config->s3.endpoint, "");
  EXPECT_EQ(config->slurm.group, 0);
}

TEST(WorkspaceConfigTest, AnAbsentFileIsAnEmptyConfig) {
  mlpipe::testing::TempDir dir("config");
  auto config = LoadWorkspaceConfig(dir.path() + "/config.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->file, "");
  EXPECT_EQ(config->executor, "");
}

TEST(WorkspaceConfigTest, ErrorsNameFileLineAndColumnWithAHint) {
  auto config = ParseWorkspaceConfig("executor: slurmm\nslurm:\n  partion: batch\n  group: 0\n", "cfg.yaml");
  ASSERT_FALSE(config.ok());
  const std::string text = config.status().message();
  EXPECT_NE(text.find("cfg.yaml:1:11: error: "), std::string::npos) << text;
  EXPECT_NE(text.find("slurm"), std::string::npos) << text;
  EXPECT_NE(text.find("cfg.yaml:3:3: error: "), std::string::npos) << text;  // the unknown key
  EXPECT_NE(text.find("partition"), std::string::npos) << text;              // did you mean
  EXPECT_NE(text.find("cfg.yaml:4:10: error: slurm.group must be from 1"), std::string::npos) << text;
}

TEST(WorkspaceConfigTest, AnS3BlockNeedsAnHttpEndpointAndABucket) {
  auto config = ParseWorkspaceConfig("objects:\n  s3:\n    endpoint: s3.example\n", "c.yaml");
  ASSERT_FALSE(config.ok());
  const std::string text = config.status().message();
  EXPECT_NE(text.find("c.yaml:3:15: error: objects.s3.endpoint must be an http"), std::string::npos) << text;
  EXPECT_NE(text.find("has no bucket"), std::string::npos) << text;
}

TEST(WorkspaceConfigTest, SyntaxErrorsArePlaced) {
  auto config = ParseWorkspaceConfig("executor: [local\n", "c.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("c.yaml:"), std::string::npos);
  EXPECT_NE(config.status().message().find("YAML syntax error"), std::string::npos);
}

TEST(WorkspaceConfigTest, TheEnvironmentOverridesTheFile) {
  auto config = ParseWorkspaceConfig("executor: slurm\nmetadata: /tmp/x.db\n", "c.yaml");
  ASSERT_TRUE(config.ok());
  std::map<std::string, std::string> env = {
      {"MLPIPE_EXECUTOR", "local"}, {"MLPIPE_METADATA", "postgresql://u@h/d"},
      {"MLPIPE_SLURM_GROUP", "5"},  {"MLPIPE_S3_ENDPOINT", "https://s3.example/"},
      {"MLPIPE_S3_BUCKET", "b"},    {"MLPIPE_S3_PREFIX", "p/q/"}};
  auto get = [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  ASSERT_TRUE(ApplyEnvironment(*config, get).ok());
  EXPECT_EQ(config->executor, "local");
  EXPECT_EQ(config->metadata, "postgresql://u@h/d");
  EXPECT_EQ(config->slurm.group, 5);
  EXPECT_EQ(config->s3.endpoint, "https://s3.example");
  EXPECT_EQ(config->s3.bucket, "b");
  EXPECT_EQ(config->s3.prefix, "p/q");

  env = {{"MLPIPE_EXECUTOR", "kubernetes"}};
  Status bad = ApplyEnvironment(*config, get);
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("MLPIPE_EXECUTOR"), std::string::npos);

  WorkspaceConfig no_bucket;
  env = {{"MLPIPE_S3_ENDPOINT", "http://h:1"}};
  bad = ApplyEnvironment(no_bucket, get);
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("MLPIPE_S3_BUCKET"), std::string::npos);
}

TEST(WorkspaceConfigTest, NodeStagingSettingsAreCheckedAndTheEnvironmentOverridesThem) {
  auto config = ParseWorkspaceConfig(
      "slurm:\n  staging: node\n  node_dir: /scratch/m\n  node_mlpipe: /opt/mlpipe\n", "c.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->slurm.staging, "node");
  EXPECT_EQ(config->slurm.node_dir, "/scratch/m");
  EXPECT_EQ(config->slurm.node_mlpipe, "/opt/mlpipe");

  auto bad = ParseWorkspaceConfig("slurm:\n  staging: nodes\n  node_dir: scratch\n", "c.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("c.yaml:2:"), std::string::npos) << bad.status().message();
  EXPECT_NE(bad.status().message().find("did you mean 'node'"), std::string::npos) << bad.status().message();
  EXPECT_NE(bad.status().message().find("c.yaml:3:"), std::string::npos) << bad.status().message();
  EXPECT_NE(bad.status().message().find("absolute path"), std::string::npos) << bad.status().message();

  std::map<std::string, std::string> env = {{"MLPIPE_SLURM_STAGING", "shared"},
                                            {"MLPIPE_SLURM_NODE_DIR", "/tmp/n"}};
  auto get = [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  ASSERT_TRUE(ApplyEnvironment(*config, get).ok());
  EXPECT_EQ(config->slurm.staging, "shared");
  EXPECT_EQ(config->slurm.node_dir, "/tmp/n");
  env = {{"MLPIPE_SLURM_NODE_MLPIPE", "bin/mlpipe"}};
  Status relative = ApplyEnvironment(*config, get);
  EXPECT_NE(relative.message().find("MLPIPE_SLURM_NODE_MLPIPE must be an absolute path"), std::string::npos);
  env = {{"MLPIPE_SLURM_STAGING", "s3"}};
  EXPECT_NE(ApplyEnvironment(*config, get).message().find("MLPIPE_SLURM_STAGING"), std::string::npos);
}

}  // namespace
}  // namespace mlpipe::spec
