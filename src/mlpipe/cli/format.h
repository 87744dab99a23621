// Small helpers for CLI output: aligned text tables and times.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mlpipe::cli {

// Prints rows as left-aligned columns separated by two spaces; the first row
// is the header.
std::string FormatTable(const std::vector<std::vector<std::string>>& rows);
// "2026-11-26 06:44:09" (local time) from wall-clock ns; "" for 0.
std::string FormatTime(int64_t wall_ns);
// True if a process with this pid runs on this host.
bool ProcessAlive(int64_t pid);
// This machine's host name.
std::string HostName();

}  // namespace mlpipe::cli
