// End-to-end: `.mlpipe/config.yaml`, the workspace's own settings
// (spec/workspace_config.h): a bad file stops every command before anything
// runs, with file:line:column; `metadata:` moves the record of runs, so two
// workspaces naming the same store see the same runs; the environment
// overrides the file.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/e2e/e2e_util.h"

namespace mlpipe::e2e {
namespace {

constexpr const char* kConfigPipeline = R"y(pipeline: configured
steps:
  make:
    run: echo made > ${outputs.out}
    shell: true
    outputs: {out: dataset}
)y";

TEST(WorkspaceConfigE2ETest, ABadConfigStopsTheRunBeforeAnythingRuns) {
  Project p("config-bad");
  p.Write("pipeline.yaml", kConfigPipeline);
  p.Write(".mlpipe/config.yaml", "executor: local\nslurm:\n  partion: batch\n");
  CommandOutput r = p.Mlpipe({"run", "pipeline.yaml"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(Contains(r.err, ".mlpipe/config.yaml:3:3: error:")) << r.err;
  EXPECT_TRUE(Contains(r.err, "partition")) << r.err;  // did you mean
  EXPECT_FALSE(Contains(p.Mlpipe({"runs", "list"}).out, "configured"));
  // Read-only commands refuse it too: the file is the workspace's.
  CommandOutput list = p.Mlpipe({"runs", "list"});
  EXPECT_EQ(list.exit_code, 2) << list.err;
  EXPECT_TRUE(Contains(list.err, ".mlpipe/config.yaml:3:3")) << list.err;
}

TEST(WorkspaceConfigE2ETest, TwoWorkspacesNamingOneMetadataStoreSeeTheSameRuns) {
  Project p("config-shared");
  const std::string shared = p.Path("shared/metadata.db");
  p.Write("shared/.keep", "");
  ExpectTwoWorkspacesShareOneMetadataStore(p, kConfigPipeline, "configured", shared);
  // The runs are in the shared file.
  EXPECT_EQ(Shell("test -s " + shared), 0);
}

TEST(WorkspaceConfigE2ETest, TheEnvironmentOverridesTheFile) {
  Project p("config-env");
  p.Write("pipeline.yaml", kConfigPipeline);
  p.Write(".mlpipe/config.yaml", "executor: kubernetes\n");
  CommandOutput bad = p.Mlpipe({"run", "pipeline.yaml"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_TRUE(Contains(bad.err, ".mlpipe/config.yaml:1:11")) << bad.err;
  p.Write(".mlpipe/config.yaml", "executor: slurm\nslurm: {partition: no-such-partition-here}\n");
  // MLPIPE_EXECUTOR=local wins over the file's slurm: the run never asks Slurm.
  CommandOutput ok = p.Mlpipe({"run", "pipeline.yaml"}, {{"MLPIPE_EXECUTOR", "local"}});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  CommandOutput env_bad = p.Mlpipe({"run", "pipeline.yaml"}, {{"MLPIPE_EXECUTOR", "mainframe"}});
  EXPECT_EQ(env_bad.exit_code, 2) << env_bad.err;
  EXPECT_TRUE(Contains(env_bad.err, "MLPIPE_EXECUTOR")) << env_bad.err;
}

}  // namespace
}  // namespace mlpipe::e2e
