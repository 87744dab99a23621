#include "mlpipe/spec/code_files.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "mlpipe/spec/placeholders.h"
#include "mlpipe/spec/shell_words.h"

namespace mlpipe::spec::internal {

namespace fs = std::filesystem;

std::string NormalizePath(const std::string& path) {
  std::string out = fs::path(path).lexically_normal().generic_string();
  if (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

std::string RelativeToDirOrAbsolute(const std::string& path, const std::string& dir) {
  fs::path rel = fs::path(path).lexically_relative(dir);
  std::string text = rel.generic_string();
  if (text.empty() || text == ".." || text.rfind("../", 0) == 0) return path;
  return text;
}

bool CodeFileDetector::IsRegularFile(const std::string& full_path) {
  auto it = cache_.find(full_path);
  if (it != cache_.end()) return it->second;
  std::error_code ec;
  bool regular = fs::is_regular_file(full_path, ec);
  cache_.emplace(full_path, regular);
  return regular;
}

std::vector<std::string> CodeFileDetector::TakeAbsentPaths() {
  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(
      std::count_if(cache_.begin(), cache_.end(), [](const auto& e) { return !e.second; })));
  while (!cache_.empty()) {
    auto node = cache_.extract(cache_.begin());
    if (!node.mapped()) out.push_back(std::move(node.key()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string CodeFileDetector::DetectWord(const std::string& word, const std::string& base_dir) {
  // A word without '/' other than "." and ".." is already normal: skip the
  // std::filesystem round trip.
  std::string normal =
      word.find('/') == std::string::npos && word != "." && word != ".." ? word : NormalizePath(word);
  if (normal.empty() || normal == "." || normal.rfind("..", 0) == 0) return {};
  std::string full;
  full.reserve(base_dir.size() + 1 + normal.size());
  full.append(base_dir).append("/").append(normal);
  if (!IsRegularFile(full)) return {};
  return normal;
}

std::vector<std::string> CodeFileDetector::Detect(const std::vector<std::string>& command, bool shell,
                                                  const std::string& base_dir) {
  std::vector<std::string> found;
  auto visit = [&](const std::string& word) {
    if (word.empty() || word[0] == '/' || word[0] == '-' || word.find('$') != std::string::npos) return;
    std::string normal = DetectWord(word, base_dir);
    if (normal.empty()) return;
    if (std::find(found.begin(), found.end(), normal) == found.end()) found.push_back(std::move(normal));
  };
  if (!shell) {
    for (const auto& word : command) visit(word);
  } else if (!command.empty()) {
    // Word by word; a command that does not split (an open quote) names no files.
    if (!ForEachShellWord(command[0], [&](const ShellWord& w) { visit(w.text); }).ok()) found.clear();
  }
  return found;
}

}  // namespace mlpipe::spec::internal
