// Small JSON helpers shared by the artifact formats of data/ (transform,
// statistics, schema, anomalies): NaN-safe numbers and atomic file I/O
// (also used by csv_writer.cc).
// Internal to mlpipe_data.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mlpipe/base/status.h"

namespace mlpipe::data {

// NaN and infinities as null (JSON has no NaN); others as numbers.
nlohmann::json NumberToJson(double v);
// null -> NaN; a number -> itself; anything else -> InvalidArgument naming `what`.
StatusOr<double> NumberFromJson(const nlohmann::json& j, const std::string& what);
nlohmann::json NumbersToJson(const std::vector<double>& v);
StatusOr<std::vector<double>> NumbersFromJson(const nlohmann::json& j, const std::string& what);

// Writes `j` pretty-printed to PATH.tmp, fsyncs and renames it over PATH.
Status WriteJsonFile(const nlohmann::json& j, const std::string& path);
// Writes `text` to PATH.tmp, fsyncs it and renames it over PATH (the one
// atomic write of data/: JSON artifacts and CSV files). Errno-based status
// naming the step and file; PATH.tmp is removed on failure.
Status WriteFileAtomic(std::string_view text, const std::string& path);
// Reads and parses a JSON file: errno-based status if unreadable,
// InvalidArgument "PATH: parse error ..." if not JSON.
StatusOr<nlohmann::json> ReadJsonFile(const std::string& path);

}  // namespace mlpipe::data
