#include "mlpipe/ml/worker_pool.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "mlpipe/ml/test_data.h"
#include "mlpipe/ml/test_worker.h"

namespace mlpipe::ml {
namespace {

using namespace std::chrono_literals;

bool Alive(pid_t pid) { return pid > 0 && ::kill(pid, 0) == 0; }

class WorkerPoolTest : public testing::TestDirFixture {
 protected:
  void SetUp() override {
    TestDirFixture::SetUp();
    testing::WriteTestWorker(dir_);
  }

  WorkerPoolOptions Options(const std::string& mode, int workers = 1) {
    WorkerPoolOptions o;
    o.command.argv = {"python3", "worker.py", mode};
    o.command.cwd = dir_.string();
    o.workers = workers;
    o.startup_timeout_ns = 30'000'000'000;
    o.request_timeout_ns = 20'000'000'000;
    o.restart_backoff_ns = 10'000'000;
    o.launcher = &launcher_;
    o.log = [this](const std::string& line) {
      std::lock_guard<std::mutex> lock(log_mu_);
      log_.push_back(line);
    };
    return o;
  }

  // One request with column x; the answer's JSON, or the error.
  StatusOr<nlohmann::json> Ask(WorkerPool& pool, const std::vector<double>& xs, int64_t id = 1) {
    nlohmann::json req = {{"id", id}, {"rows", xs.size()}, {"columns", {{"x", xs}}}};
    nlohmann::json answer;
    Status s = pool.Call(req.dump() + "\n", [&](std::string_view line) {
      answer = nlohmann::json::parse(line);
      return OkStatus();
    });
    if (!s.ok()) return s;
    return answer;
  }

  bool Logged(const std::string& needle) {
    std::lock_guard<std::mutex> lock(log_mu_);
    for (const auto& l : log_) {
      if (l.find(needle) != std::string::npos) return true;
    }
    return false;
  }

  // Waits (up to 30 s) until the pool has `n` ready workers.
  void WaitReady(const WorkerPool& pool, int n) {
    for (int i = 0; i < 3000 && pool.ready() < n; ++i) std::this_thread::sleep_for(10ms);
    ASSERT_EQ(pool.ready(), n);
  }

