// The pipeline spec as plain data: what a pipeline YAML file says, after
// parsing and validation, with placeholders still unresolved.
//
// Produced by LoadPipeline (spec/loader.h); consumed by the engine, which
// resolves placeholders per step at run time (spec/placeholders.h).
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mlpipe/spec/cron.h"
#include "mlpipe/spec/deploy_spec.h"
#include "mlpipe/spec/source_location.h"

namespace mlpipe::spec {

enum class ParamType { kInt, kFloat, kString, kBool, kList };
const char* ParamTypeName(ParamType type);  // "int", "float", "string", "bool", "list"

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::kString;
  nlohmann::json default_value;  // typed: number_integer, number_float, string, boolean, array
  std::string description;
  SourceLocation loc;
};

// An input of a step, by the text of its value:
//   kSource      any value containing '/': a file or folder relative to the
//                pipeline file's folder ("data/x.csv", "./x.csv", "/abs/x");
//   kModel       otherwise, a value with '@' or ':': a registered model,
//                "NAME@ALIAS" or "NAME:vN", resolved at run time;
//   kStepOutput  otherwise "STEP.OUTPUT", another step's output.
// (A source path may hold '@' or ':' too: its '/' decides.)
struct InputBinding {
  enum class Kind : uint8_t { kSource, kStepOutput, kModel };
  std::string name;
  // The value as written: a source path relative to PipelineSpec::dir
  // (kSource), "STEP.OUTPUT" (kStepOutput) or the model reference (kModel).
  // One string for all, read through the accessors below: a join binds
  // 10,000 inputs.
  std::string value;
  InternedString type;  // declared input type (from the component), "" if untyped
  Kind kind = Kind::kSource;
  bool optional = false;  // the component declares it optional: a missing optional upstream output drops it
  SourceLocation loc;

  // kSource: the path as written; "" otherwise.
  std::string_view source_path() const {
    return kind == Kind::kSource ? std::string_view(value) : std::string_view();
  }
  // kModel: "NAME@ALIAS" or "NAME:vN" as written; "" otherwise.
  std::string_view model_ref() const {
    return kind == Kind::kModel ? std::string_view(value) : std::string_view();
  }
  // kStepOutput: STEP and OUTPUT of "STEP.OUTPUT" (step names hold no '.'); "" otherwise.
  std::string_view step() const {
    return kind == Kind::kStepOutput ? std::string_view(value).substr(0, value.find('.'))
                                     : std::string_view();
  }
  std::string_view output() const {
    const size_t dot = kind == Kind::kStepOutput ? value.find('.') : std::string::npos;
    return dot == std::string::npos ? std::string_view() : std::string_view(value).substr(dot + 1);
  }
};

struct OutputSpec {
  std::string name;
  InternedString type;    // dataset, model, metrics, transform, report, ... ("" = untyped)
  bool optional = false;  // a component output the step may leave unwritten
  // An output stored and recorded even when its step fails after writing it
  // (a validation report): marked as a failed execution's, never reused.
  bool keep_on_failure = false;
  SourceLocation loc;
};

struct Resources {
  double cpus = 1.0;         // slots taken from the -j budget (at least 1 when > 0)
  int64_t memory_bytes = 0;  // 0 = not limited / not accounted
};

// What a `uses:` step takes from its component. One per component file or
// built-in, shared by every step that uses it.
struct ComponentRef {
  std::string name;  // the component's `component:` name
  // The component file's own content digest (hex): part of the cache key, so
  // editing a shared component invalidates it.
  std::string digest;
  // Absolute folder of the component file ("" for built-ins). Relative
  // script paths in a component's `run:` were resolved against it when
  // detecting code files.
  std::string dir;
  // The component's declared params, in its order, with their types and
  // defaults. ResolveStepParams type-checks the step's bound values against
  // these.
  std::vector<ParamSpec> params;
  // Non-empty for a built-in component ("train", "split", ...).
  std::string builtin;
  // Settings a step gives its built-in beside params, passed in the
  // invocation as "config" (mlpipe/notebook: the notebook's path and cell
  // timeout); null for most. A step with settings has a ComponentRef of its
  // own. Not part of the cache key: what changes results is keyed elsewhere
  // (the notebook is a code file of the step).
  nlohmann::json builtin_config = nullptr;
  // The component's `tests:`: commands a pull request runs (`mlpipe test`),
  // each a string split like a `run:` string (shell_words.h), run in `dir`
  // (the pipeline's folder for built-ins, which declare none).
  std::vector<std::string> tests = {};
};

