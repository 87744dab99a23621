#include "mlpipe/engine/run_output.h"

#include <fmt/format.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <ostream>

namespace mlpipe::engine {

void PrintRunStarted(const RunOptions& options, int64_t run_id, const std::string& pipeline, size_t steps) {
  if (options.progress == exec::ProgressMode::kJson) {
    *options.out << nlohmann::json{{"event", "run_started"}, {"run", run_id}, {"pipeline", pipeline}}.dump()
                 << "\n";
  } else {
    *options.out << fmt::format("run {} of pipeline '{}' ({} steps)\n", run_id, pipeline, steps);
  }
}

void PrintRunFinished(const RunOptions& options, int64_t run_id, metadata::RunStatus status) {
  if (options.progress == exec::ProgressMode::kJson) {
    *options.out << nlohmann::json{{"event", "run_finished"},
                                   {"run", run_id},
                                   {"status", metadata::ToString(status)}}
                        .dump()
                 << "\n";
  } else {
    *options.out << fmt::format("run {} {}\n", run_id, metadata::ToString(status));
  }
  options.out->flush();
}

std::string HostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return "localhost";
  return buf;
}

RunObserver::RunObserver(exec::ProgressPrinter& printer, std::function<std::string(int)> run_reason,
                         std::function<std::vector<MetricWarning>(int)> warnings, const RunOptions& options,
                         const exec::JobGraph& graph)
    : printer_(printer),
      run_reason_(std::move(run_reason)),
      warnings_(std::move(warnings)),
      options_(options),
      graph_(graph) {}

void RunObserver::OnEvent(const exec::JobEvent& event) {
  if (event.kind == exec::JobEvent::Kind::kStarted && event.attempt == 1) {
    const std::string why = run_reason_(event.job);
    if (options_.progress == exec::ProgressMode::kJson) {
      *options_.out << nlohmann::json{{"event", "explain"},
                                      {"step", graph_.jobs[event.job].name},
                                      {"action", "run"},
                                      {"reason", why}}
                           .dump()
                    << "\n";
    }
    explained_.emplace_back(graph_.jobs[event.job].name, "run: " + why);
  } else if (event.kind == exec::JobEvent::Kind::kCached) {
    explained_.emplace_back(graph_.jobs[event.job].name, "cached: " + event.reason);
  }
  printer_.OnEvent(event);
  if (event.kind != exec::JobEvent::Kind::kSucceeded && event.kind != exec::JobEvent::Kind::kFailed) return;
  const std::string& step = graph_.jobs[event.job].name;
  for (const MetricWarning& w : warnings_(event.job)) {
    if (options_.progress == exec::ProgressMode::kJson) {
      *options_.out << nlohmann::json{{"event", "warning"},
                                      {"step", step},
                                      {"metric", w.metric},
                                      {"message", w.message}}
                           .dump()
                    << "\n";
    } else {
      printer_.PrintNote(fmt::format("warning: step {}: {}", step, w.message));
    }
  }
}

void RunObserver::OnRunFinished(const exec::RunOutcome& outcome) {
  printer_.OnRunFinished(outcome);
  if (options_.explain && options_.progress != exec::ProgressMode::kJson && !explained_.empty()) {
    *options_.out << "why:\n";
    for (const auto& [step, why] : explained_) *options_.out << "  " << step << ": " << why << "\n";
  }
}

}  // namespace mlpipe::engine
