#include "mlpipe/metadata/artifact_view.h"

#include <set>

namespace mlpipe::metadata {

using nlohmann::json;

json ProducerJson(MetadataStore& db, std::optional<int64_t> execution_id) {
  if (!execution_id) return json();
  auto e = db.GetExecution(*execution_id);
  if (!e.ok()) return json();
  return {{"run", e->run_id},
          {"step", e->step},
          {"execution", e->id},
          {"status", std::string(ToString(e->status))}};
}

StatusOr<json> ConsumersJson(MetadataStore& db, const std::string& ref) {
  ASSIGN_OR_RETURN(auto down, db.Downstream(ref));
  json consumers = json::array();
  std::set<int64_t> seen;
  for (const auto& e : down) {
    if (seen.insert(e.execution_id).second) {
      consumers.push_back(
          {{"run", e.run_id}, {"step", e.step}, {"execution", e.execution_id}, {"as", e.input_name}});
    }
  }
  return consumers;
}

}  // namespace mlpipe::metadata
