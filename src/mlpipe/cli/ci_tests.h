// The `tests:` commands of a pipeline, as `mlpipe test` runs them: each
// component's once (however many steps use it) and each step's own, every
// one split like a `run:` string (spec/shell_words.h) and run without a
// shell in its folder, with a timeout, its output shown indented.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/cli/ci_report.h"
#include "mlpipe/spec/pipeline.h"

namespace mlpipe::cli {

struct CiTest {
  std::string owner;    // "component featurize" or "step features"
  std::string command;  // as written
  std::string dir;      // where it runs: the component file's folder, or the pipeline's
};

// In step order: a step's component's tests (the first time the component is
// met), then the step's own.
std::vector<CiTest> CollectCiTests(const spec::PipelineSpec& spec);

// Runs `test` with the caller's environment, stdout and stderr together into
// `log_path` (a file that must not exist yet: it is made only if the test
// prints), then prints what it wrote to `out`, each line indented by four
// spaces. Killed after
// `timeout_ns` (0 = none). A test that fails, cannot start or times out is a
// result, not an error; Cancelled when an interrupt (SIGINT/SIGTERM) stops it.
StatusOr<CiTestResult> RunCiTest(const CiTest& test, int64_t timeout_ns, const std::string& log_path,
                                 std::ostream& out);

}  // namespace mlpipe::cli
