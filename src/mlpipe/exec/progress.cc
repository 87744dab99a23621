#include "mlpipe/exec/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string_view>

#include "mlpipe/base/strings.h"

namespace mlpipe::exec {

ProgressMode DetectProgressMode(int fd) {
  const char* term = getenv("TERM");
  if (isatty(fd) == 1 && term != nullptr && std::string_view(term) != "dumb") return ProgressMode::kTerminal;
  return ProgressMode::kPlain;
}

std::vector<std::string> TailLines(const std::string& path, int n) {
  std::vector<std::string> lines;
  if (n <= 0) return lines;
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return lines;
  std::streamoff size = in.tellg();
  std::streamoff start = std::max<std::streamoff>(0, size - 64 * 1024);
  in.seekg(start);
  std::string data(static_cast<size_t>(size - start), '\0');
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  data.resize(static_cast<size_t>(in.gcount()));
  lines = Split(data, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  if (start > 0 && !lines.empty()) lines.erase(lines.begin());  // probably a partial line
  if (static_cast<int>(lines.size()) > n) lines.erase(lines.begin(), lines.end() - n);
  return lines;
}

std::string FailureMessage(const std::string& reason, const CommandResult* result,
                           const std::vector<std::string>& stderr_tail) {
  const bool exited = result != nullptr && result->exit_code > 0 && result->term_signal == 0 &&
                      !result->timed_out && !result->cancelled && result->error.empty();
  if (exited) {
    for (auto it = stderr_tail.rbegin(); it != stderr_tail.rend(); ++it) {
      std::string_view line = Trim(*it);
      if (!line.empty()) return std::string(line);
    }
  }
  return reason;
}

std::string FormatSummaryTable(const JobGraph& graph, const RunOutcome& outcome) {
  std::vector<std::vector<std::string>> rows = {{"step", "status", "attempts", "duration", "reason"}};
  for (size_t i = 0; i < outcome.jobs.size() && i < graph.jobs.size(); ++i) {
    const JobOutcome& j = outcome.jobs[i];
    bool ran = j.attempts > 0 && j.state != JobState::kCached;
    rows.push_back({graph.jobs[i].name, std::string(JobStateName(j.state)), std::to_string(j.attempts),
                    ran ? FormatDuration(j.wall_ns) : "-", j.reason});
  }
  std::vector<size_t> width(5, 0);
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::string table;
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      line += c + 1 < row.size() ? fmt::format("{:<{}}  ", row[c], width[c]) : row[c];
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    table += line + "\n";
  }
  std::vector<std::string> totals;
  for (JobState s : {JobState::kSucceeded, JobState::kCached, JobState::kFailed, JobState::kSkipped,
                     JobState::kCancelled}) {
    int n = outcome.Count(s);
    if (n > 0) totals.push_back(fmt::format("{} {}", n, JobStateName(s)));
  }
  if (totals.empty()) totals.push_back("nothing to do");
  table += fmt::format("{} in {}{}\n", Join(totals, ", "), FormatDuration(outcome.wall_ns),
                       outcome.interrupted ? " (interrupted)" : "");
  return table;
}

ProgressPrinter::ProgressPrinter(std::ostream& out, ProgressOptions options)
    : out_(out), options_(options), clock_(options.clock != nullptr ? options.clock : &RealClock()) {}

std::string ProgressPrinter::Name(int job) const {
  if (graph_ != nullptr && job >= 0 && job < total_) return graph_->jobs[job].name;
  return fmt::format("#{}", job);
}

void ProgressPrinter::OnRunStarted(const JobGraph& graph) {
  graph_ = &graph;
  total_ = static_cast<int>(graph.jobs.size());
}

void ProgressPrinter::PrintLine(const std::string& line) { out_ << line << '\n'; }

void ProgressPrinter::ClearLive() {
  if (live_lines_ > 0) out_ << "\x1b[" << live_lines_ << "A\r\x1b[J";
  live_lines_ = 0;
}

void ProgressPrinter::DrawLive() {
  int64_t now = clock_->MonotonicNanos();
  std::vector<std::pair<int, int>> order;  // (start index, job)
  for (const auto& [job, live] : running_) order.emplace_back(live.index, job);
  std::sort(order.begin(), order.end());
  for (const auto& [index, job] : order) {
    int64_t elapsed = now - running_[job].started_ns;
    out_ << "\x1b[2K"
         << fmt::format("[{}/{}] {} {}", index, total_, Name(job),
                        FormatDuration(std::max<int64_t>(0, elapsed)))
         << '\n';
  }
  live_lines_ = static_cast<int>(order.size());
}

void ProgressPrinter::PrintJson(const JobEvent& event) {
  nlohmann::json j;
  j["event"] = std::string(JobEventKindName(event.kind));
  j["step"] = Name(event.job);
  j["attempt"] = event.attempt;
  if (event.kind == JobEvent::Kind::kStarted) {
    j["index"] = start_index_[event.job];
    j["total"] = total_;
  } else {
    j["finished"] = finished_;
    j["total"] = total_;
  }
  if (!event.reason.empty()) j["reason"] = event.reason;
  if (event.kind == JobEvent::Kind::kRetrying) j["retry_after_ns"] = event.retry_after_ns;
  if (event.result != nullptr) {
    j["wall_ns"] = event.wall_ns;
    j["exit_code"] = event.result->exit_code;
    if (event.result->term_signal != 0) j["signal"] = event.result->term_signal;
    if (event.result->timed_out) j["timed_out"] = true;
    j["cpu_ns"] = event.result->cpu_ns;
    j["max_rss_bytes"] = event.result->max_rss_bytes;
  }
  if (event.kind == JobEvent::Kind::kFailed) {
    auto path = stderr_paths_.find(event.job);
    std::vector<std::string> tail;
    if (path != stderr_paths_.end() && !path->second.empty())
      tail = TailLines(path->second, options_.stderr_tail_lines);
    j["error"] = FailureMessage(event.reason, event.result, tail);
    j["stderr_tail"] = tail;
  }
  out_ << j.dump() << '\n';
}

void ProgressPrinter::OnEvent(const JobEvent& event) {
  using Kind = JobEvent::Kind;
  if (event.kind == Kind::kReady) return;
  bool final_event = event.kind != Kind::kStarted && event.kind != Kind::kRetrying;
  if (event.kind == Kind::kStarted) {
    // A retry keeps its step's index: counters count steps, not attempts.
    auto [index, first] = start_index_.emplace(event.job, started_ + 1);
    if (first) ++started_;
    running_[event.job] = Live{index->second, clock_->MonotonicNanos()};
    if (event.command != nullptr) stderr_paths_[event.job] = event.command->stderr_path;
  } else {
    running_.erase(event.job);
  }
  if (final_event) ++finished_;

  if (options_.mode == ProgressMode::kJson) {
    PrintJson(event);
    out_.flush();
    return;
  }
  bool terminal = options_.mode == ProgressMode::kTerminal;
  if (terminal) ClearLive();
  const std::string name = Name(event.job);
  const std::string counter =
      fmt::format("[{}/{}]", final_event ? finished_ : start_index_[event.job], total_);
  switch (event.kind) {
    case Kind::kStarted:
      // On a terminal the live region already shows it.
      if (!terminal) {
        PrintLine(event.attempt > 1 ? fmt::format("{} started {} (attempt {})", counter, name, event.attempt)
                                    : fmt::format("{} started {}", counter, name));
      }
      break;
    case Kind::kRetrying:
      PrintLine(fmt::format("{} attempt {} failed: {}; retrying in {}", name, event.attempt, event.reason,
                            FormatDuration(event.retry_after_ns)));
      break;
    case Kind::kSucceeded:
      PrintLine(fmt::format("{} {} succeeded in {}", counter, name, FormatDuration(event.wall_ns)));
      break;
    case Kind::kFailed: {
      PrintLine(fmt::format("{} {} failed: {}", counter, name, event.reason));
      auto it = stderr_paths_.find(event.job);
      if (it != stderr_paths_.end() && !it->second.empty()) {
        for (const std::string& line : TailLines(it->second, options_.stderr_tail_lines))
          PrintLine("    " + line);
      }
      break;
    }
    case Kind::kCached:
      PrintLine(event.reason.empty() ? fmt::format("{} {} cached", counter, name)
                                     : fmt::format("{} {} cached: {}", counter, name, event.reason));
      break;
    case Kind::kSkipped:
      PrintLine(fmt::format("{} {} skipped: {}", counter, name, event.reason));
      break;
    case Kind::kCancelled:
      PrintLine(fmt::format("{} {} cancelled: {}", counter, name, event.reason));
      break;
    case Kind::kReady:
      break;
  }
  if (terminal) DrawLive();
  out_.flush();
}

void ProgressPrinter::PrintNote(const std::string& line) {
  const bool terminal = options_.mode == ProgressMode::kTerminal;
  if (terminal) ClearLive();
  PrintLine(line);
  if (terminal) DrawLive();
  out_.flush();
}

void ProgressPrinter::OnTick(int64_t now_mono_ns) {
  if (options_.mode != ProgressMode::kTerminal) return;
  ClearLive();
  DrawLive();
  out_.flush();
}

void ProgressPrinter::OnRunFinished(const RunOutcome& outcome) {
  if (options_.mode == ProgressMode::kTerminal) ClearLive();
  if (!options_.summary || graph_ == nullptr) return;
  if (options_.mode == ProgressMode::kJson) {
    nlohmann::json steps = nlohmann::json::array();
    for (size_t i = 0; i < outcome.jobs.size(); ++i) {
      const JobOutcome& j = outcome.jobs[i];
      steps.push_back({{"step", Name(static_cast<int>(i))},
                       {"status", std::string(JobStateName(j.state))},
                       {"attempts", j.attempts},
                       {"wall_ns", j.wall_ns},
                       {"reason", j.reason}});
    }
    nlohmann::json summary = {{"event", "summary"},
                              {"ok", outcome.ok},
                              {"interrupted", outcome.interrupted},
                              {"wall_ns", outcome.wall_ns},
                              {"steps", steps}};
    if (!outcome.error.empty()) summary["error"] = outcome.error;
    out_ << summary.dump() << '\n';
  } else {
    out_ << FormatSummaryTable(*graph_, outcome);
  }
  out_.flush();
}

}  // namespace mlpipe::exec
