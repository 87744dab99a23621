#include "mlpipe/cli/format.h"

#include <algorithm>
#include <ctime>

#include "mlpipe/base/clock.h"
#include "mlpipe/metadata/run_view.h"

namespace mlpipe::cli {

std::string FormatTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& row : rows) {
    if (width.size() < row.size()) width.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string FormatTime(int64_t wall_ns) { return FormatWallTime(wall_ns); }

bool ProcessAlive(int64_t pid) { return metadata::ProcessAliveHere(pid); }

std::string HostName() { return metadata::ThisHostName(); }

}  // namespace mlpipe::cli
