// How runs, their steps and their metrics read as JSON. `mlpipe runs list |
// show --json` and the server's /api/v1/runs routes both build them here, so
// the command line and the API never drift apart. Only the time text
// differs: local time for people at a terminal, RFC 3339 UTC for machines.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/metadata/metadata_store.h"
#include "mlpipe/metadata/run_metrics.h"

namespace mlpipe::metadata {

enum class TimeStyle {
  kLocal,    // "2026-12-06 16:13:30" (local time; "" for unset): the CLI's JSON
  kRfc3339,  // "2026-12-06T15:13:30.000Z" (UTC; null for unset): the API's
};

// A time as `style` writes it.
nlohmann::json TimeJson(int64_t wall_ns, TimeStyle style);

// This machine's host name, as runs record it in Run::host.
std::string ThisHostName();
// True if a process with this pid runs on this host.
bool ProcessAliveHere(int64_t pid);

// The status people see: "interrupted" for a run recorded as running on
// this host whose process is gone (it was killed, or its machine rebooted);
// else the stored status ("running", "succeeded", ...). A run of another
// host is taken at its word.
std::string ShownStatus(const Run& run);

// The run's note (Run::exit_reason) line by line: a reason and warnings.
std::vector<std::string> RunNotes(const Run& run);

// {"id", "pipeline", "spec", "status" (ShownStatus), "trigger" ("" = by hand),
//  "started", "started_ns", "ended", "ended_ns", "duration_s" (null while
//  running), "params" (object), "reason", "reuses_run" (id or null)}.
nlohmann::json RunJson(const Run& run, TimeStyle style);

// One step of a run: {"step", "execution", "status", "attempts", "exit_code",
// "started", "started_ns", "ended", "ended_ns", "wall_s", "cpu_s",
// "peak_rss_bytes", "reason", "cache_key", "reused_from", "inputs", "outputs"}
// where inputs and outputs map each name to "NAME:vN" (or the digest of an
// unversioned artifact); `events` are the execution's lineage events.
nlohmann::json StepJson(const Execution& e, const std::vector<Event>& events, TimeStyle style);

// The metrics of a run, in RunMetrics' order: {"step", "name", "value",
// "reused_from_run", "iteration" (points of a curve only)}.
nlohmann::json MetricsJson(const std::vector<RunMetric>& metrics);

// RunJson plus "notes" (RunNotes), "steps" (StepJson of every execution, in
// creation order) and "metrics" (MetricsJson of RunMetrics): what `mlpipe
// runs show --json` prints and GET /api/v1/runs/{id} answers.
StatusOr<nlohmann::json> RunDetailJson(MetadataStore& db, const Run& run, TimeStyle style);

}  // namespace mlpipe::metadata
