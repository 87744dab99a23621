#include "mlpipe/exec/slurm_client.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <charconv>

#include "mlpipe/base/strings.h"
#include "mlpipe/exec/run_tool.h"

namespace mlpipe::exec {
namespace {

// "sbatch: error: invalid partition specified: nosuch" -> that line.
std::string ToolError(const std::string& tool, const ToolResult& r) {
  std::string text(Trim(r.err.empty() ? r.out : r.err));
  if (text.empty()) text = fmt::format("exit {}", r.exit_code);
  return fmt::format("{} failed: {}", tool, text);
}

}  // namespace

bool IsFinalSlurmState(const std::string& state) {
  return !(state == "PENDING" || state == "RUNNING" || state == "COMPLETING" || state == "CONFIGURING" ||
           state == "SUSPENDED" || state == "REQUEUED" || state == "REQUEUE_HOLD" || state == "REQUEUE_FED" ||
           state == "RESIZING" || state == "SIGNALING" || state == "STAGE_OUT" || state == "STOPPED" ||
           state == "RESV_DEL_HOLD");
}

std::vector<SlurmJobState> ParseSqueue(const std::string& text) {
  std::vector<SlurmJobState> out;
  for (const std::string& line : Split(text, '\n')) {
    std::vector<std::string> f = Split(line, '|');
    for (std::string& field : f) field = std::string(Trim(field));
    if (f.size() < 4 || f[0].empty()) continue;
    SlurmJobState s;
    s.id = f[0];
    s.state = f[1];
    s.reason = f[2];
    int status = -1;
    if (std::from_chars(f[3].data(), f[3].data() + f[3].size(), status).ec == std::errc())
      s.wait_status = status;
    out.push_back(std::move(s));
  }
  return out;
}

StatusOr<std::string> RealSlurmClient::Submit(const std::vector<std::string>& args,
                                              const std::string& script) {
  std::vector<std::string> argv = {"sbatch", "--parsable"};
  argv.insert(argv.end(), args.begin(), args.end());
  ASSIGN_OR_RETURN(ToolResult r, RunTool(argv, script));
  if (!r.ok()) return UnavailableError(ToolError("sbatch", r));
  // "123" or "123;cluster".
  std::string id(Trim(std::string_view(r.out).substr(0, r.out.find(';'))));
  if (id.empty()) return InternalError("sbatch printed no job id");
  return id;
}

StatusOr<std::vector<SlurmJobState>> RealSlurmClient::Query(const std::vector<std::string>& ids) {
  if (ids.empty()) return std::vector<SlurmJobState>{};
  ASSIGN_OR_RETURN(ToolResult r,
                   RunTool({"squeue", "-h", "-t", "all", "-j", fmt::format("{}", fmt::join(ids, ",")), "-O",
                            "JobID:|,State:|,Reason:|,exit_code:|"}));
  // squeue fails when one of the ids is unknown to it ("Invalid job id
  // specified"); the others are then asked one by one.
  if (!r.ok() && ids.size() > 1 && r.err.find("Invalid job id") != std::string::npos) {
    std::vector<SlurmJobState> all;
    for (const std::string& id : ids) {
      ASSIGN_OR_RETURN(auto one, Query({id}));
      all.insert(all.end(), one.begin(), one.end());
    }
    return all;
  }
  if (!r.ok() && r.err.find("Invalid job id") != std::string::npos) return std::vector<SlurmJobState>{};
  if (!r.ok()) return UnavailableError(ToolError("squeue", r));
  return ParseSqueue(r.out);
}

StatusOr<std::vector<std::string>> SlurmPartitions() {
  auto r = RunTool({"sinfo", "-h", "-o", "%P"});
  if (!r.ok()) return UnavailableError(fmt::format("cannot run sinfo: {}", r.status().message()));
  if (!r->ok()) return UnavailableError(ToolError("sinfo", *r));
  std::vector<std::string> out;
  for (const std::string& text : Split(r->out, '\n')) {
    std::string line(Trim(text));
    if (line.empty()) continue;
    if (line.back() == '*') {  // the default partition
      line.pop_back();
      out.insert(out.begin(), line);
    } else {
      out.push_back(line);
    }
  }
  return out;
}

Status RealSlurmClient::Cancel(const std::vector<std::string>& ids) {
  if (ids.empty()) return OkStatus();
  std::vector<std::string> argv = {"scancel"};
  argv.insert(argv.end(), ids.begin(), ids.end());
  ASSIGN_OR_RETURN(ToolResult r, RunTool(argv));
  if (!r.ok()) return UnavailableError(ToolError("scancel", r));
  return OkStatus();
}

}  // namespace mlpipe::exec
