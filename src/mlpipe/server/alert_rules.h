// Prometheus alert rules over the server's /metrics, printed by
// `mlpipe server --print-alert-rules`.
#pragma once

#include <string>

namespace mlpipe::server {

std::string AlertRulesText();

}  // namespace mlpipe::server
