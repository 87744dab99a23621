// Run stamps: what a successful run read and wrote, so that the same command
// with nothing changed reuses that run whole (run_reuse.h) without parsing the
// spec, hashing code into keys or asking the cache step by step.
//
// A stamp is keyed by the invocation: the engine version, the pipeline file's
// absolute path and the -p overrides as given. It lists every file the run
// read with the digest it had then (the pipeline file and component files as
// parsed, the sources and code files as hashed for the cache keys), the paths
// the loader found were not files (a script appearing there would change a
// key), every output ref, and the steps in order with the run each step's
// result came from. It is written only for a run that succeeded, registers no model,
// reads no registered model (an alias may move while every file stays) and
// has no `cache: false` step: for such a run, unchanged files mean unchanged
// cache keys, so each step would be reused from the cache anyway.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/metadata/records.h"

namespace mlpipe::engine {

struct StampedStep {
  std::string step;
  int64_t origin_run = 0;  // the run whose execution produced the step's result
};

struct RunStampData {
  std::string invocation;
  std::string pipeline;
  int64_t run_id = 0;
  std::vector<std::pair<std::string, std::string>> files;  // (absolute path, "sha256:<hex>")
  std::vector<std::string> outputs;                        // refs
  // Refs of the sources the run stored: they must still be in the store (the
  // files themselves are checked by digest, under `files`).
  std::vector<std::string> sources;
  std::vector<StampedStep> steps;  // in spec order
  std::vector<std::string>
      absent;  // absolute paths that were not regular files (spec::PipelineSpec::absent_files)
};

// The text naming `mlpipe run SPEC -p ...` for this engine version: a JSON
// array ["mlpipe run", version, absolute normal spec path, overrides...]
// (overrides count in their order). Plain text rather than a digest, so the
// fast path needs no hashing at all when nothing changed.
std::string InvocationKey(const std::string& spec_path, const std::vector<std::string>& overrides);

// The stored form: one entry per line, fields separated by tabs ("ref\tpath",
// "ref" for an output and "source\tref" for a source in the outputs text,
// "run\tstep", "path"). InvalidArgument if a path or step name holds a tab or
// a newline (such a run gets no stamp).
StatusOr<metadata::RunStamp> EncodeRunStamp(const RunStampData& data, int64_t created_ns);
// DataLoss if the texts are not in the stored form.
StatusOr<RunStampData> DecodeRunStamp(const metadata::RunStamp& stamp);

}  // namespace mlpipe::engine
