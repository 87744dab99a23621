#include "mlpipe/ml/worker_pool.h"

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>

#include "mlpipe/base/strings.h"
#include "mlpipe/ml/line_protocol.h"

namespace mlpipe::ml {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr size_t kTailLines = 10;
constexpr int64_t kMaxBackoffNs = 10'000'000'000;

int64_t SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now().time_since_epoch()).count();
}

std::string SecondsText(int64_t ns) { return fmt::format("{:g}s", static_cast<double>(ns) / 1e9); }

// Milliseconds to wait in one poll: at most 100, so that an abort is seen soon.
int PollMs(int64_t deadline_ns) {
  const int64_t left = deadline_ns - SteadyNowNs();
  return static_cast<int>(std::clamp<int64_t>((left + 999'999) / 1'000'000, 0, 100));
}

Status WriteAll(int fd, std::string_view data, int64_t deadline_ns) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (SteadyNowNs() >= deadline_ns) return DeadlineExceededError("the worker does not read its stdin");
      pollfd p{fd, POLLOUT, 0};
      ::poll(&p, 1, PollMs(deadline_ns));
      continue;
    }
    return UnavailableError(fmt::format("its stdin is closed ({})", strerror(errno)));
  }
  return OkStatus();
}

}  // namespace

struct WorkerPool::Worker {
  enum class State { kStopped, kStarting, kIdle, kBusy, kDead };

  int index = 0;
  WorkerProcess proc;  // pid -1 while stopped
  State state = State::kStopped;
  std::string buffer;    // bytes read after the last whole line
  pid_t ready_pid = -1;  // proc.pid while idle or busy; read under the pool's mutex
  int failures = 0;      // launches failed in a row
  int64_t retry_at_ns = 0;

  std::thread err_thread;
  std::atomic<bool> err_stop{false};
  std::mutex tail_mu;
  std::deque<std::string> tail;  // the last lines of stderr

  std::string Tail() {
    std::lock_guard<std::mutex> lock(tail_mu);
    std::string out;
    for (const std::string& line : tail) out += "\n  " + line;
    return out;
  }
};

WorkerPool::WorkerPool(WorkerPoolOptions options)
    : options_(std::move(options)),
      launcher_(options_.launcher ? options_.launcher : &RealWorkerLauncher()) {}

StatusOr<std::unique_ptr<WorkerPool>> WorkerPool::Start(WorkerPoolOptions options) {
  if (options.command.argv.empty()) return InvalidArgumentError("predictor: no worker command");
  if (options.workers < 1 || options.workers > 64)
    return InvalidArgumentError("predictor: workers must be 1..64");
  if (options.startup_timeout_ns <= 0 || options.request_timeout_ns <= 0) {
    return InvalidArgumentError("predictor: timeouts must be positive");
  }
  std::unique_ptr<WorkerPool> pool(new WorkerPool(std::move(options)));
  for (int i = 0; i < pool->options_.workers; ++i) {
    pool->workers_.push_back(std::make_unique<Worker>());
    pool->workers_.back()->index = i;
  }
  // In parallel: a worker that loads a big model takes its time once, not N times.
  std::vector<Status> started(pool->workers_.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < pool->workers_.size(); ++i) {
    threads.emplace_back([&pool, &started, i] { started[i] = pool->Launch(*pool->workers_[i]); });
  }
  for (std::thread& t : threads) t.join();
  for (const Status& s : started) {
    if (!s.ok()) return s;  // the destructor stops the workers that did start
  }
  for (auto& w : pool->workers_) {
    w->state = Worker::State::kIdle;
    w->ready_pid = w->proc.pid;
  }
  pool->supervisor_ = std::thread([p = pool.get()] { p->Supervise(); });
  return pool;
}

WorkerPool::~WorkerPool() {
  stopping_ = true;
  { std::lock_guard<std::mutex> lock(mu_); }
  dead_cv_.notify_all();
  if (supervisor_.joinable()) supervisor_.join();
  // EOF on every worker's stdin at once, then one grace period for all.
  for (auto& w : workers_) {
    if (w->proc.io_fd >= 0) ::shutdown(w->proc.io_fd, SHUT_RDWR);
  }
  const int64_t deadline = SteadyNowNs() + options_.shutdown_grace_ns;
  for (auto& w : workers_) {
    if (w->proc.pid <= 0) continue;
    auto how = launcher_->Wait(w->proc.pid, std::max<int64_t>(0, deadline - SteadyNowNs()));
    if (!how)
      Log(fmt::format("predictor worker {}: still running {} after its stdin closed; killing it", w->proc.pid,
                      SecondsText(options_.shutdown_grace_ns)));
    Reap(*w, /*kill=*/!how.has_value());
  }
}

