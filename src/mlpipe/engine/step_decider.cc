#include "mlpipe/engine/step_decider.h"

#include <fmt/format.h>

#include <filesystem>
#include <set>

#include "mlpipe/base/strings.h"
#include "mlpipe/engine/model_inputs.h"
#include "mlpipe/spec/params.h"
#include "mlpipe/spec/placeholders.h"

namespace mlpipe::engine {
namespace fs = std::filesystem;
using nlohmann::json;

const char* EngineVersion() { return MLPIPE_VERSION; }

StepDecider::StepDecider(const spec::PipelineSpec& spec, const json& pipeline_params, store::HashCache& hashes,
                         store::ObjectStore& objects, RunRecorder& recorder, bool no_cache)
    : spec_(spec),
      pipeline_params_(pipeline_params),
      hashes_(hashes),
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

bool StepDecider::HasAllOutputs(const spec::StepSpec& step, const CacheHit& hit) const {
  for (const auto& out : step.outputs) {
    auto it = hit.outputs.find(out.name);
    if (it == hit.outputs.end() || !objects_.Contains(it->second)) return false;
  }
  return true;
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
      auto digest = hashes_.HashSource(abs);
      if (!digest.ok()) return digest.status().WithContext(fmt::format("input {} ({})", b.name, b.value));
      d.inputs[b.name] = ArtifactVersion{digest->ref, spec_.name + "/" + b.value, 0, digest->size, digest->is_dir};
      d.input_paths[b.name] = abs;
      files_read_[abs] = digest->ref;
      in.inputs[b.name] = InputFingerprint{digest->ref, b.value, ""};
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
      in.inputs[b.name] = InputFingerprint{it->second.ref, from, "v" + std::to_string(it->second.version)};
    }
  }
  for (const auto& code : step.code_files) {
    std::string abs = fs::path(code).is_absolute() ? code : (fs::path(spec_.dir) / code).string();
    auto digest = hashes_.HashSource(abs);
    if (!digest.ok()) return digest.status().WithContext("code file " + code);
    in.code[code] = digest->ref;
    files_read_[abs] = digest->ref;
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
  for (int limit : {1, kMaxCacheCandidates}) {
    ASSIGN_OR_RETURN(hits, recorder_.LookupCache(d.key, limit));
    for (const auto& hit : hits) {
      if (!HasAllOutputs(step, hit)) continue;
      d.cached = true;
      d.hit = hit;
      d.reason = fmt::format("same key as run {}", hit.run_id);
      if (!changes.empty()) d.reason += " (" + Join(changes, "; ") + ")";
      return d;
    }
    if (hits.size() < static_cast<size_t>(limit)) break;  // there are no more
  }
  if (!hits.empty()) {
    d.reason = "outputs were garbage-collected";
    return d;
  }
  if (!last) {
    d.reason = "new step (never ran)";
  } else if (changes.empty()) {
    d.reason = "no successful execution with this key";
  } else {
    d.reason = Join(changes, "; ");
  }
  return d;
}

}  // namespace mlpipe::engine
