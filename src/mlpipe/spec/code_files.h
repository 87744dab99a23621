// Internal: finding the script files a command names, so that editing a
// script changes the step's cache key.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

namespace mlpipe::spec::internal {

// Path helpers on std::filesystem lexical forms ("a/./b" -> "a/b").
std::string NormalizePath(const std::string& path);
// `path` (absolute, normalized) relative to `dir` if it lies inside it, else
// `path` unchanged.
std::string RelativeToDirOrAbsolute(const std::string& path, const std::string& dir);

// Remembers which paths are regular files so a 10,000-step pipeline naming the
// same script stats it once. Not thread-safe.
class CodeFileDetector {
 public:
  // Returns the command words (before substitution: words holding a
  // placeholder are skipped; for a shell command the string is split into
  // words first) that name an existing regular file relative to `base_dir`,
  // as normalized paths relative to `base_dir`, without duplicates.
  std::vector<std::string> Detect(const std::vector<std::string>& command, bool shell,
                                  const std::string& base_dir);
  // True if `full_path` is a regular file (cached).
  bool IsRegularFile(const std::string& full_path);
  // Every path asked about that was not a regular file, sorted: had one
  // been, it would be a code file (what a run stamp must watch for). Empties
  // the cache as it goes (a generated pipeline asks about tens of thousands
  // of paths), so call it once, when done.
  std::vector<std::string> TakeAbsentPaths();

 private:
  // What Detect found for one word: its normalized path, or "" if it does
  // not name a regular file. Not memoized per word: in a generated pipeline
  // most words are unique, and a map of them cost more memory than the
  // spec's steps (the stat itself is cached in cache_).
  std::string DetectWord(const std::string& word, const std::string& base_dir);

  std::unordered_map<std::string, bool> cache_;
};

}  // namespace mlpipe::spec::internal