struct StepSpec {
  std::string name;
  std::string description;
  // The command as argv templates. A string `run:` is split as a shell would
  // split words (quotes, backslashes) but never run through a shell, so a
  // placeholder that expands to "a b;c" stays one argument. An argv element
  // that is exactly "${params.LIST}" expands to one argument per element.
  // With `shell`, one element run as `/bin/sh -c <command[0]>`.
  std::vector<std::string> command;
  std::map<std::string, std::string> env;  // values are templates
  std::string workdir;                     // template; "" = a fresh empty folder per execution
  std::vector<InputBinding> inputs;        // in spec order
  std::vector<OutputSpec> outputs;         // in spec order
  // Component params bound by this step (for `uses:` components and
  // built-ins), already merged with the component's defaults; values may be
  // strings holding placeholders such as "${params.depth}". Null for inline
  // steps (an empty object would cost an allocation per step).
  nlohmann::json params;
  std::vector<std::string> after;            // ordering-only dependencies
  int64_t retry_backoff_ns = 1'000'000'000;  // first backoff; doubles each attempt
  int64_t timeout_ns = 0;                    // 0 = none
  Resources resources;
  // Code files the step depends on (relative to PipelineSpec::dir): declared
  // under `code:`, plus script files found among the command's arguments.
  std::vector<std::string> code_files;
  // For `uses:` steps (a component file or a built-in): what the component
  // gives; null for inline steps. Shared, not copied: a step costs memory
  // in a 10,000-step pipeline.
  std::shared_ptr<const ComponentRef> component;
  // The step's own `tests:` (its component's are in component->tests):
  // commands split like a `run:` string, run in the pipeline's folder by
  // `mlpipe test`.
  std::vector<std::string> tests = {};
  // The built-in this step runs ("train", "split", ...; then `command` is
  // empty and the engine runs the built-in instead), or "".
  const std::string& builtin() const;
  SourceLocation loc;
  int retries = 0;     // extra attempts after a failure
  bool shell = false;  // run command[0] through /bin/sh -c
  bool cache = true;
  // (The small fields last, together: a 10,000-step spec holds 10,000 of these.)
};

// One entry of the pipeline's `register:` block: after a successful run, the
// model package written by `from` is registered as a version of `model`
// (engine/run_registrations.h; docs/pipeline-spec.md#register).
struct RegisterSpec {
  std::string model;      // registry model name
  std::string from_step;  // STEP.OUTPUT, an output of type model
  std::string from_output;
  std::vector<std::string> aliases;  // moved to the new version (may be empty)
  std::string when_step;             // "" = always; else STEP.OUTPUT of type blessing:
  std::string when_output;           //   register only if it says {"blessed": true}
  std::string description;           // "" = keep the model's description
  SourceLocation loc;                // of the entry
  std::string From() const { return from_step + "." + from_output; }
  std::string When() const { return when_step.empty() ? "" : when_step + "." + when_output; }
};

// How the pipeline's sources (the files and folders its steps read from the
// project) are versioned: the `sources:` block (docs/pipeline-spec.md#sources).
// A stored source is a content-addressed artifact like a step output, named
// PIPELINE.source.PATH, so any run's inputs can be restored later.
enum class SourceLink : uint8_t {
  kAuto,      // a reflink (copy-on-write clone) where the filesystem can, else a copy
  kReflink,   // a reflink; a copy where the filesystem cannot clone
  kHardlink,  // a hardlink (the source file becomes read-only, shared with the store); a copy across
              // filesystems
  kCopy,      // always a copy, hashed while it is copied
};
const char* SourceLinkName(SourceLink link);  // "auto", "reflink", "hardlink", "copy"

struct SourcesSpec {
  bool store = true;  // false: sources are hashed for cache keys but not stored
  SourceLink link = SourceLink::kAuto;
  // A source (a folder: its files together) larger than this is hashed but
  // not stored, with a warning.
  int64_t max_size = int64_t{10} << 30;
  SourceLocation loc;  // of the `sources:` key; line 0 when the block is absent
};

