// GET /api/v1/runs/{id}/logs/{step}?stream=stdout|stderr&offset=N&attempt=N:
// a step's log from byte N, so that a client follows a running step by
// polling with the offset it has reached.
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>

#include "mlpipe/server/api_error.h"
#include "mlpipe/server/api_handlers.h"
#include "mlpipe/server/api_run_steps.h"

namespace mlpipe::server {
namespace {

// The most one answer carries; the client asks again from where it got to.
constexpr int64_t kMaxLogChunk = 4 << 20;

}  // namespace

Status RunLog(ApiContext& ctx, const ApiCall& call, serving::HttpResponse& response) {
  RETURN_IF_ERROR(call.query.CheckAllowed({"stream", "offset", "attempt"}));
  ASSIGN_OR_RETURN(const int64_t run_id, PathId(call.path[1], "run"));
  ASSIGN_OR_RETURN(const std::string stream, call.query.Choice("stream", "stdout", {"stdout", "stderr"}));
  ASSIGN_OR_RETURN(const int64_t offset, call.query.Int("offset", 0, 0, INT64_MAX));
  const std::string& step = call.path[3];
  ASSIGN_OR_RETURN(metadata::Execution e, FindStep(*ctx.db, run_id, step));
  if (e.status == metadata::ExecutionStatus::kCached || e.status == metadata::ExecutionStatus::kSkipped) {
    return NotFoundError(fmt::format(
        "step '{}' of run {} was {}{}; it wrote no logs", step, run_id, metadata::ToString(e.status),
        e.reused_from ? fmt::format(" (reused execution {})", *e.reused_from) : ""));
  }
  ASSIGN_OR_RETURN(const int64_t attempt,
                   call.query.Int("attempt", std::max(1, e.attempt), 1, std::max(1, e.attempt)));
  const std::string path = stream == "stdout"
                               ? ctx.ws->AttemptStdoutLog(run_id, step, static_cast<int>(attempt))
                               : ctx.ws->AttemptStderrLog(run_id, step, static_cast<int>(attempt));
  response.status = 200;
  response.content_type = "text/plain; charset=utf-8";
  response.body.clear();
  // A log file is made when its stream writes its first byte
  // (exec/log_capture.h): no file is an empty log, size 0, so far.
  struct stat st {};
  int64_t size = 0;
  if (stat(path.c_str(), &st) == 0) size = st.st_size;
  if (offset < size) {
    std::ifstream f(path, std::ios::binary);
    if (f) {
      f.seekg(offset);
      response.body.resize(static_cast<size_t>(std::min(size - offset, kMaxLogChunk)));
      f.read(response.body.data(), static_cast<std::streamsize>(response.body.size()));
      response.body.resize(static_cast<size_t>(f.gcount()));
    }
  }
  response.headers.emplace_back("X-Log-Size", std::to_string(size));
  response.headers.emplace_back("X-Log-Offset", std::to_string(offset));
  return OkStatus();
}

}  // namespace mlpipe::server
