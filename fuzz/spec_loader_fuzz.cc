// Fuzz target: the pipeline spec loader (YAML text -> validated spec or
// diagnostics). Any input must end in a result, never a crash, a hang or
// unbounded memory; every diagnostic must name a place in the file.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mlpipe/spec/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // A folder that holds nothing: sources and components resolve to missing
  // files, which the loader reports like any other error.
  mlpipe::spec::LoadResult r = mlpipe::spec::LoadPipelineString(text, "fuzz.yaml", "/nonexistent-fuzz-dir");
  const std::string errors = r.ErrorText();
  (void)errors;
  return 0;
}
