#include "mlpipe/cli/ci_tests.h"

#include <fstream>
#include <set>

#include "mlpipe/exec/local_runner.h"
#include "mlpipe/spec/shell_words.h"

namespace mlpipe::cli {

std::vector<CiTest> CollectCiTests(const spec::PipelineSpec& spec) {
  std::vector<CiTest> out;
  std::set<std::pair<std::string, std::string>> seen;  // (folder, name) of components already taken
  for (const spec::StepSpec& step : spec.steps) {
    const spec::ComponentRef* component = step.component.get();
    if (component != nullptr && !component->tests.empty() &&
        seen.insert({component->dir, component->name}).second) {
      const std::string dir = component->dir.empty() ? spec.dir : component->dir;
      for (const auto& command : component->tests)
        out.push_back({"component " + component->name, command, dir});
    }
    for (const auto& command : step.tests) out.push_back({"step " + step.name, command, spec.dir});
  }
  return out;
}

StatusOr<CiTestResult> RunCiTest(const CiTest& test, int64_t timeout_ns, const std::string& log_path,
                                 std::ostream& out) {
  CiTestResult result{test.owner, test.command};
  auto words = spec::SplitShellWords(test.command);
  if (!words.ok() || words->empty()) {
    // The loader rejects these; kept as a failed test rather than a crash.
    result.detail = words.ok() ? "empty command" : std::string(words.status().message());
    return result;
  }
  exec::Command command;
  for (const auto& w : *words) command.argv.push_back(w.text);
  command.cwd = test.dir;
  command.stdout_path = log_path;
  command.stderr_path = log_path;
  command.timeout_ns = timeout_ns;
  exec::LocalRunner runner;
  RETURN_IF_ERROR(runner.Start(0, command));
  ASSIGN_OR_RETURN(auto finished, runner.Wait(exec::kNoDeadline));
  if (!finished) return InternalError("the test runner returned without a result");
  const exec::CommandResult& r = finished->second;
  result.passed = r.ok();
  result.duration_ns = r.wall_ns;
  result.detail = r.Describe();
  std::ifstream log(log_path);
  std::string line;
  while (std::getline(log, line)) out << "    " << line << "\n";
  return result;
}

}  // namespace mlpipe::cli
