#include "mlpipe/server/alert_rules.h"

namespace mlpipe::server {

std::string AlertRulesText() {
  return R"(groups:
  - name: mlpipe
    rules:
      - alert: MlpipeRunFailed
        expr: increase(mlpipe_runs_total{status="failed"}[1h]) > 0
        labels: {severity: warning}
        annotations: {summary: "a run of {{ $labels.pipeline }} failed in the last hour"}
)";
}

}  // namespace mlpipe::server
