// `mlpipe server --serve`: the real binary supervises real `mlpipe serve`
// processes of a deployment file (a command package, a Python worker) over
// HTTP on loopback: a kill -9 is restarted on the same port, POST .../restart
// hands the port over with no failed request, and a server killed -9 and
// started again adopts the process that kept serving.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>

#include "tests/e2e/command_package_util.h"
#include "tests/e2e/e2e_util.h"
#include "tests/e2e/serve_util.h"
#include "tests/e2e/server_util.h"

namespace mlpipe::e2e {
namespace {

using json = nlohmann::json;

// The one --serve entry of the server's /api/v1/serve ({} if none yet).
json ServeEntry(Server& s) {
  json doc = s.Get("/api/v1/serve").second;
  if (!doc.is_object() || !doc.contains("serve") || doc["serve"].empty()) return json::object();
  return doc["serve"][0];
}

// The serve processes outlive the server on purpose: the test kills every
// one it saw at the end.
struct ServeReaper {
  std::set<int> pids;
  ~ServeReaper() {
    for (int pid : pids) kill(-pid, SIGKILL);
  }
};

const std::string kInfer = R"({"inputs":[{"name":"x","datatype":"FP64","shape":[1],"data":[0.5]},)"
                           R"({"name":"color","datatype":"BYTES","shape":[1],"data":["red"]}]})";

bool Answers(int port) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(10);
  auto res = c.Post("/v2/models/shift/infer", kInfer, "application/json");
  return res && res->status == 200;
}

// The deployment's up process: its pid once /api/v1/serve says it is up
// and its port answers a prediction (0 if not within 60 s).
int UpPid(Server& s, int other_than = 0) {
  int pid = 0;
  Eventually([&] {
    json st = ServeEntry(s);
    if (!st.is_object() || st.value("state", "") != "up" || !st.value("up", false) ||
        st.value("replacing", true) || st.value("pid", 0) == other_than) {
      return false;
    }
    pid = st["pid"];
    return Answers(st["port"]);
  });
  return pid;
}

TEST(ServeSupervisorE2ETest, RestartsACrashHandsOverWithNoFailedRequestAndIsAdoptedAfterAServerKill) {
  Project p("serve_supervisor");
  WriteShiftPackage(p, "pkg", 0.0, 1);
  p.Write("deploy/shift.yaml",
          "deployment: shift\nmodel: shift\nvariants:\n  - {name: a, package: ../pkg, weight: 1}\n");
  ServeReaper reaper;
  const std::vector<std::string> args = {"--serve", "deploy/shift.yaml"};
  int port = 0;
  int third = 0;
  {
    Server s(p, args);
    ASSERT_GT(s.proc().port(), 0) << s.proc().Err();
    const int first = UpPid(s);
    ASSERT_GT(first, 0) << s.Text("/api/v1/serve") << p.Read(".mlpipe/server/serve-shift.log");
    reaper.pids.insert(first);
    port = ServeEntry(s)["port"];
    json endpoint = json::parse(p.Read(".mlpipe/serving/shift/endpoint.json"));
    EXPECT_EQ(endpoint["pid"], first);
    // Its own process group: the server's terminal signals do not reach it.
    EXPECT_EQ(getpgid(first), first);

    // A crash: refused (not hung) while it is down, then a new process on the same port.
    ASSERT_EQ(kill(first, SIGKILL), 0);
    ASSERT_TRUE(Eventually([&] { return !ProcessAlive(first); }));  // its sockets are closed
    {
      // Refused, or answered by the restarted process; never an accepted
      // connection left waiting (the read timeout is far above a restart).
      httplib::Client c("127.0.0.1", port);
      c.set_connection_timeout(5);
      c.set_read_timeout(30);
      auto res = c.Post("/v2/models/shift/infer", kInfer, "application/json");
      if (!res) {
        EXPECT_NE(res.error(), httplib::Error::ConnectionTimeout);
      }
    }
    const int second = UpPid(s, first);
    ASSERT_GT(second, 0) << s.Text("/api/v1/serve") << p.Read(".mlpipe/server/serve-shift.log");
    reaper.pids.insert(second);
    EXPECT_EQ(ServeEntry(s)["port"], port);
    const std::string metrics = s.Text("/metrics");
    EXPECT_TRUE(Contains(metrics, "mlpipe_serve_restarts_total{deployment=\"shift\"} 1")) << metrics;
    EXPECT_TRUE(Contains(metrics, "mlpipe_serve_up{deployment=\"shift\"} 1")) << metrics;

    // A hand-over under a client loop: no request fails, the pid changes.
    std::atomic<bool> stop{false};
    std::atomic<int> ok{0}, failed{0};
    std::string failure;
    std::thread load([&] {
      httplib::Client c("127.0.0.1", port);
      c.set_read_timeout(10);
      while (!stop) {
        auto res = c.Post("/v2/models/shift/infer", kInfer, "application/json");
        if (res && res->status == 200) {
          ++ok;
        } else {
          if (failed++ == 0) failure = res ? std::to_string(res->status) : httplib::to_string(res.error());
        }
      }
    });
    Eventually([&] { return ok > 20; });
    auto [code, body] = s.Post("/api/v1/deployments/shift/restart");
    EXPECT_EQ(code, 202) << body;
    third = UpPid(s, second);
    reaper.pids.insert(third);
    // The old one drains and exits; the load goes on a little on the new one.
    Eventually([&] { return !ProcessAlive(second); });
    const int before = ok;
    Eventually([&] { return ok > before + 20; });
    stop = true;
    load.join();
    EXPECT_GT(third, 0);
    EXPECT_FALSE(ProcessAlive(second));
    EXPECT_EQ(failed, 0) << "first failure: " << failure << " (" << ok << " answered)";
    EXPECT_TRUE(Contains(s.Text("/metrics"), "mlpipe_serve_restarts_total{deployment=\"shift\"} 2"));

    // The server dies hard; its serve process keeps serving.
    kill(s.proc().pid(), SIGKILL);
    WaitFor(s.proc().pid());
    EXPECT_TRUE(Answers(port));
  }
  // A new server adopts it: the same pid, no restart.
  Server s(p, args);
  ASSERT_GT(s.proc().port(), 0) << s.proc().Err();
  EXPECT_EQ(UpPid(s), third) << s.Text("/api/v1/serve");
  EXPECT_EQ(ServeEntry(s)["restarts"], 0);
  EXPECT_TRUE(Answers(port));

  // A clean stop leaves it serving too.
  EXPECT_EQ(s.proc().Stop(), 0);
  EXPECT_TRUE(ProcessAlive(third));
  EXPECT_TRUE(Answers(port));
}

TEST(ServeSupervisorE2ETest, StopOnExitStopsTheServeProcessAndABadServeFlagStartsNothing) {
  Project p("serve_supervisor_stop");
  WriteShiftPackage(p, "pkg", 0.0, 1);
  p.Write("deploy/shift.yaml",
          "deployment: shift\nmodel: shift\nvariants:\n  - {name: a, package: ../pkg, weight: 1}\n");
  auto bad = p.Mlpipe({"server", "--serve", "deploy/shift.yaml:http"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_TRUE(Contains(bad.err, "DEPLOYMENT[:PORT]")) << bad.err;
  auto missing = p.Mlpipe({"server", "--serve", "deploy/nosuch.yaml"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_TRUE(Contains(missing.err, "nosuch.yaml")) << missing.err;

  ServeReaper reaper;
  Server s(p, {"--serve", "deploy/shift.yaml", "--serve-stop-on-exit"});
  ASSERT_GT(s.proc().port(), 0) << s.proc().Err();
  const int pid = UpPid(s);
  ASSERT_GT(pid, 0) << s.Text("/api/v1/serve");
  reaper.pids.insert(pid);
  EXPECT_EQ(s.proc().Stop(), 0);
  EXPECT_TRUE(Eventually([&] { return !ProcessAlive(pid); }));
}

}  // namespace
}  // namespace mlpipe::e2e
