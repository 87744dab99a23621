// The transport's and the process's Prometheus series, shared by both
// /metrics pages (`mlpipe serve`'s and `mlpipe server`'s): one renderer, so
// the two cannot disagree on names or meaning.
#pragma once

#include <string>

#include "mlpipe/serving/http_server.h"

namespace mlpipe::serving {

// Appends the mlpipe_http_* families (open connections, queued requests,
// busy workers, requests, rejected connections and requests, request
// timeouts, the bounds in force) in Prometheus' text format.
void AppendHttpMetrics(const HttpServerStats& stats, std::string* out);

// Appends the standard process_* families read from /proc/self
// (process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_max_fds,
// process_start_time_seconds). A value that cannot be read is left out.
void AppendProcessMetrics(std::string* out);

}  // namespace mlpipe::serving
