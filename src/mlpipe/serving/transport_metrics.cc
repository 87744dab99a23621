#include "mlpipe/serving/transport_metrics.h"

#include <dirent.h>
#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <vector>

namespace mlpipe::serving {
namespace {

template <class Number>
void Family(std::string* out, const char* name, const char* type, const char* help, Number value) {
  fmt::format_to(std::back_inserter(*out), "# HELP {0} {1}\n# TYPE {0} {2}\n{0} {3}\n", name, help, type,
                 value);
}

// The fields of /proc/self/stat after the command name (field 3 on), which
// may itself hold spaces and parentheses.
std::vector<std::string> StatFields() {
  std::ifstream in("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = text.rfind(')');
  std::vector<std::string> fields;
  if (close == std::string::npos) return fields;
  std::istringstream rest(text.substr(close + 1));
  for (std::string f; rest >> f;) fields.push_back(f);
  return fields;
}

// The boot time from /proc/stat ("btime SECONDS").
std::optional<int64_t> BootTime() {
  std::ifstream in("/proc/stat");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("btime ", 0) == 0) return std::stoll(line.substr(6));
  }
  return std::nullopt;
}

std::optional<int64_t> OpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return std::nullopt;
  int64_t n = 0;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n - 1;  // the directory stream's own descriptor
}

}  // namespace

void AppendHttpMetrics(const HttpServerStats& s, std::string* out) {
  Family(out, "mlpipe_http_open_connections", "gauge", "Client connections open now (idle ones included)",
         s.open_connections);
  Family(out, "mlpipe_http_max_connections", "gauge", "Open connections beyond which new ones get 503",
         s.max_connections);
  Family(out, "mlpipe_http_queued_requests", "gauge", "Requests read whole and waiting for a worker",
         s.queued_requests);
  Family(out, "mlpipe_http_max_queued_requests", "gauge", "Waiting requests beyond which new ones get 503",
         s.max_queued_requests);
  Family(out, "mlpipe_http_busy_workers", "gauge", "Workers running a request handler now", s.busy_workers);
  Family(out, "mlpipe_http_workers", "gauge", "Workers in the pool that runs request handlers", s.workers);
  Family(out, "mlpipe_http_streams", "gauge", "Streamed answers (server-sent events) being written now",
         s.streams);
  Family(out, "mlpipe_http_requests_total", "counter", "Requests read whole since the server started",
         s.requests_total);
  Family(out, "mlpipe_http_rejected_connections_total", "counter",
         "Connections answered 503 because max_connections were open", s.rejected_connections_total);
  Family(out, "mlpipe_http_rejected_requests_total", "counter",
         "Requests answered 503 because the worker queue was full", s.rejected_requests_total);
  Family(out, "mlpipe_http_request_timeouts_total", "counter",
         "Requests not received whole within the request timeout (answered 408 or closed)",
         s.request_timeouts_total);
}

void AppendProcessMetrics(std::string* out) {
  const std::vector<std::string> f = StatFields();
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  // Field numbers of proc(5) minus 3: utime 14, stime 15, starttime 22, vsize 23, rss 24.
  if (f.size() > 21 && ticks > 0) {
    // getrusage, not /proc's clock ticks: a process that has used less than
    // a tick (10 ms) would show 0.
    struct rusage usage {};
    ::getrusage(RUSAGE_SELF, &usage);
    auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    Family(out, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.",
           seconds(usage.ru_utime) + seconds(usage.ru_stime));
    Family(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", std::stod(f[20]));
    Family(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
           std::stod(f[21]) * page);
    if (auto boot = BootTime()) {
      Family(out, "process_start_time_seconds", "gauge",
             "Start time of the process since unix epoch in seconds.",
             static_cast<double>(*boot) + std::stod(f[19]) / ticks);
    }
  }
  if (auto fds = OpenFds()) {
    Family(out, "process_open_fds", "gauge", "Number of open file descriptors.", *fds);
  }
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    Family(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.",
           lim.rlim_cur == RLIM_INFINITY ? -1.0 : static_cast<double>(lim.rlim_cur));
  }
}

}  // namespace mlpipe::serving
