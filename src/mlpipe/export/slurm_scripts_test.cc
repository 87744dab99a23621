#include "mlpipe/export/slurm_scripts.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "mlpipe/base/strings.h"
#include "mlpipe/export/test_plan.h"

namespace mlpipe::exporter {
namespace {

using testing::HandPlan;
using testing::LoadYaml;

// A diamond: top feeds left and right, bottom reads both.
constexpr const char* kDiamond = R"y(pipeline: diamond
params: {n: 3}
steps:
  top:
    run: seq ${params.n} > ${outputs.nums}
    shell: true
    outputs: {nums: dataset}
  left:
    run: sed s/^/L/ ${inputs.nums} > ${outputs.out}
    shell: true
    inputs: {nums: top.nums}
    outputs: {out: dataset}
    resources: {cpus: 2, memory: 100MiB}
    timeout: 90s
    retries: 1
  right:
    run: sed s/^/R/ ${inputs.nums} > ${outputs.out}; test -n "$FAIL_RIGHT" && exit 3; true
    shell: true
    inputs: {nums: top.nums}
    outputs: {out: dataset}
  bottom:
    run: cat ${inputs.a} ${inputs.b} > ${outputs.all}
    shell: true
    inputs: {a: left.out, b: right.out}
    outputs: {all: dataset}
)y";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class SlurmScriptsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pipeline_ = LoadYaml(dir_, kDiamond);
    options_.dir = dir_.Sub("tree");
    options_.mlpipe = "/usr/bin/mlpipe";
    options_.object_path = [](const StoredRef& o) -> StatusOr<std::string> { return "/store/" + o.ref; };
  }
  // Writes the tree of `plan`; ASSERTs inside.
  void Write(const ExportPlan& plan) {
    auto files = SlurmScripts(pipeline_, plan, options_);
    ASSERT_TRUE(files.ok()) << files.status().ToString();
    Status written = WriteTree(options_.dir, plan, *files);
    ASSERT_TRUE(written.ok()) << written.ToString();
  }
  // A fake sbatch first on PATH: it logs its arguments, prints the next job
  // id, and runs the script at once (its #SBATCH lines are comments to sh) with
  // stdout and stderr to the --output and --error files the script names,
  // unless a job of its --dependency=afterok: failed (then it fails too, as a
  // job Slurm never starts).
  std::string FakeSbatchPath() {
    dir_.Write("bin/sbatch", R"sh(#!/bin/sh
n=$(($(cat "$0.count" 2>/dev/null || echo 100) + 1)); echo $n > "$0.count"
echo "$*" >> "$0.log"
for script; do :; done
deps=$(echo "$*" | sed -n 's/.*--dependency=afterok:\([0-9:]*\).*/\1/p' | tr ':' ' ')
for d in $deps; do
  if grep -qx "$d" "$0.failed" 2>/dev/null; then echo $n >> "$0.failed"; echo "$n;cluster"; exit 0; fi
done
out=$(sed -n 's/^#SBATCH --output=//p' "$script"); err=$(sed -n 's/^#SBATCH --error=//p' "$script")
sh "$script" >"$out" 2>"$err" || echo $n >> "$0.failed"
echo "$n;cluster"
)sh");
    std::filesystem::permissions(dir_.Sub("bin/sbatch"), std::filesystem::perms::owner_all);
    return dir_.Sub("bin") + ":" + std::getenv("PATH");
  }
  int Submit(const std::string& extra_env = "") {
    return std::system(fmt::format("cd / && {} PATH={} sh {}/submit.sh >/dev/null", extra_env,
                                   ShellQuote(FakeSbatchPath()), options_.dir)
                           .c_str());
  }

  mlpipe::testing::TempDir dir_{"slurm_export"};
  engine::LoadedPipeline pipeline_;
  SlurmExportOptions options_;
};

