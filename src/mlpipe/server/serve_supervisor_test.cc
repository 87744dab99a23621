// ServeSupervisor's logic over a fake host and a fake clock: starts, checks,
// restarts and their backoff, adoption and replacement, with no process.
#include "mlpipe/server/serve_supervisor.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <nlohmann/json.hpp>

namespace mlpipe::server {
namespace {

constexpr int64_t kSupervisorSec = 1'000'000'000;

// Processes as a table: a started one writes its endpoint at once (on its
// --port, or 40000 + pid for port 0) and answers while `healthy`.
class FakeServeHost : public ServeHost {
 public:
  struct Proc {
    std::vector<std::string> argv;
    bool alive = true;
    bool healthy = true;
    bool current_exe = true;
    bool child = true;
    std::vector<int> signals = {};
  };

  StatusOr<int64_t> Start(const std::vector<std::string>& argv, const std::string&,
                          const std::string&) override {
    const int64_t pid = next_pid_++;
    procs_[pid] = Proc{.argv = argv};
    int port = 0;
    for (size_t i = 0; i + 1 < argv.size(); ++i) {
      if (argv[i] == "--port") port = std::stoi(argv[i + 1]);
    }
    if (port == 0) port = static_cast<int>(40000 + pid);
    const std::string name = argv.size() > 3 ? argv[3] : "";
    if (write_endpoint_on_start) endpoints_[name] = {pid, "http://127.0.0.1:" + std::to_string(port), port};
    starts.push_back(pid);
    return pid;
  }
  std::optional<std::string> Exited(int64_t pid) override {
    auto it = procs_.find(pid);
    if (it == procs_.end() || !it->second.alive) return std::string("exit 1");
    return std::nullopt;
  }
  void Signal(int64_t pid, int sig) override {
    Proc& p = procs_.at(pid);
    p.signals.push_back(sig);
    if (sig == SIGKILL || (sig == SIGTERM && !ignore_term)) p.alive = false;
  }
  std::vector<std::string> CommandLine(int64_t pid) override { return procs_.at(pid).argv; }
  bool RunsCurrentExecutable(int64_t pid) override { return procs_.at(pid).current_exe; }
  std::optional<ServeEndpoint> Endpoint(const std::string& name) override {
    auto it = endpoints_.find(name);
    if (it == endpoints_.end()) return std::nullopt;
    return it->second;
  }
  bool Healthy(const std::string& url) override {
    for (auto& [name, ep] : endpoints_) {
      if (ep.url == url) return procs_.count(ep.pid) && procs_[ep.pid].alive && procs_[ep.pid].healthy;
    }
    return false;
  }

  // A process an earlier server started, still running.
  int64_t Running(const std::vector<std::string>& argv, const std::string& name, int port) {
    const int64_t pid = next_pid_++;
    procs_[pid] = Proc{.argv = argv, .child = false};
    endpoints_[name] = {pid, "http://127.0.0.1:" + std::to_string(port), port};
    return pid;
  }
  Proc& proc(int64_t pid) { return procs_.at(pid); }
  void SetEndpoint(const std::string& name, int64_t pid, int port) {
    endpoints_[name] = {pid, "http://127.0.0.1:" + std::to_string(port), port};
  }

  std::vector<int64_t> starts;
  bool write_endpoint_on_start = true;
  bool ignore_term = false;

 private:
  int64_t next_pid_ = 100;
  std::map<int64_t, Proc> procs_;
  std::map<std::string, ServeEndpoint> endpoints_;
};

struct Fixture {
  explicit Fixture(std::vector<ServeSpec> specs = {{"churn", 0}})
      : bus(0),
        supervisor(
            specs, Names(specs), host, bus, clock,
            ServeSupervisorOptions{.mlpipe_exe = "/bin/mlpipe", .project_dir = "/p", .log_dir = "/p/log"}) {}
  static std::vector<std::string> Names(const std::vector<ServeSpec>& specs) {
    std::vector<std::string> names;
    for (const auto& s : specs) names.push_back(s.deployment);
    return names;
  }
  // Ticks every 100 ms for `seconds`.
  void Run(double seconds) {
    for (int64_t t = 0; t < static_cast<int64_t>(seconds * 10); ++t) {
      supervisor.Tick();
      clock.Advance(kSupervisorSec / 10);
    }
  }
  std::vector<std::string> Kinds() {
    std::vector<std::string> kinds;
    bool behind = false;
    for (const auto& e : bus.Wait(0, 10000, 0, &behind)) kinds.push_back(e.kind);
    return kinds;
  }
  std::vector<nlohmann::json> Events(const std::string& kind) {
    std::vector<nlohmann::json> out;
    bool behind = false;
    for (const auto& e : bus.Wait(0, 10000, 0, &behind)) {
      if (e.kind == kind) out.push_back(nlohmann::json::parse(e.data));
    }
    return out;
  }
  ServeStatus Status() { return supervisor.Snapshot().at(0); }

