#include "mlpipe/engine/step_decider.h"

#include <fmt/format.h>

#include <filesystem>
#include <set>

#include "mlpipe/base/clock.h"
#include "mlpipe/base/strings.h"
#include "mlpipe/engine/model_inputs.h"
#include "mlpipe/engine/object_integrity.h"
#include "mlpipe/engine/source_artifact.h"
#include "mlpipe/spec/notebook_file.h"
#include "mlpipe/spec/params.h"
#include "mlpipe/spec/placeholders.h"

namespace mlpipe::engine {
namespace fs = std::filesystem;
using nlohmann::json;

const char* EngineVersion() { return MLPIPE_VERSION; }

StepDecider::StepDecider(const spec::PipelineSpec& spec, const json& pipeline_params,
                         store::HashCache& hashes, store::SourceIngester& sources,
                         store::ObjectStore& objects, RunRecorder& recorder, bool no_cache)
    : spec_(spec),
      pipeline_params_(pipeline_params),
      hashes_(hashes),
      sources_(sources),
      objects_(objects),
      recorder_(recorder),
      no_cache_(no_cache) {}

json StepDecider::UsedParams(const spec::StepSpec& step, const json& scope) const {
  if (step.component != nullptr) return scope;  // a component's whole param scope
  std::set<std::string> names;
  auto collect = [&](const std::string& text) {
    auto t = spec::ParseTemplate(text);
    if (!t.ok()) return;
    for (const auto& part : t->parts) {
      if (part.kind == spec::TemplatePart::Kind::kRef && part.scope == spec::RefScope::kParams) {
        names.insert(part.name);
      }
    }
  };
  for (const auto& c : step.command) collect(c);
  for (const auto& [k, v] : step.env) collect(v);
  collect(step.workdir);
  json used = json::object();
  for (const auto& n : names) {
    if (scope.contains(n)) used[n] = scope[n];
  }
  return used;
}

std::string StepDecider::MissingOutput(const spec::StepSpec& step, const CacheHit& hit) {
  for (const auto& out : step.outputs) {
    auto it = hit.outputs.find(out.name);
    if (it == hit.outputs.end()) {
      if (out.optional) continue;
      return fmt::format("run {} did not write output {}", hit.run_id, out.name);
    }
    store::CheckResult check = objects_.Check(it->second);
    if (check.ok()) continue;
    if (check.integrity == store::Integrity::kDamaged) {
      auto note = RecordQuarantined(recorder_.db(), it->second, check.detail, recorder_.clock().WallNanos());
      return fmt::format("output {} {} ({})", out.name, check.detail,
                         note.ok() && !note->empty() ? "quarantined; " + *note : "quarantined");
    }
    return fmt::format("output {} ({}) was {}", out.name, it->second.substr(0, 19),
                       WhyAbsent(recorder_.db(), objects_, it->second));
  }
  return "";
}

std::string StepDecider::RemovedOutputOf(int64_t execution_id) {
  auto events = recorder_.db().EventsForExecution(execution_id);
  if (!events.ok()) return "";
  for (const auto& ev : *events) {
    if (ev.kind != metadata::EventKind::kOutput || objects_.Contains(ev.ref)) continue;
    return fmt::format("output {} ({}) was {}", ev.name, ev.ref.substr(0, 19),
                       WhyAbsent(recorder_.db(), objects_, ev.ref));
  }
  return "";
}

StatusOr<StepDecision> StepDecider::Decide(const spec::StepSpec& step,
                                           const std::map<std::string, ArtifactVersion>& available) {
  StepDecision d;
  ASSIGN_OR_RETURN(d.params, spec::ResolveStepParams(step, pipeline_params_));
  KeyInputs in;
  in.step = &step;
  in.params = UsedParams(step, d.params);
  in.engine_version = EngineVersion();
  for (const auto& b : step.inputs) {
    if (b.kind == spec::InputBinding::Kind::kSource) {
      std::string abs = (fs::path(spec_.dir) / b.value).lexically_normal().string();
      auto source = sources_.Ingest(abs);
      if (!source.ok()) return source.status().WithContext(fmt::format("input {} ({})", b.name, b.value));
      const store::SourceDigest& digest = source->digest;
      d.inputs[b.name] = ArtifactVersion{digest.ref,
                                         SourceArtifactName(spec_.name, b.value),
                                         0,
                                         digest.size,
                                         digest.is_dir,
                                         source->not_stored_reason};
      d.input_paths[b.name] = abs;
      files_read_[abs] = digest.ref;
      if (source->stored) stored_sources_.insert(digest.ref);
      in.inputs[b.name] = InputFingerprint{digest.ref, b.value, ""};
    } else if (b.kind == spec::InputBinding::Kind::kModel) {
      ASSIGN_OR_RETURN(ModelInput model, ResolveModelInput(recorder_.db(), objects_, b));  // model_inputs.h
      d.inputs[b.name] = model.version;
      in.inputs[b.name] = model.fingerprint;
    } else {
      std::string from = b.value;
      auto it = available.find(from);
      if (it == available.end()) {
        if (b.optional) continue;  // an optional output its producer did not write
        return FailedPreconditionError("input " + b.name + ": " + from + " was not produced");
      }
      d.inputs[b.name] = it->second;
      in.inputs[b.name] = InputFingerprint{it->second.ref, from, fmt::format("v{}", it->second.version)};
    }
  }
  for (const auto& code : step.code_files) {
    std::string abs = fs::path(code).is_absolute() ? code : (fs::path(spec_.dir) / code).string();
    auto digest = hashes_.HashSource(abs);
    if (!digest.ok()) return digest.status().WithContext("code file " + code);
    in.code[code] = digest->ref;
    files_read_[abs] = digest->ref;  // the run stamp watches the bytes
    if (spec::IsNotebookPath(code)) {
      // A notebook is keyed by its cells' sources and its kernel, not by the
      // outputs its last run in Jupyter saved; a file that does not parse as
      // one keeps its byte digest.
      auto cells = spec::NotebookFileCodeDigest(abs);
      if (cells.ok()) in.code[code] = *cells;
    }
  }
  d.record = BuildKeyRecord(in);
  d.key = CacheKeyOf(d.record);

  // The last run's key: its record is read and diffed only when it differs.
  ASSIGN_OR_RETURN(auto last, recorder_.LastKey(step.name));
  std::vector<std::string> changes;
  if (last && last->second != d.key) {
    ASSIGN_OR_RETURN(json last_record, recorder_.KeyRecordOf(last->first));
    if (!last_record.is_null()) changes = ExplainChange(last_record, d.record);
  }

  if (no_cache_) {
    d.reason = "--no-cache";
    return d;
  }
  if (!step.cache) {
    d.reason = "cache: false in the spec";
    return d;
  }
  // Usually the newest execution under this key is complete: ask for one
  // first, and for older ones only if its outputs are gone.
  std::vector<CacheHit> hits;
  std::string missing;  // why the newest hit cannot be reused
  for (int limit : {1, kMaxCacheCandidates}) {
    ASSIGN_OR_RETURN(hits, recorder_.LookupCache(d.key, limit));
    for (const auto& hit : hits) {
      std::string why = MissingOutput(step, hit);
      if (!why.empty()) {
        if (missing.empty()) missing = std::move(why);
        continue;
      }
      d.cached = true;
      d.hit = hit;
      d.reason = fmt::format("same key as run {}", hit.run_id);
      if (!changes.empty()) d.reason += " (" + Join(changes, "; ") + ")";
      return d;
    }
    if (hits.size() < static_cast<size_t>(limit)) break;  // there are no more
  }
  if (!missing.empty()) {
    d.reason = missing;
    return d;
  }
  if (!last) {
    d.reason = "new step (never ran)";
  } else if (changes.empty()) {
    d.reason = "no successful execution with this key";
    // Its cache entry may have been dropped because an output was damaged
    // (artifacts verify --repair): say so rather than nothing.
    if (last->second == d.key) {
      if (auto gone = RemovedOutputOf(last->first); !gone.empty()) d.reason = gone;
    }
  } else {
    d.reason = Join(changes, "; ");
  }
  return d;
}

}  // namespace mlpipe::engine