TEST_F(SlurmScriptsTest, SbatchLinesCarryTheStepsResources) {
  Write(HandPlan(pipeline_, {}));
  const std::string left = ReadFile(options_.dir + "/steps/left.sbatch");
  const std::string d = options_.dir;
  EXPECT_EQ(left.rfind("#!/bin/sh\n#SBATCH --job-name=mlpipe-diamond-left\n", 0), 0u) << left;
  for (const std::string& line :
       {"#SBATCH --output=" + d + "/logs/left.out", "#SBATCH --error=" + d + "/logs/left.err",
        "#SBATCH --chdir=" + d + "/work/left", std::string("#SBATCH --cpus-per-task=2"),
        std::string("#SBATCH --mem=100M"),
        std::string("#SBATCH --time=3:00")}) {  // 90 s a try, 2 tries: the job's limit
    EXPECT_NE(left.find(line + "\n"), std::string::npos) << line << " in\n" << left;
  }
  EXPECT_NE(left.find("timeout -k 5 90s"), std::string::npos) << "each attempt has its own limit";
  const std::string top = ReadFile(options_.dir + "/steps/top.sbatch");
  EXPECT_NE(top.find("#SBATCH --cpus-per-task=1\n"), std::string::npos);
  EXPECT_EQ(top.find("--mem="), std::string::npos);
  EXPECT_EQ(top.find("--time="), std::string::npos);
}

TEST_F(SlurmScriptsTest, SubmitsInDependencyOrderWithAfterokOnUpstreamJobs) {
  Write(HandPlan(pipeline_, {}));
  ASSERT_EQ(Submit(), 0);
  // Jobs 101.. in order; bottom waits for left and right, they for top.
  EXPECT_EQ(ReadFile(dir_.Sub("bin/sbatch.log")),
            "--parsable steps/top.sbatch\n"
            "--parsable --dependency=afterok:101 steps/left.sbatch\n"
            "--parsable --dependency=afterok:101 steps/right.sbatch\n"
            "--parsable --dependency=afterok:102:103 steps/bottom.sbatch\n");
  EXPECT_EQ(ReadFile(options_.dir + "/jobs.txt"), "top 101\nleft 102\nright 103\nbottom 104\n");
  EXPECT_EQ(ReadFile(options_.dir + "/outputs/bottom/all"), "L1\nL2\nL3\nR1\nR2\nR3\n");
  for (const char* step : {"top", "left", "right", "bottom"}) {
    EXPECT_TRUE(std::filesystem::exists(options_.dir + "/done/" + step)) << step;
  }
}

TEST_F(SlurmScriptsTest, AFailedStepLeavesNoDoneMarkerAndASecondSubmitRunsOnlyWhatIsNotDone) {
  Write(HandPlan(pipeline_, {}));
  Submit("FAIL_RIGHT=1");
  EXPECT_TRUE(std::filesystem::exists(options_.dir + "/done/left"));
  EXPECT_FALSE(std::filesystem::exists(options_.dir + "/done/right"));
  EXPECT_FALSE(std::filesystem::exists(options_.dir + "/done/bottom"));
  std::filesystem::remove(dir_.Sub("bin/sbatch.log"));
  ASSERT_EQ(Submit(), 0);
  EXPECT_EQ(ReadFile(dir_.Sub("bin/sbatch.log")),
            "--parsable steps/right.sbatch\n"
            "--parsable --dependency=afterok:105 steps/bottom.sbatch\n");
  EXPECT_TRUE(std::filesystem::exists(options_.dir + "/done/bottom"));
}

TEST_F(SlurmScriptsTest, CachedStepsAreNotScriptsAndTheirOutputsAreReadFromTheStore) {
  const std::string ref = testing::FakeRef('d');
  Write(HandPlan(pipeline_, {{"top", {{"nums", StoredRef{ref, false}}}}}));
  EXPECT_FALSE(std::filesystem::exists(options_.dir + "/steps/top.sbatch"));
  EXPECT_NE(ReadFile(options_.dir + "/steps/left.sbatch").find("/store/" + ref), std::string::npos);
  const std::string submit = ReadFile(options_.dir + "/submit.sh");
  EXPECT_EQ(submit.find("submit 'top'"), std::string::npos);
  EXPECT_NE(submit.find("submit 'left')"), std::string::npos) << submit;
}

TEST_F(SlurmScriptsTest, RefusesAFolderThatIsNotAnExport) {
  dir_.Write("tree/notes.txt", "mine");
  auto files = SlurmScripts(pipeline_, HandPlan(pipeline_, {}), options_);
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(WriteTree(options_.dir, HandPlan(pipeline_, {}), *files).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(WriteTree(dir_.Sub("no/such/tree"), HandPlan(pipeline_, {}), *files).code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mlpipe::exporter