  FakeClock clock;
  FakeServeHost host;
  EventBus bus;
  ServeSupervisor supervisor;
};

TEST(ServeSpecTest, ParsesNameAndPort) {
  auto a = ParseServeSpec("churn");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->deployment, "churn");
  EXPECT_EQ(a->port, 0);
  auto b = ParseServeSpec("deploy/churn.yaml:8081");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->deployment, "deploy/churn.yaml");
  EXPECT_EQ(b->port, 8081);
  EXPECT_FALSE(ParseServeSpec("churn:http").ok());
  EXPECT_FALSE(ParseServeSpec("churn:70000").ok());
  EXPECT_FALSE(ParseServeSpec(":8080").ok());
}

TEST(ServeSupervisorTest, StartsTheWantedCommandAndKeepsTheFirstPortOnRestart) {
  Fixture f;
  f.Run(0.5);
  ASSERT_EQ(f.host.starts.size(), 1u);
  const int64_t first = f.host.starts[0];
  EXPECT_EQ(f.host.proc(first).argv,
            (std::vector<std::string>{"/bin/mlpipe", "serve", "--deployment", "churn", "--port", "0",
                                      "--reuse-port", "--poll", "500ms"}));
  f.Run(1.5);
  EXPECT_EQ(f.Status().state, "up");
  EXPECT_TRUE(f.Status().up);
  EXPECT_EQ(f.Status().port, 40000 + first);

  f.host.proc(first).alive = false;  // crashed
  f.Run(3);
  ASSERT_EQ(f.host.starts.size(), 2u);
  const int64_t second = f.host.starts[1];
  // The same port as the first process got.
  EXPECT_EQ(f.host.proc(second).argv[5], std::to_string(40000 + first));
  EXPECT_EQ(f.Status().restarts, 1);
  auto restarted = f.Events("serve.restarted");
  ASSERT_EQ(restarted.size(), 1u);
  EXPECT_EQ(restarted[0]["previous_pid"], first);
  EXPECT_EQ(restarted[0]["pid"], second);
  EXPECT_EQ(restarted[0]["reason"], "exited: exit 1");
  auto exited = f.Events("serve.exited");
  ASSERT_EQ(exited.size(), 1u);
  EXPECT_EQ(exited[0]["status"], "exit 1");
}

