#include "mlpipe/engine/run_stamp.h"

#include <fmt/format.h>

#include <charconv>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string_view>

namespace mlpipe::engine {
namespace {

bool Clean(std::string_view field) { return field.find_first_of("\t\n") == std::string_view::npos; }

// Calls fn(line) for each "\n"-terminated line of `text`.
template <typename Fn>
Status ForEachLine(std::string_view text, std::string_view what, Fn fn) {
  while (!text.empty()) {
    size_t end = text.find('\n');
    if (end == std::string_view::npos)
      return DataLossError(fmt::format("run stamp: {} has an unfinished line", what));
    RETURN_IF_ERROR(fn(text.substr(0, end)));
    text.remove_prefix(end + 1);
  }
  return OkStatus();
}

// Splits "a\tb" at its tab.
StatusOr<std::pair<std::string_view, std::string_view>> SplitTab(std::string_view line,
                                                                 std::string_view what) {
  size_t tab = line.find('\t');
  if (tab == std::string_view::npos)
    return DataLossError(fmt::format("run stamp: a {} line has no tab", what));
  return std::make_pair(line.substr(0, tab), line.substr(tab + 1));
}

}  // namespace

std::string InvocationKey(const std::string& spec_path, const std::vector<std::string>& overrides) {
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(spec_path, ec);
  nlohmann::json key =
      nlohmann::json::array({"mlpipe run", MLPIPE_VERSION,
                             (ec ? std::filesystem::path(spec_path) : abs).lexically_normal().string()});
  for (const std::string& o : overrides) key.push_back(o);
  // Invalid UTF-8 (a path is bytes) is replaced rather than refused: such a
  // key is still unique enough to find its own stamp again.
  return key.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

StatusOr<metadata::RunStamp> EncodeRunStamp(const RunStampData& data, int64_t created_ns) {
  metadata::RunStamp out;
  out.invocation = data.invocation;
  out.pipeline = data.pipeline;
  out.run_id = data.run_id;
  out.created_ns = created_ns;
  for (const auto& [path, ref] : data.files) {
    if (!Clean(path) || !Clean(ref))
      return InvalidArgumentError("a file path holds a tab or a newline: " + path);
    out.files += ref + "\t" + path + "\n";
  }
  for (const std::string& ref : data.outputs) {
    if (!Clean(ref)) return InvalidArgumentError("an output ref holds a tab or a newline");
    out.outputs += ref + "\n";
  }
  for (const std::string& ref : data.sources) {
    if (!Clean(ref)) return InvalidArgumentError("a source ref holds a tab or a newline");
    out.outputs += "source\t" + ref + "\n";
  }
  for (const std::string& path : data.absent) {
    if (!Clean(path)) return InvalidArgumentError("a path holds a tab or a newline: " + path);
    out.absent += path + "\n";
  }
  for (const StampedStep& s : data.steps) {
    if (!Clean(s.step)) return InvalidArgumentError("a step name holds a tab or a newline: " + s.step);
    out.steps += fmt::format("{}\t{}\n", s.origin_run, s.step);
  }
  return out;
}

StatusOr<RunStampData> DecodeRunStamp(const metadata::RunStamp& stamp) {
  RunStampData d;
  d.invocation = stamp.invocation;
  d.pipeline = stamp.pipeline;
  d.run_id = stamp.run_id;
  RETURN_IF_ERROR(ForEachLine(stamp.files, "files", [&](std::string_view line) -> Status {
    ASSIGN_OR_RETURN(auto parts, SplitTab(line, "files"));
    d.files.emplace_back(std::string(parts.second), std::string(parts.first));
    return OkStatus();
  }));
  RETURN_IF_ERROR(ForEachLine(stamp.outputs, "outputs", [&](std::string_view line) -> Status {
    constexpr std::string_view kSource = "source\t";
    if (line.substr(0, kSource.size()) == kSource) {
      d.sources.emplace_back(line.substr(kSource.size()));
    } else {
      d.outputs.emplace_back(line);
    }
    return OkStatus();
  }));
  RETURN_IF_ERROR(ForEachLine(stamp.absent, "absent", [&](std::string_view line) -> Status {
    d.absent.emplace_back(line);
    return OkStatus();
  }));
  RETURN_IF_ERROR(ForEachLine(stamp.steps, "steps", [&](std::string_view line) -> Status {
    ASSIGN_OR_RETURN(auto parts, SplitTab(line, "steps"));
    StampedStep s;
    auto [ptr, ec] =
        std::from_chars(parts.first.data(), parts.first.data() + parts.first.size(), s.origin_run);
    if (ec != std::errc() || ptr != parts.first.data() + parts.first.size()) {
      return DataLossError("run stamp: a steps line does not start with a run id");
    }
    s.step = std::string(parts.second);
    d.steps.push_back(std::move(s));
    return OkStatus();
  }));
  return d;
}

}  // namespace mlpipe::engine
