#include "mlpipe/spec/units.h"

#include <charconv>
#include <cmath>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "mlpipe/base/strings.h"

namespace mlpipe::spec {
namespace {

// Splits "1.5GiB" into the number 1.5 and the unit "GiB". Returns false if
// there is no leading non-negative decimal number.
bool SplitNumberUnit(std::string_view text, double* number, std::string_view* unit) {
  size_t i = 0;
  bool digits = false;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) {
    digits = digits || text[i] != '.';
    ++i;
  }
  if (!digits) return false;
  std::string num(text.substr(0, i));
  char* end = nullptr;
  *number = std::strtod(num.c_str(), &end);
  if (end != num.c_str() + num.size() || !std::isfinite(*number)) return false;
  *unit = text.substr(i);
  return true;
}

}  // namespace

StatusOr<int64_t> ParseDuration(std::string_view raw) {
  std::string_view text = Trim(raw);
  double number = 0;
  std::string_view unit;
  auto bad = [&] { return InvalidArgumentError(fmt::format("bad duration '{}'", raw)); };
  if (!SplitNumberUnit(text, &number, &unit)) return bad();
  static const std::pair<std::string_view, double> kUnits[] = {
      {"", 1e9}, {"ns", 1.0}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9},
      {"m", 60e9}, {"h", 3600e9}, {"d", 86400e9}};
  for (const auto& [name, factor] : kUnits) {
    if (unit == name) {
      double ns = number * factor;
      if (ns > 9.2e18) return bad();
      return static_cast<int64_t>(std::llround(ns));
    }
  }
  return bad();
}

std::string DurationText(int64_t ns) {
  static const std::pair<const char*, int64_t> kUnits[] = {
      {"d", 86'400'000'000'000}, {"h", 3'600'000'000'000}, {"m", 60'000'000'000}, {"s", 1'000'000'000},
      {"ms", 1'000'000},         {"us", 1'000},            {"ns", 1}};
  if (ns == 0) return "0s";
  for (const auto& [unit, factor] : kUnits) {
    if (ns % factor == 0) return fmt::format("{}{}", ns / factor, unit);
  }
  return fmt::format("{}ns", ns);
}

StatusOr<int64_t> ParseSize(std::string_view raw) {
  std::string_view text = Trim(raw);
  double number = 0;
  std::string_view unit;
  auto bad = [&] { return InvalidArgumentError(fmt::format("bad size '{}'", raw)); };
  if (!SplitNumberUnit(text, &number, &unit)) return bad();
  static const std::pair<std::string_view, double> kUnits[] = {
      {"", 1.0},      {"B", 1.0},
      {"K", 1e3},     {"k", 1e3},     {"KB", 1e3},    {"kB", 1e3},   {"M", 1e6},    {"MB", 1e6},
      {"G", 1e9},     {"GB", 1e9},    {"T", 1e12},    {"TB", 1e12},
      {"Ki", 1024.0}, {"KiB", 1024.0}, {"Mi", 1048576.0}, {"MiB", 1048576.0},
      {"Gi", 1073741824.0}, {"GiB", 1073741824.0},
      {"Ti", 1099511627776.0}, {"TiB", 1099511627776.0}};
  for (const auto& [name, factor] : kUnits) {
    if (unit == name) {
      double bytes = number * factor;
      if (bytes > 9.2e18) return bad();
      return static_cast<int64_t>(std::llround(bytes));
    }
  }
  return bad();
}

}  // namespace mlpipe::spec
