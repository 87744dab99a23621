// What the server knows of a pipeline: where its file is, its triggers and
// its brakes, in the form the trigger engine and the run queue read (built
// from the validated spec by pipeline_set.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mlpipe::server {

struct TriggerDef {
  enum class Kind {
    kSchedule,
    kOnChange,
    kOnCommit,
    kOnModel,
    kWebhook,
    kOnDrift,
    kSinceLastRun,
    kAll,
    kAny
  };
  Kind kind = Kind::kWebhook;
  // Stable and unique in its pipeline: a webhook's name, else KIND#N by
  // position ("schedule#1"); a member of all:/any: is PARENT/KIND#N.
  std::string id;
  std::string cron;                      // kSchedule: the expression as written
  std::vector<std::string> paths;        // kOnChange: absolute paths of files or folders
  std::vector<std::string> shown_paths;  // kOnChange: as written (for reasons)
  std::string repo;                      // kOnCommit: absolute path of the git work tree
  std::string branch;                    // kOnCommit
  std::string model;                     // kOnModel
  std::string alias;                     // kOnModel
  std::string deployment;                // kOnDrift
  double psi = 0.25;                     // kOnDrift: the PSI that counts as drift
  int64_t min_rows = 1000;               // kOnDrift
  int64_t since_ns = 0;                  // kSinceLastRun
  std::vector<TriggerDef> children;      // kAll, kAny
};

// "schedule", "on_change", ... as written in a pipeline file.
const char* KindName(TriggerDef::Kind kind);

struct PipelineDef {
  std::string name;
  std::string spec_path;  // absolute
  std::string dir;        // absolute folder of the pipeline file
  std::vector<TriggerDef> triggers;
  int concurrency = 1;
  int64_t cooldown_ns = 0;
  int max_runs_per_day = 0;     // 0 = no cap
  int64_t max_duration_ns = 0;  // a longer run records an alert (0: only the median rule)
  // challenger_of: every fire of that pipeline also fires this one ("" = none).
  std::string challenger_of;
  // Files a commit must touch to start a run (on_commit): the pipeline and
  // component files and the code files its steps name, absolute.
  std::vector<std::string> code_files;
};

// The trigger with `id` in `pipeline` (searching all:/any: members), or null.
const TriggerDef* FindTrigger(const PipelineDef& pipeline, const std::string& id);

}  // namespace mlpipe::server