TEST(ServeSupervisorTest, BackoffDoublesUpToTheCapAndResetsAfterAHealthyMinute) {
  Fixture f;
  f.supervisor.Tick();  // first start
  std::vector<double> delays;
  for (int i = 0; i < 7; ++i) {
    f.host.proc(f.host.starts.back()).alive = false;
    const size_t before = f.host.starts.size();
    const int64_t died = f.clock.WallNanos();
    f.supervisor.Tick();  // sees the exit
    while (f.host.starts.size() == before) {
      f.clock.Advance(kSupervisorSec / 10);
      f.supervisor.Tick();
    }
    delays.push_back(static_cast<double>(f.clock.WallNanos() - died) / kSupervisorSec);
  }
  const std::vector<double> want = {1, 2, 4, 8, 16, 30, 30};
  ASSERT_EQ(delays.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(delays[i], want[i], 0.11) << "restart " << i;

  // Healthy for a minute: the next restart waits 1 s again.
  f.Run(62);
  f.host.proc(f.host.starts.back()).alive = false;
  const size_t before = f.host.starts.size();
  f.Run(0.95);
  EXPECT_EQ(f.host.starts.size(), before);
  f.Run(0.3);
  EXPECT_EQ(f.host.starts.size(), before + 1);
}

TEST(ServeSupervisorTest, ThreeFailedChecksInARowRestart) {
  Fixture f;
  f.Run(2);
  const int64_t first = f.host.starts.at(0);
  ASSERT_EQ(f.Status().state, "up");
  // Two failures, then an answer: the count starts over.
  f.host.proc(first).healthy = false;
  f.Run(2);
  f.host.proc(first).healthy = true;
  f.Run(1);
  EXPECT_EQ(f.Events("serve.unhealthy").size(), 2u);
  EXPECT_TRUE(f.host.proc(first).signals.empty());

  f.host.proc(first).healthy = false;
  f.Run(3);
  EXPECT_EQ(f.Events("serve.unhealthy").size(), 5u);
  EXPECT_EQ(f.host.proc(first).signals, std::vector<int>{SIGTERM});
  f.Run(1.1);
  ASSERT_EQ(f.host.starts.size(), 2u);
  auto restarted = f.Events("serve.restarted");
  ASSERT_EQ(restarted.size(), 1u);
  EXPECT_EQ(restarted[0]["reason"], "3 failed health checks in a row");
  EXPECT_FALSE(f.Status().up);  // the new one has not answered yet
  f.Run(1.1);
  EXPECT_TRUE(f.Status().up);
}

TEST(ServeSupervisorTest, AProcessThatIgnoresSigtermIsKilledAfterTheGrace) {
  Fixture f;
  f.Run(2);
  const int64_t first = f.host.starts.at(0);
  f.host.ignore_term = true;
  f.host.proc(first).healthy = false;
  f.Run(3.05);
  EXPECT_EQ(f.host.proc(first).signals, std::vector<int>{SIGTERM});
  f.Run(5);
  EXPECT_EQ(f.host.proc(first).signals, (std::vector<int>{SIGTERM, SIGKILL}));
}

TEST(ServeSupervisorTest, AdoptsALiveProcessWithTheWantedCommandLine) {
  Fixture f({{"churn", 8081}});
  const int64_t pid = f.host.Running(f.supervisor.WantedArgv({"churn", 8081}, 8081), "churn", 8081);
  f.Run(5);
  EXPECT_TRUE(f.host.starts.empty());
  EXPECT_TRUE(f.host.proc(pid).signals.empty());
  EXPECT_EQ(f.Status().pid, pid);
  EXPECT_TRUE(f.Status().up);
  EXPECT_EQ(f.Status().restarts, 0);
  auto adopted = f.Events("serve.adopted");
  ASSERT_EQ(adopted.size(), 1u);
  EXPECT_TRUE(adopted[0]["replace"].is_null());
}

TEST(ServeSupervisorTest, AdoptsOnAnyPortWhenNoneIsGiven) {
  Fixture f;
  const int64_t pid = f.host.Running(f.supervisor.WantedArgv({"churn", 0}, 41234), "churn", 41234);
  f.Run(2);
  EXPECT_TRUE(f.host.starts.empty());
  EXPECT_EQ(f.Status().pid, pid);
  EXPECT_EQ(f.Status().port, 41234);
}

TEST(ServeSupervisorTest, ADeadEndpointIsNotAdoptedButItsPortIsKept) {
  Fixture f;
  const int64_t pid = f.host.Running(f.supervisor.WantedArgv({"churn", 0}, 41234), "churn", 41234);
  f.host.proc(pid).alive = false;
  f.Run(0.5);
  ASSERT_EQ(f.host.starts.size(), 1u);
  EXPECT_EQ(f.host.proc(f.host.starts[0]).argv[5], "41234");
  EXPECT_TRUE(f.Events("serve.adopted").empty());
}

TEST(ServeSupervisorTest, ReplacesAnAdoptedProcessWhoseFlagsDifferAfterTheSuccessorAnswers) {
  Fixture f({{"churn", 8081}});
  std::vector<std::string> old_argv = f.supervisor.WantedArgv({"churn", 8081}, 8081);
  old_argv.back() = "2s";  // --poll changed since
  const int64_t old = f.host.Running(old_argv, "churn", 8081);
  f.host.write_endpoint_on_start = false;  // the successor is loading
  f.Run(3);
  ASSERT_EQ(f.host.starts.size(), 1u);
  const int64_t successor = f.host.starts[0];
  EXPECT_EQ(f.host.proc(successor).argv, f.supervisor.WantedArgv({"churn", 8081}, 8081));
  // The old one serves until its successor answers and endpoint.json names it.
  EXPECT_TRUE(f.host.proc(old).signals.empty());
  EXPECT_EQ(f.Status().pid, old);
  EXPECT_TRUE(f.Status().replacing);
  f.host.SetEndpoint("churn", successor, 8081);
  f.Run(0.5);
  EXPECT_EQ(f.host.proc(old).signals, std::vector<int>{SIGTERM});
  EXPECT_EQ(f.Status().pid, successor);
  EXPECT_FALSE(f.Status().replacing);
  EXPECT_EQ(f.Status().restarts, 1);
  auto adopted = f.Events("serve.adopted");
  ASSERT_EQ(adopted.size(), 1u);
  EXPECT_NE(adopted[0]["replace"].get<std::string>().find("command line differs"), std::string::npos);
  auto exited = f.Events("serve.exited");
  ASSERT_EQ(exited.size(), 1u);
  EXPECT_EQ(exited[0]["pid"], old);
  EXPECT_EQ(exited[0]["replaced"], true);
}

TEST(ServeSupervisorTest, ReplacesAnAdoptedProcessOfAnotherExecutable) {
  Fixture f({{"churn", 8081}});
  const int64_t old = f.host.Running(f.supervisor.WantedArgv({"churn", 8081}, 8081), "churn", 8081);
  f.host.proc(old).current_exe = false;
  f.Run(1.5);
  ASSERT_EQ(f.host.starts.size(), 1u);
  EXPECT_EQ(f.Status().pid, f.host.starts[0]);
  EXPECT_EQ(f.host.proc(old).signals, std::vector<int>{SIGTERM});
}

TEST(ServeSupervisorTest, RestartHandsOverAndAFailedSuccessorLeavesTheOldOneServing) {
  Fixture f;
  f.Run(2);
  const int64_t first = f.host.starts.at(0);
  EXPECT_EQ(f.supervisor.Restart("nosuch", "test").status().code(), StatusCode::kNotFound);
  auto old = f.supervisor.Restart("churn", "test");
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(*old, first);
  EXPECT_EQ(f.supervisor.Restart("churn", "again").status().code(), StatusCode::kFailedPrecondition);

  // A successor that dies before it answers: the old process is untouched.
  f.host.write_endpoint_on_start = false;
  f.Run(0.5);
  ASSERT_EQ(f.host.starts.size(), 2u);
  f.host.proc(f.host.starts[1]).alive = false;
  f.Run(1);
  EXPECT_TRUE(f.host.proc(first).signals.empty());
  EXPECT_EQ(f.Status().pid, first);
  EXPECT_FALSE(f.Status().replacing);

  // Again, with a successor that comes up on the same port.
  f.host.write_endpoint_on_start = true;
  ASSERT_TRUE(f.supervisor.Restart("churn", "test").ok());
  f.Run(1.5);
  ASSERT_EQ(f.host.starts.size(), 3u);
  const int64_t third = f.host.starts[2];
  EXPECT_EQ(f.host.proc(third).argv[5], std::to_string(40000 + first));
  EXPECT_EQ(f.Status().pid, third);
  EXPECT_EQ(f.host.proc(first).signals, std::vector<int>{SIGTERM});
}

TEST(ServeSupervisorTest, StopLeavesProcessesServingUnlessAsked) {
  Fixture f;
  f.Run(2);
  const int64_t first = f.host.starts.at(0);
  f.supervisor.Stop(false);
  EXPECT_TRUE(f.host.proc(first).signals.empty());
  Fixture g;
  g.Run(2);
  g.supervisor.Stop(true);
  EXPECT_EQ(g.host.proc(g.host.starts.at(0)).signals, std::vector<int>{SIGTERM});
}

}  // namespace
}  // namespace mlpipe::server
