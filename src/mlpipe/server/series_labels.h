// The canonical text of a series' labels: `key="value",...` sorted by key,
// values escaped as in Prometheus' text format. One function, so that a
// series is written and looked up with the same text.
#pragma once

#include <map>
#include <string>

namespace mlpipe::server {

std::string SeriesLabels(const std::map<std::string, std::string>& labels);

}  // namespace mlpipe::server
