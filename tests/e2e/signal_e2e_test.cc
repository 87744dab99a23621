// End-to-end: interrupts and crashes. SIGINT stops every step's process
// group; kill -9 of mlpipe leaves nothing half-written and a rerun picks up
// where it stopped.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "tests/e2e/e2e_util.h"
#include "tests/e2e/events.h"

namespace mlpipe::e2e {
namespace {

// Three steps that record their pid (and a grandchild's) and then sleep. ($$$$ is the
// shell's $$: the spec reads $$ as a literal $.)
const char* kSleepers = R"y(pipeline: sleepers
steps:
  a:
    run: sleep 60 & echo $! > ${pipeline.dir}/pids/a.child; echo $$$$ > ${pipeline.dir}/pids/a; wait
    shell: true
  b:
    run: echo $$$$ > ${pipeline.dir}/pids/b; exec sleep 60
    shell: true
  c:
    run: echo $$$$ > ${pipeline.dir}/pids/c; exec sleep 60
    shell: true
)y";

std::vector<int> ReadPids(const Project& p) {
  std::vector<int> pids;
  for (const char* name : {"a", "a.child", "b", "c"}) {
    std::ifstream f(p.Path(std::string("pids/") + name));
    int pid = 0;
    if (f >> pid) pids.push_back(pid);
  }
  return pids;
}

bool WaitForFiles(const Project& p, size_t n, double seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (ReadPids(p).size() >= n) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

TEST(SignalE2ETest, SigintStopsEveryProcessAndExits130) {
  Project p("sigint");
  p.Write("pipeline.yaml", kSleepers);
  std::filesystem::create_directories(p.Path("pids"));
  int pid = p.StartMlpipe({"run", "pipeline.yaml", "-j", "3"}, p.Path("out.txt"), p.Path("err.txt"));
  ASSERT_TRUE(WaitForFiles(p, 4, 20)) << p.Read("out.txt") << p.Read("err.txt");
  auto pids = ReadPids(p);
  kill(pid, SIGINT);
  int code = WaitFor(pid);
  EXPECT_EQ(code, 130) << p.Read("err.txt");
  for (int child : pids) EXPECT_FALSE(ProcessAlive(child)) << "pid " << child << " survived";
}

TEST(SignalE2ETest, KillNineThenRerunResumesAndStoreVerifies) {
  Project p("kill9");
  // one quick step, then a slow one: kill while the slow one runs.
  p.Write("pipeline.yaml", R"y(pipeline: twostage
steps:
  first:
    run: python3 -c "import sys; open(sys.argv[1], 'w').write('x' * 100000)" ${outputs.data}
    outputs: {data: dataset}
  second:
    run: sleep 0.3; cp ${inputs.data} ${outputs.copy}
    shell: true
    inputs: {data: first.data}
    outputs: {copy: dataset}
  third:
    run: echo started > ${pipeline.dir}/third.started; sleep 60; cp ${inputs.data} ${outputs.copy}
    shell: true
    inputs: {data: second.copy}
    outputs: {copy: dataset}
)y");
  int pid = p.StartMlpipe({"run", "pipeline.yaml"}, p.Path("out.txt"), p.Path("err.txt"));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!std::filesystem::exists(p.Path("third.started")) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(std::filesystem::exists(p.Path("third.started"))) << p.Read("err.txt");
  kill(pid, SIGKILL);
  WaitFor(pid);
  // The orphaned step (its own process group) may still run: end it as a user would.
  Shell("pkill -f 'third.started' >/dev/null 2>&1");
  auto verify = p.Mlpipe({"artifacts", "verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  // Rerun with a fast third step: first and second come from the cache.
  std::string spec = p.Read("pipeline.yaml");
  spec.replace(spec.find("sleep 60"), 8, "true");
  p.Write("pipeline.yaml", spec);
  auto r = p.Mlpipe({"run", "pipeline.yaml", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto states = FinalStates(ParseEvents(r.out));
  EXPECT_EQ(states["first"], "cached");
  EXPECT_EQ(states["second"], "cached");
  EXPECT_EQ(states["third"], "succeeded");
  auto verify2 = p.Mlpipe({"artifacts", "verify"});
  EXPECT_EQ(verify2.exit_code, 0) << verify2.out << verify2.err;
  // The killed run is not left as "running" forever.
  auto runs = nlohmann::json::parse(p.Mlpipe({"runs", "list", "--json"}).out);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_NE(runs[1]["status"], "running") << runs.dump();
}


bool AliveWithin(int pid, double seconds, bool want_alive) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (ProcessAlive(pid) != want_alive && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return ProcessAlive(pid) == want_alive;
}

// kill -9 of `mlpipe run` used to leave its steps running, so that the next
// run could run the same step beside an orphan. The step's main process dies
// with the run (a parent-death signal); what it started in its process group
// is ended by the next run of the pipeline before any step starts.
TEST(SignalE2ETest, KillNineTakesItsStepsAndTheNextRunEndsWhatTheyLeft) {
  Project p("kill9_orphans");
  std::filesystem::create_directories(p.Path("pids"));
  p.Write("pipeline.yaml", R"y(pipeline: orphans
steps:
  slow:
    run: sleep 120 & echo $! > ${pipeline.dir}/pids/child; echo $$$$ > ${pipeline.dir}/pids/leader; wait
    shell: true
)y");
  const int pid = p.StartMlpipe({"run", "pipeline.yaml"}, p.Path("out.txt"), p.Path("err.txt"));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while ((p.Read("pids/leader").empty() || p.Read("pids/child").empty()) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const int leader = std::atoi(p.Read("pids/leader").c_str());
  const int child = std::atoi(p.Read("pids/child").c_str());
  ASSERT_GT(leader, 0) << p.Read("err.txt");
  ASSERT_GT(child, 0) << p.Read("err.txt");
  kill(pid, SIGKILL);
  WaitFor(pid);
  EXPECT_TRUE(AliveWithin(leader, 10, false)) << "the step's main process outlived the run";
  ASSERT_TRUE(ProcessAlive(child)) << "the background job is what the next run must end";
  // The next run ends it before its step starts (the step now finishes at once).
  p.Write("pipeline.yaml", "pipeline: orphans\nsteps:\n  slow:\n    run: \"true\"\n");
  auto rerun = p.Mlpipe({"run", "pipeline.yaml"});
  EXPECT_EQ(rerun.exit_code, 0) << rerun.err;
  EXPECT_TRUE(Contains(rerun.err, "ended 1 process that a killed run of pipeline 'orphans' left running"))
      << rerun.err;
  EXPECT_TRUE(AliveWithin(child, 10, false)) << "pid " << child << " survived the rerun";
  // Nothing is left to end after a run that finished.
  auto again = p.Mlpipe({"run", "pipeline.yaml", "--no-cache"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_FALSE(Contains(again.err, "left running")) << again.err;
}

}  // namespace
}  // namespace mlpipe::e2e
