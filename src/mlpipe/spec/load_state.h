// Internal: state shared by the pipeline loader, step parser and graph
// validator during one load.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "mlpipe/spec/code_files.h"
#include "mlpipe/spec/component.h"
#include "mlpipe/spec/decl_parse.h"
#include "mlpipe/spec/loader.h"
#include "mlpipe/spec/yaml_util.h"

namespace mlpipe::spec::internal {

// What validation needs to know about a step beyond StepSpec. Lives only
// while the step is parsed: its templates are checked at once, and only
// after_locs is kept for the cross-step checks.
struct StepExtra {
  std::vector<TemplateSite> sites;     // step-level templates (inline run:, env:, workdir:)
  TemplateScope scope;                 // what those templates may refer to
  bool check_outputs_written = false;  // inline command steps
  std::vector<Pos> after_locs;         // parallel to StepSpec::after
  // Inline command steps: DetectStepCodeFiles looks for scripts among the
  // command's words, after the step's tree is released (a join's command
  // may hold 10,000 words).
  bool detect_code_files = false;
  // A run: written as a plain one-line scalar: its text, in which a word's
  // column is found (other forms: the word's site, or run:'s value).
  std::string run_plain_line;
};

// A script a step's command runs that does not exist (script_check.h),
// reported once every step is read unless another command names the same
// path (it would make it first).
struct MissingScript {
  size_t step = 0;   // index into PipelineSpec::steps
  std::string path;  // as written
  Pos loc;
};

// Every step's after: positions in one array, step i's at
// pos[begin[i], begin[i + 1]): one allocation, not one per step.
struct AfterPositions {
  std::vector<Pos> pos;
  std::vector<uint32_t> begin = {0};
  void Add(const std::vector<Pos>& step) {
    pos.insert(pos.end(), step.begin(), step.end());
    begin.push_back(static_cast<uint32_t>(pos.size()));
  }
  std::span<const Pos> Of(size_t step) const {
    if (step + 1 >= begin.size()) return {};
    return {pos.data() + begin[step], begin[step + 1] - begin[step]};
  }
};

// Where a step using a built-in binds what: for reporting the problems
// check_builtin_params finds once every step is read.
struct BuiltinSites {
  std::string step;
  SourceLocation uses;
  std::map<std::string, SourceLocation> params;  // bound param -> its key
};

struct LoadState {
  const LoadOptions& options;
  Diagnostics& diags;                    // the pipeline file's
  std::vector<Diagnostic>* all;          // every file's diagnostics
  std::string file;                      // pipeline file as given
  std::string dir;                       // absolute pipeline folder
  std::vector<std::string> param_names;  // pipeline params
  CodeFileDetector detector;
  std::unordered_map<std::string, bool> source_exists;  // source path as written -> exists
  std::unordered_map<std::string, std::shared_ptr<const ComponentSpec>> components;
  std::vector<std::pair<std::string, std::string>> read_files = {};  // component files: (path, digest)
  const std::vector<ParamSpec>* pipeline_params = nullptr;           // with their types; set before steps
  std::vector<MissingScript> missing_scripts = {};                   // by FindMissingScripts
  std::vector<BuiltinSites> builtin_sites = {};                      // steps using built-ins, in spec order
};

// Reads one entry of steps: into `step` and `extra`.
void ParseStep(const MapEntry& entry, LoadState& state, StepSpec* step, StepExtra* extra);

// Adds the script files named among an inline step's command words to
// step->code_files (after those declared under code:).
void DetectStepCodeFiles(StepSpec* step, LoadState& state);

// Notes each script the inline step `index` runs (script_check.h) that does
// not exist (with check_files; not for a step with workdir:, whose paths
// are relative to it) in state.missing_scripts.
void FindMissingScripts(const StepSpec& step, size_t index, const StepExtra& extra, LoadState& state);

// Reports the scripts FindMissingScripts noted, except those another
// command of the pipeline names (as an output it writes, or in a shell
// command that makes it first), at the word's position with a hint.
void ReportMissingScripts(const PipelineSpec& spec, LoadState& state);

// The same for a component file's command (relative to its folder `dir`),
// reported at once into the component file's `diags`.
void ReportMissingComponentScripts(const std::vector<std::string>& command, bool shell,
                                   const std::string& dir, const std::vector<TemplateSite>& sites,
                                   const std::string& plain_line, const std::string& where,
                                   CodeFileDetector& detector, Diagnostics& diags);

// Reads the register: block (one mapping or a list of them) into
// spec->registers, checking it against the already parsed steps.
void ParseRegister(const MapEntry& entry, LoadState& state, PipelineSpec* spec);

// Reads the sources: block (a map of store, link, max_size) into
// spec->sources.
void ParseSources(const MapEntry& entry, LoadState& state, PipelineSpec* spec);

// Reads the triggers: list into spec->triggers (after register:, which
// on_model is checked against).
void ParseTriggers(const MapEntry& entry, LoadState& state, PipelineSpec* spec);

// Reads one of concurrency:, cooldown:, max_runs_per_day: into spec.
void ParseBrake(const MapEntry& entry, LoadState& state, PipelineSpec* spec);

// Reads the deploy: block into spec->deploy (after steps: and register:,
// which its model and gates are checked against); nothing on an error.
void ParseDeploy(const MapEntry& entry, LoadState& state, PipelineSpec* spec);

// Reads deploy.rollout into *rollout (defaults for what it leaves out; a
// `challenger`'s strategy defaults to ab).
void ParseRollout(const MapEntry& entry, LoadState& state, bool challenger, RolloutSpec* rollout);
// Makes *rollout strategy ab with its defaults (a challenger without rollout:).
void SetAbRollout(RolloutSpec* rollout);

// Reads the top-level challenger_of: (after pipeline:, before deploy:).
void ParseChallengerOf(const MapEntry& entry, LoadState& state, PipelineSpec* spec);
// What a challenger needs in its own file (after deploy:): a deploy: block
// (`deploy` is its entry, null when absent) with a beats: gate.
void CheckChallenger(const MapEntry* deploy, LoadState& state, const PipelineSpec& spec);

// Reads the ci: block (its params checked against spec->params).
void ParseCi(const MapEntry& entry, LoadState& state, PipelineSpec* spec);

// Reads a tests: key (a command or a list of them; each must split into
// words like a run: string) into *out.
void ParseTests(const MapEntry& entry, Diagnostics& diags, const std::string& where,
                std::vector<std::string>* out);

// Checks the step's own templates (placeholders, unwritten outputs) once it
// is parsed.
void CheckStepTemplates(const StepSpec& step, const StepExtra& extra, Diagnostics& diags);

// The params of every step using a built-in, through
// options.check_builtin_params (if set).
void CheckBuiltinSteps(const PipelineSpec& spec, LoadState& state);

// Cross-step checks: unknown steps and outputs, input/output type
// mismatches, cycles. after_locs.Of(i) is step i's StepExtra::after_locs.
void ValidateGraph(const PipelineSpec& spec, const AfterPositions& after_locs, Diagnostics& diags);

}  // namespace mlpipe::spec::internal
