// Cache keys and the explanations of cache decisions.
//
// A step's key record is a canonical JSON document of everything that can
// change its outputs: the implementation (command templates, shell flag,
// built-in name and version, env templates, workdir, component file digest,
// declared outputs), the content of its code files (of a notebook: its cells'
// sources and its kernel, spec/notebook_file.h), the params it uses, and
// the digests of its inputs. The cache key is the SHA-256 of the record with
// the presentation-only fields ("version", "from", "kind") left out, so the same
// content always gives the same key, whichever run produced it.
//
// ExplainChange diffs two records and says, for people, why a step must run
// again: "param word hello -> bye", "input text changed (generate.text v3 ->
// v4)", "input baseline: churn@champion moved v2 -> v3", "script
// scripts/count.py changed", "notebook notebooks/eda.ipynb changed". It never
// cites a version that does not exist: an input without one (a source, or
// content not recorded under the output's name: version "" or "v0") is named
// without a version.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mlpipe/spec/pipeline.h"

namespace mlpipe::engine {

// Where one input's content came from, for the record and explanations.
struct InputFingerprint {
  std::string ref;      // "sha256:<hex>"
  std::string from;     // "generate.text", the source path or the model reference as written
  std::string version;  // "v3" for a step output or a registered model's version, "" for a source
  std::string kind = {};  // "model" for a registered model, "" otherwise
};

struct KeyInputs {
  const spec::StepSpec* step = nullptr;
  nlohmann::json params = nlohmann::json::object();  // name -> value, only the params the step uses
  std::map<std::string, InputFingerprint> inputs;     // input name -> fingerprint
  std::map<std::string, std::string> code;            // code file (as in the spec) -> "sha256:<hex>"
  std::string engine_version;                         // bumps built-in keys when the built-ins change
};

// The canonical record (a JSON object; its dump() is canonical because
// nlohmann::json objects keep keys sorted).
nlohmann::json BuildKeyRecord(const KeyInputs& in);

// "sha256:<hex>" of the record without presentation-only fields.
std::string CacheKeyOf(const nlohmann::json& record);

// Why `now` differs from `before` (both key records of the same step), most
// important first; empty if they describe the same work.
std::vector<std::string> ExplainChange(const nlohmann::json& before, const nlohmann::json& now);

}  // namespace mlpipe::engine
