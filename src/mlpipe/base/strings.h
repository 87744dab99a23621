// Small string helpers shared by every subsystem.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mlpipe {

std::vector<std::string> Split(std::string_view s, char sep);
std::string Join(const std::vector<std::string>& parts, std::string_view sep);
bool StartsWith(std::string_view s, std::string_view prefix);
bool EndsWith(std::string_view s, std::string_view suffix);
std::string_view Trim(std::string_view s);
// `s` with the ASCII letters A-Z made lower-case (other bytes as they are).
std::string AsciiLower(std::string_view s);
// Levenshtein distance, for did-you-mean hints.
size_t EditDistance(std::string_view a, std::string_view b);
// The candidate closest to `word` within a small edit distance, or "" if none
// is close enough to be a plausible typo.
std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates);
// "1.2s", "340ms", "2m05s": a duration for people.
std::string FormatDuration(int64_t nanos);
// "1.5 KiB", "3.2 MiB".
std::string FormatBytes(uint64_t bytes);
// 'text' for /bin/sh: one word whatever it holds (embedded quotes closed and escaped).
std::string ShellQuote(std::string_view s);
// The value of a hex digit (0-9, a-f, A-F), or -1: percent-decoding.
int HexDigitValue(char c);

}  // namespace mlpipe
