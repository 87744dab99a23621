// A running `mlpipe serve` (or `mlpipe server`, with command "server") for
// end-to-end tests: started in a project, its port read from "listening on
// ...", SIGKILLed at destruction if still up.
#pragma once

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/e2e_util.h"

namespace mlpipe::e2e {

// Waits up to `seconds` for `done()`, checking every 50 ms.
template <typename F>
bool Eventually(F done, int seconds = 60) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

class ServeProcess {
 public:
  // Runs `mlpipe serve ARGS... --port 0` in the project and waits (up to 60 s)
  // until it listens; port() stays 0 if it never does.
  ServeProcess(const Project& p, std::vector<std::string> args, const std::string& command = "serve")
      : out_(p.Path("." + command + ".out")), err_(p.Path("." + command + ".err")) {
#if defined(__SANITIZE_ADDRESS__)
    // ASan keeps freed memory in a quarantine (256 MB by default): RSS then
    // grows with every request, which is not what the RSS checks measure.
    // (The child inherits the environment.)
    const char* asan = std::getenv("ASAN_OPTIONS");
    std::string options = asan != nullptr && *asan != '\0' ? std::string(asan) + ":" : std::string();
    setenv("ASAN_OPTIONS", (options + "quarantine_size_mb=0:thread_local_quarantine_size_kb=0").c_str(), 1);
#endif
    args.insert(args.begin(), command);
    args.insert(args.end(), {"--port", "0"});
    // A restarted server must not be taken for the last one's "listening".
    std::remove(out_.c_str());
    pid_ = p.StartMlpipe(args, out_, err_);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    const std::string listening = "listening on http://";
    while (std::chrono::steady_clock::now() < deadline && port_ == 0 && ProcessAlive(pid_)) {
      std::ifstream f(out_);
      std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
      auto at = text.find(listening);
      if (at != std::string::npos && text.find('\n', at) != std::string::npos) {
        const size_t colon = text.find(':', at + listening.size());
        port_ = std::stoi(text.substr(colon + 1));
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  }
  ~ServeProcess() {
    if (pid_ > 0 && ProcessAlive(pid_)) {
      kill(pid_, SIGKILL);
      WaitFor(pid_);
    }
  }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  int port() const { return port_; }
  // Its stdout so far.
  std::string Out() const {
    std::ifstream f(out_);
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  }
  int pid() const { return pid_; }
  // Its stderr so far (the log).
  std::string Err() const {
    std::ifstream f(err_);
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  }
  // SIGTERM, then the exit code.
  int Stop() {
    kill(pid_, SIGTERM);
    int code = WaitFor(pid_);
    pid_ = 0;
    return code;
  }

 private:
  std::string out_, err_;
  int pid_ = 0;
  int port_ = 0;
};

}  // namespace mlpipe::e2e
