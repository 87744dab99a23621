#include "mlpipe/server/api_run_steps.h"

#include <fmt/format.h>

#include <vector>

#include "mlpipe/base/strings.h"

namespace mlpipe::server {

StatusOr<metadata::Execution> FindStep(metadata::MetadataStore& db, int64_t run_id, const std::string& step) {
  RETURN_IF_ERROR(db.GetRun(run_id).status());
  ASSIGN_OR_RETURN(auto execs, db.ListExecutions(run_id));
  std::vector<std::string> names;
  const metadata::Execution* found = nullptr;
  for (const auto& e : execs) {
    names.push_back(e.step);
    if (e.step == step) found = &e;
  }
  if (found) return *found;
  const std::string hint = ClosestMatch(step, names);
  return NotFoundError(fmt::format("run {} has no step '{}'{}", run_id, step,
                                   hint.empty() ? "" : "; did you mean '" + hint + "'?"));
}

}  // namespace mlpipe::server