  testing::FaultyLauncher launcher_;
  std::mutex log_mu_;
  std::vector<std::string> log_;
};

TEST_F(WorkerPoolTest, StartsWorkersThatAnswerRequests) {
  auto pool = WorkerPool::Start(Options("ok", 2));
  ASSERT_TRUE(pool.ok()) << pool.status().ToString();
  EXPECT_EQ((*pool)->workers(), 2);
  EXPECT_EQ((*pool)->ready(), 2);
  auto a = Ask(**pool, {0.0, 2.0}, 7);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ((*a)["id"], 7);
  ASSERT_EQ((*a)["probabilities"].size(), 2u);
  EXPECT_DOUBLE_EQ((*a)["probabilities"][0][1].get<double>(), 0.5);
  // The banner on stdout is no answer: it is logged and skipped; stderr goes to the log.
  EXPECT_TRUE(Logged("a library banner on stdout"));
  EXPECT_TRUE(Logged("worker ready"));
}

TEST_F(WorkerPoolTest, ManyThreadsShareThePool) {
  auto pool = WorkerPool::Start(Options("ok", 2));
  ASSERT_TRUE(pool.ok()) << pool.status().ToString();
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        const int64_t id = t * 100 + i;
        auto a = Ask(**pool, {static_cast<double>(i)}, id);
        if (!a.ok() || (*a)["id"] != id) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ((*pool)->restarts(), 0);
}

TEST_F(WorkerPoolTest, AWorkerThatExitsBeforeReadyIsAClearError) {
  auto pool = WorkerPool::Start(Options("fail_start"));
  ASSERT_FALSE(pool.ok());
  EXPECT_EQ(pool.status().code(), StatusCode::kFailedPrecondition);
  const std::string m = pool.status().message();
  EXPECT_NE(m.find("did not start"), std::string::npos) << m;
  EXPECT_NE(m.find("exit 3"), std::string::npos) << m;
  EXPECT_NE(m.find("cannot load model.pkl: no such file"), std::string::npos) << m;
}

TEST_F(WorkerPoolTest, AWorkerNotReadyInTimeIsKilled) {
  WorkerPoolOptions o = Options("never_ready");
  o.startup_timeout_ns = 300'000'000;
  auto pool = WorkerPool::Start(o);
  ASSERT_FALSE(pool.ok());
  EXPECT_NE(pool.status().message().find("not ready within 0.3s"), std::string::npos)
      << pool.status().ToString();
  ASSERT_EQ(launcher_.pids().size(), 1u);
  EXPECT_FALSE(Alive(launcher_.pids()[0]));
}

TEST_F(WorkerPoolTest, AWrongFirstLineIsRefused) {
  auto pool = WorkerPool::Start(Options("wrong_hello"));
  ASSERT_FALSE(pool.ok());
  EXPECT_NE(pool.status().message().find(R"(first line must be {"ready": true})"), std::string::npos)
      << pool.status().ToString();
}

TEST_F(WorkerPoolTest, AProgramThatCannotRunIsUnavailable) {
  WorkerPoolOptions o = Options("ok");
  o.command.argv = {"no-such-interpreter-xyz", "worker.py"};
  o.launcher = nullptr;  // the real launcher's own error
  auto pool = WorkerPool::Start(o);
  ASSERT_FALSE(pool.ok());
  EXPECT_EQ(pool.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(pool.status().message().find("no-such-interpreter-xyz"), std::string::npos)
      << pool.status().ToString();
}

TEST_F(WorkerPoolTest, ARequestOnAWorkerThatDiesFailsAndTheWorkerIsRestarted) {
  auto pool = WorkerPool::Start(Options("ok"));
  ASSERT_TRUE(pool.ok()) << pool.status().ToString();
  const pid_t first = (*pool)->pids()[0];
  auto died = Ask(**pool, {1.0, -999.0});
  ASSERT_FALSE(died.ok());
  EXPECT_EQ(died.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(died.status().message().find("exit 9"), std::string::npos) << died.status().ToString();
  // The next request waits for the restarted worker.
  auto next = Ask(**pool, {1.0});
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ((*pool)->restarts(), 1);
  EXPECT_NE((*pool)->pids()[0], first);
  EXPECT_FALSE(Alive(first));
}

TEST_F(WorkerPoolTest, AWorkerKilledWhileIdleCostsNoRequest) {
  auto pool = WorkerPool::Start(Options("ok"));
  ASSERT_TRUE(pool.ok()) << pool.status().ToString();
  const pid_t first = (*pool)->pids()[0];
  ASSERT_EQ(::kill(first, SIGKILL), 0);
  std::this_thread::sleep_for(50ms);  // it is gone before the request is written
  auto a = Ask(**pool, {0.0});
  ASSERT_TRUE(a.ok()) << a.status().ToString();  // written to the restarted worker
  EXPECT_EQ((*pool)->restarts(), 1);
}

TEST_F(WorkerPoolTest, AWorkerThatDoesNotAnswerInTimeIsKilledAndRestarted) {
  WorkerPoolOptions o = Options("ok");
  o.request_timeout_ns = 500'000'000;
  auto pool = WorkerPool::Start(o);
  ASSERT_TRUE(pool.ok()) << pool.status().ToString();
  const pid_t first = (*pool)->pids()[0];
  auto hung = Ask(**pool, {-888.0});
  ASSERT_FALSE(hung.ok());
  EXPECT_EQ(hung.status().code(), StatusCode::kDeadlineExceeded) << hung.status().ToString();
  EXPECT_FALSE(Alive(first));
  WaitReady(**pool, 1);
  EXPECT_TRUE(Ask(**pool, {0.0}).ok());
}

TEST_F(WorkerPoolTest, ABrokenAnswerRestartsTheWorkerButAnErrorAnswerDoesNot) {
  auto pool = WorkerPool::Start(Options("ok"));
  ASSERT_TRUE(pool.ok()) << pool.status().ToString();
  // An answer the caller finds broken (DataLoss): the worker is not trusted again.
  Status s = (*pool)->Call("{\"id\":1,\"rows\":1,\"columns\":{\"x\":[-666]}}\n", [](std::string_view line) {
    return line.rfind("{broken", 0) == 0 ? DataLossError("broken") : OkStatus();
  });
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  WaitReady(**pool, 1);
  EXPECT_EQ((*pool)->restarts(), 1);
  // An error the worker reports is an answer like any other.
  auto e = Ask(**pool, {-777.0});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)["error"], "x = -777 is not allowed");
  EXPECT_EQ((*pool)->restarts(), 1);
}

TEST_F(WorkerPoolTest, FailedRestartsAreRetried) {
  // Launch 1 starts the pool; 2 and 3 (the first restarts) fail; 4 works.
  launcher_.FailLaunches({2, 3});
  auto pool = WorkerPool::Start(Options("ok"));
  ASSERT_TRUE(pool.ok()) << pool.status().ToString();
  EXPECT_FALSE(Ask(**pool, {-999.0}).ok());
  WaitReady(**pool, 1);
  EXPECT_EQ(launcher_.launches(), 4);
  EXPECT_EQ((*pool)->restarts(), 1);
  EXPECT_TRUE(Logged("injected launch failure"));
  EXPECT_TRUE(Ask(**pool, {0.0}).ok());
}

TEST_F(WorkerPoolTest, ShutdownEndsEveryWorker) {
  WorkerPoolOptions o = Options("ok", 2);
  std::vector<pid_t> pids;
  {
    auto pool = WorkerPool::Start(o);
    ASSERT_TRUE(pool.ok()) << pool.status().ToString();
    pids = (*pool)->pids();
  }
  ASSERT_EQ(pids.size(), 2u);
  for (pid_t p : pids) EXPECT_FALSE(Alive(p)) << p;
  EXPECT_FALSE(Logged("killing it"));  // they ended on their own at EOF
}

TEST_F(WorkerPoolTest, AWorkerThatIgnoresEndOfInputIsKilledAfterTheGrace) {
  WorkerPoolOptions o = Options("ignore_eof");
  o.shutdown_grace_ns = 200'000'000;
  pid_t pid = -1;
  {
    auto pool = WorkerPool::Start(o);
    ASSERT_TRUE(pool.ok()) << pool.status().ToString();
    pid = (*pool)->pids()[0];
  }
  EXPECT_FALSE(Alive(pid));
  EXPECT_TRUE(Logged("killing it"));
}

}  // namespace
}  // namespace mlpipe::ml
