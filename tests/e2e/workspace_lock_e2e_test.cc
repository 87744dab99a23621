// End-to-end: the workspace lock. `artifacts gc` started while a run produces
// outputs waits for it (or fails with --no-wait) and removes nothing the run
// made; a run waiting for a lock stops cleanly on SIGTERM.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/e2e/e2e_util.h"

namespace mlpipe::e2e {
namespace {

// One step that says it started, then waits for the file `go` the test
// creates, then writes its output: the test decides when the run produces.
const char* kGated = R"y(pipeline: gated
steps:
  make:
    run: touch ${pipeline.dir}/started; while [ ! -e ${pipeline.dir}/go ]; do sleep 0.02; done; echo content > ${outputs.data}
    shell: true
    outputs: {data: dataset}
)y";

bool LockTestWaitUntil(const std::function<bool()>& done, double seconds = 30) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

// A workspace whose store holds the gated step's output as garbage (its run
// deleted), and a second run started and waiting for `go`: it will store
// the same content again, deduplicating against the garbage object.
int StartRunOverGarbage(const Project& p) {
  p.Write("pipeline.yaml", kGated);
  p.Write("go", "");
  auto first = p.Mlpipe({"run", "pipeline.yaml"});
  EXPECT_EQ(first.exit_code, 0) << first.out << first.err;
  auto deleted = p.Mlpipe({"runs", "delete", "1"});
  EXPECT_EQ(deleted.exit_code, 0) << deleted.err;
  std::filesystem::remove(p.Path("go"));
  std::filesystem::remove(p.Path("started"));
  int pid = p.StartMlpipe({"run", "pipeline.yaml", "--no-cache"}, p.Path("run.out"), p.Path("run.err"));
  EXPECT_TRUE(LockTestWaitUntil([&] { return std::filesystem::exists(p.Path("started")); }))
      << p.Read("run.err");
  return pid;
}

TEST(WorkspaceLockE2ETest, GcStartedDuringRunWaitsAndKeepsItsOutputs) {
  Project p("gc_race");
  const int run = StartRunOverGarbage(p);
  const int gc =
      p.StartMlpipe({"artifacts", "gc", "--keep-versions", "0"}, p.Path("gc.out"), p.Path("gc.err"));
  ASSERT_TRUE(LockTestWaitUntil([&] { return Contains(p.Read("gc.err"), "waiting for run 2"); }))
      << p.Read("gc.err") << p.Read("gc.out");
  p.Write("go", "");
  EXPECT_EQ(WaitFor(run), 0) << p.Read("run.err");
  EXPECT_EQ(WaitFor(gc), 0) << p.Read("gc.err");
  auto verify = p.Mlpipe({"artifacts", "verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  auto cat = p.Mlpipe({"artifacts", "cat", "gated.make.data"});
  EXPECT_EQ(cat.exit_code, 0) << cat.err;
  EXPECT_EQ(cat.out, "content\n");
}

TEST(WorkspaceLockE2ETest, GcNoWaitFailsClearlyAndRemovesNothing) {
  Project p("gc_nowait");
  const int run = StartRunOverGarbage(p);
  auto gc = p.Mlpipe({"artifacts", "gc", "--keep-versions", "0", "--no-wait"});
  EXPECT_EQ(gc.exit_code, 1) << gc.out << gc.err;
  EXPECT_TRUE(Contains(gc.err, "run 2 of pipeline 'gated'")) << gc.err;
  EXPECT_TRUE(Contains(gc.err, "nothing was removed")) << gc.err;
  EXPECT_FALSE(Contains(gc.out, "removed")) << gc.out;
  p.Write("go", "");
  EXPECT_EQ(WaitFor(run), 0) << p.Read("run.err");
  // Now nothing holds the lock: gc runs at once, and the run's output stays.
  auto later = p.Mlpipe({"artifacts", "gc", "--keep-versions", "0", "--no-wait"});
  EXPECT_EQ(later.exit_code, 0) << later.err;
  EXPECT_EQ(p.Mlpipe({"artifacts", "cat", "gated.make.data"}).out, "content\n");
}

TEST(WorkspaceLockE2ETest, SigtermWhileWaitingForThePipelineLockExits130AndRecordsNothing) {
  Project p("lock_sigterm");
  p.Write("pipeline.yaml", kGated);
  const int first = p.StartMlpipe({"run", "pipeline.yaml"}, p.Path("first.out"), p.Path("first.err"));
  ASSERT_TRUE(LockTestWaitUntil([&] { return std::filesystem::exists(p.Path("started")); }))
      << p.Read("first.err");
  const int second = p.StartMlpipe({"run", "pipeline.yaml"}, p.Path("second.out"), p.Path("second.err"));
  ASSERT_TRUE(LockTestWaitUntil([&] { return Contains(p.Read("second.err"), "waiting for another run"); }))
      << p.Read("second.err");
  kill(second, SIGTERM);
  EXPECT_EQ(WaitFor(second), 130) << p.Read("second.err");
  EXPECT_TRUE(Contains(p.Read("second.err"), "interrupted by SIGTERM")) << p.Read("second.err");
  p.Write("go", "");
  EXPECT_EQ(WaitFor(first), 0) << p.Read("first.err");
  auto runs = nlohmann::json::parse(p.Mlpipe({"runs", "list", "--json"}).out);
  ASSERT_EQ(runs.size(), 1u) << runs.dump();
  EXPECT_EQ(runs[0]["status"], "succeeded");
}

}  // namespace
}  // namespace mlpipe::e2e