// One entry of the pipeline's `triggers:` list (docs/pipeline-spec.md#triggers):
// what makes `mlpipe server` start a run by itself. Plain data, checked by the
// loader: a TriggerSpec in a valid PipelineSpec has the fields of its kind
// set and valid. The server interprets them; the spec only describes.
struct TriggerSpec {
  enum class Kind : uint8_t {
    kSchedule,      // a cron schedule fires (cron)
    kOnChange,      // a source's content changed (paths)
    kOnCommit,      // a new commit on a branch touches the pipeline or its code (repo, branch)
    kOnModel,       // a registered model's alias moved (model, alias)
    kWebhook,       // POST /api/v1/triggers/PIPELINE/NAME (webhook)
    kOnDrift,       // the drift monitor alerts on a deployment (deployment, psi, ks_p, min_rows)
    kSinceLastRun,  // at least `since_ns` since the pipeline's last run; only inside all:
    kAll,           // every child holds (children)
    kAny,           // any child holds (children)
  };
  Kind kind = Kind::kSchedule;
  // Stable and unique within the pipeline: a webhook's name; otherwise
  // KIND#N, N its 1-based position in triggers: ("schedule#1", "on_change#2");
  // a child of all:/any: is PARENT/KIND#N, N its position in the parent's list
  // ("all#7/on_change#1"). The same file gives the same ids.
  std::string id;
  // kSchedule: the schedule (parsed; `cron->Describe()` is the text).
  std::optional<CronSchedule> cron;
  // kOnChange: files and folders (a folder: any file in it), as written,
  // relative to PipelineSpec::dir; each exists and lies inside the project.
  std::vector<std::string> paths;
  // kOnCommit: the git repository's folder as written, relative to
  // PipelineSpec::dir ("." by default), and the branch ("" = the branch
  // checked out when the server starts).
  std::string repo;
  std::string branch;
  // kOnModel: the registered model and the alias watched ("" = any alias or
  // a new version).
  std::string model;
  std::string alias;
  // kWebhook: the name in the URL ([A-Za-z0-9_.-]+).
  std::string webhook;
  // kOnDrift: the deployment watched, and the thresholds of an alert (0 =
  // the monitor's default): any feature's PSI at least `psi`, or a KS test's
  // p-value below `ks_p`, over a window of at least `min_rows` predictions.
  std::string deployment;
  double psi = 0;
  double ks_p = 0;
  int64_t min_rows = 0;
  // kSinceLastRun: the least time since the pipeline's last run started.
  int64_t since_ns = 0;
  // kAll, kAny: the conditions, in order (none empty).
  std::vector<TriggerSpec> children;
  SourceLocation loc;  // of the entry
};
const char* TriggerKindName(TriggerSpec::Kind kind);  // "schedule", "on_change", ..., "all", "any"

struct PipelineSpec {
  std::string name;
  std::string description;
  std::string file;                     // path of the pipeline YAML as given
  std::string dir;                      // absolute folder of the pipeline file; sources resolve against it
  std::vector<ParamSpec> params;        // in spec order
  std::vector<StepSpec> steps;          // in spec order
  std::vector<RegisterSpec> registers;  // the register: block, in spec order
  SourcesSpec sources;                  // the sources: block (defaults when absent)
  std::vector<TriggerSpec> triggers;    // the triggers: list, in spec order
  // The brakes on triggered runs (`mlpipe server`; manual runs are not held):
  int concurrency = 1;           // runs of this pipeline at once (>= 1)
  int64_t cooldown_ns = 0;       // at least this long between triggered runs
  int64_t max_duration_ns = 0;   // a run taking longer records an alert (0 = only the median rule)
  int64_t max_runs_per_day = 0;  // at most this many triggered runs a day; 0 = no cap
  // The ci: block's params: what `mlpipe test` runs the smoke run with, as
  // -p NAME=VALUE overrides (name -> value as written), each a declared param
  // with a value of its type.
  std::map<std::string, std::string> ci_params;
  // The deploy: block (docs/pipeline-spec.md#deploy): the gates and rollout
  // policy `mlpipe server` applies to the model a triggered run registers;
  // nullopt when absent.
  std::optional<DeploySpec> deploy;
  // challenger_of: the pipeline this one is a challenger of (a valid pipeline
  // name, not this one's; "" = none). Whether it exists is the server's
  // check, among the pipelines it loads.
  std::string challenger_of;
  SourceLocation challenger_of_loc;
  // Every file the loader read, as (absolute path, "sha256:<hex>" of the bytes
  // parsed): the pipeline file first (LoadPipelineFile only), then component
  // files. A run stamp records them (engine/run_stamp.h).
  std::vector<std::pair<std::string, std::string>> read_files;
  // Absolute paths the loader looked at for scripts named in commands that
  // were not regular files: one appearing would become a code file.
  std::vector<std::string> absent_files;
  const StepSpec* FindStep(const std::string& name) const;
  const ParamSpec* FindParam(const std::string& name) const;
};

// One problem found in a spec.
struct Diagnostic {
  SourceLocation loc;
  std::string message;  // what is wrong
  std::string hint;     // how to fix it ("" if none)
  // "file:line:column: error: message\n  hint: hint"
  std::string ToString() const;
};

}  // namespace mlpipe::spec