void WorkerPool::Log(const std::string& line) const {
  static std::mutex log_mu;  // one line at a time, whichever thread writes it
  std::lock_guard<std::mutex> lock(log_mu);
  if (options_.log) {
    options_.log(line);
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
}

Status WorkerPool::Launch(Worker& w) {
  auto proc = launcher_->Launch(options_.command);
  if (!proc.ok()) {
    return UnavailableError(fmt::format("cannot start the predictor worker ({}): {}",
                                        Join(options_.command.argv, " "), proc.status().message()));
  }
  w.proc = *proc;
  w.buffer.clear();
  w.err_stop = false;
  {
    std::lock_guard<std::mutex> lock(w.tail_mu);
    w.tail.clear();
  }
  const pid_t pid = w.proc.pid;
  const int err_fd = w.proc.err_fd;
  w.err_thread = std::thread([this, &w, pid, err_fd] {
    std::string partial;
    char buf[4096];
    auto emit = [&](std::string line) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      Log(fmt::format("predictor worker {}: {}", pid, line));
      std::lock_guard<std::mutex> lock(w.tail_mu);
      w.tail.push_back(std::move(line));
      if (w.tail.size() > kTailLines) w.tail.pop_front();
    };
    for (;;) {
      const bool stop = w.err_stop.load();
      pollfd p{err_fd, POLLIN, 0};
      const int r = ::poll(&p, 1, stop ? 0 : 50);
      if (r == 0) {
        if (stop) break;
        continue;
      }
      if (r < 0) {
        if (errno == EINTR) continue;
        break;
      }
      const ssize_t n = ::read(err_fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      partial.append(buf, static_cast<size_t>(n));
      for (size_t nl; (nl = partial.find('\n')) != std::string::npos;) {
        emit(partial.substr(0, nl));
        partial.erase(0, nl + 1);
      }
    }
    if (!partial.empty()) emit(partial);
  });

  // The ready line, skipping what is not a JSON object.
  std::string line;
  Status s = ReadAnswer(w, SteadyNowNs() + options_.startup_timeout_ns, &line);
  if (s.code() == StatusCode::kDeadlineExceeded) {
    s = DeadlineExceededError(
        fmt::format("it was not ready within {}", SecondsText(options_.startup_timeout_ns)));
  }
  if (s.code() == StatusCode::kUnavailable) s = UnavailableError("it ended before it was ready");
  if (s.ok()) s = ParseHandshake(line);
  if (s.ok()) return OkStatus();
  std::string how = Reap(w, /*kill=*/s.code() != StatusCode::kUnavailable);
  std::string tail = w.Tail();
  return FailedPreconditionError(fmt::format(
      "the predictor worker ({}, in {}) did not start: {} ({}){}", Join(options_.command.argv, " "),
      options_.command.cwd, s.message(), how, tail.empty() ? "" : "; its stderr ended with:" + tail));
}

std::string WorkerPool::Reap(Worker& w, bool kill) {
  std::string how = "not running";
  if (w.proc.pid > 0) {
    std::optional<std::string> ended;
    if (!kill) ended = launcher_->Wait(w.proc.pid, 200'000'000);  // it is exiting: give it a moment
    if (!ended) {
      launcher_->Signal(w.proc.pid, SIGKILL);
      ended = launcher_->Wait(w.proc.pid, 5'000'000'000);
    }
    how = ended.value_or("did not end after SIGKILL");
  }
  if (w.proc.io_fd >= 0) ::close(w.proc.io_fd);
  w.err_stop = true;  // the reader drains what is left, then ends
  if (w.err_thread.joinable()) w.err_thread.join();
  if (w.proc.err_fd >= 0) ::close(w.proc.err_fd);
  w.proc = WorkerProcess{};
  w.buffer.clear();
  return how;
}

std::string WorkerPool::Bury(Worker& w, bool kill) {
  const pid_t pid = w.proc.pid;
  {
    std::lock_guard<std::mutex> lock(mu_);
    w.ready_pid = -1;
  }
  std::string how = Reap(w, kill);
  Log(fmt::format("predictor worker {}: {} ({}); restarting it", pid, kill ? "killed" : "ended", how));
  {
    std::lock_guard<std::mutex> lock(mu_);
    w.state = Worker::State::kDead;
    w.retry_at_ns = SteadyNowNs();
  }
  dead_cv_.notify_all();
  return how;
}

StatusOr<WorkerPool::Worker*> WorkerPool::TakeIdle(int64_t deadline_ns) {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    for (auto& w : workers_) {
      if (w->state == Worker::State::kIdle) {
        w->state = Worker::State::kBusy;
        return w.get();
      }
    }
    idle_cv_.wait_for(lock, std::chrono::nanoseconds(deadline_ns - SteadyNowNs()));
    if (SteadyNowNs() >= deadline_ns) {
      int running = 0;
      for (auto& w : workers_)
        running += w->state == Worker::State::kIdle || w->state == Worker::State::kBusy;
      return UnavailableError(fmt::format("no predictor worker was free within {} ({} of {} running)",
                                          SecondsText(options_.request_timeout_ns), running,
                                          workers_.size()));
    }
  }
}

Status WorkerPool::ReadAnswer(Worker& w, int64_t deadline_ns, std::string* line) {
  for (;;) {
    const size_t nl = w.buffer.find('\n');
    if (nl != std::string::npos) {
      line->assign(w.buffer, 0, nl);
      w.buffer.erase(0, nl + 1);
      if (!IsStrayLine(*line)) return OkStatus();
      Log(fmt::format("predictor worker {} (stdout, not a JSON object, ignored): {}", w.proc.pid, *line));
      continue;
    }
    if (SteadyNowNs() >= deadline_ns) return DeadlineExceededError("no answer in time");
    if (stopping_) return CancelledError("the pool is stopping");
    pollfd p{w.proc.io_fd, POLLIN, 0};
    if (::poll(&p, 1, PollMs(deadline_ns)) <= 0) continue;
    char buf[65536];
    const ssize_t n = ::recv(w.proc.io_fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0) return UnavailableError("it closed its stdout");
    if (n > 0) w.buffer.append(buf, static_cast<size_t>(n));
  }
}

Status WorkerPool::Call(std::string_view request,
                        const std::function<Status(std::string_view answer)>& on_answer) {
  const int64_t deadline = SteadyNowNs() + options_.request_timeout_ns;
  for (;;) {
    ASSIGN_OR_RETURN(Worker * w, TakeIdle(deadline));
    // Only this thread touches *w until it is idle or dead again.
    const pid_t pid = w->proc.pid;
    Status s = WriteAll(w->proc.io_fd, request, deadline);
    if (s.code() == StatusCode::kUnavailable) {
      Bury(*w, /*kill=*/false);  // it died while idle: the request never reached it, another worker takes it
      continue;
    }
    std::string line;
    if (s.ok()) s = ReadAnswer(*w, deadline, &line);
    if (s.code() == StatusCode::kDeadlineExceeded) {
      Bury(*w, /*kill=*/true);
      return DeadlineExceededError(fmt::format(
          "the predictor worker (pid {}) did not answer within {}; it was killed and is being restarted", pid,
          SecondsText(options_.request_timeout_ns)));
    }
    if (!s.ok()) {
      std::string how = Bury(*w, /*kill=*/false);
      return UnavailableError(
          fmt::format("the predictor worker (pid {}) ended while answering ({}; {}); it is being restarted "
                      "(see the server log)",
                      pid, how, s.message()));
    }
    Status answer = on_answer(line);
    if (answer.code() == StatusCode::kDataLoss) {
      Bury(*w, /*kill=*/true);
      return answer;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      w->state = Worker::State::kIdle;
    }
    idle_cv_.notify_one();
    return answer;
  }
}

void WorkerPool::Supervise() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    Worker* next = nullptr;
    for (auto& w : workers_) {
      if (w->state == Worker::State::kDead && (next == nullptr || w->retry_at_ns < next->retry_at_ns))
        next = w.get();
    }
    if (next == nullptr) {
      dead_cv_.wait(lock);
      continue;
    }
    if (SteadyNowNs() < next->retry_at_ns) {
      dead_cv_.wait_for(lock, std::chrono::nanoseconds(next->retry_at_ns - SteadyNowNs()));
      continue;
    }
    next->state = Worker::State::kStarting;
    lock.unlock();
    Status s = Launch(*next);
    lock.lock();
    if (s.ok()) {
      next->state = Worker::State::kIdle;
      next->ready_pid = next->proc.pid;
      next->failures = 0;
      ++restarts_;
      const pid_t pid = next->proc.pid;
      lock.unlock();
      Log(fmt::format("predictor worker {}: restarted and ready", pid));
      idle_cv_.notify_all();
      lock.lock();
      continue;
    }
    next->state = Worker::State::kDead;
    ++next->failures;
    const int64_t backoff =
        std::min(kMaxBackoffNs, options_.restart_backoff_ns << std::min(next->failures - 1, 20));
    next->retry_at_ns = SteadyNowNs() + backoff;
    if (stopping_) break;
    lock.unlock();
    Log(fmt::format("{}; trying again in {}", s.message(), SecondsText(backoff)));
    lock.lock();
  }
}

int WorkerPool::ready() const {
  std::lock_guard<std::mutex> lock(mu_);
  int n = 0;
  for (const auto& w : workers_) n += w->state == Worker::State::kIdle || w->state == Worker::State::kBusy;
  return n;
}

std::vector<pid_t> WorkerPool::pids() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<pid_t> out;
  for (const auto& w : workers_) out.push_back(w->ready_pid);
  return out;
}

}  // namespace mlpipe::ml
