#include "tests/docs/markdown_snippets.h"

#include <sstream>

namespace mlpipe::docs {
namespace {

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

std::vector<std::string> Words(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// Reads `<!-- snippet: KIND ARGS -->` from `line` into `snippet`; false if
// the line is no snippet marker.
bool ReadMarker(const std::string& line, Snippet* snippet) {
  const std::string open = "<!-- snippet:", close = "-->";
  std::string t = Trim(line);
  if (t.rfind(open, 0) != 0) return false;
  if (t.size() < open.size() + close.size() || t.compare(t.size() - close.size(), close.size(), close) != 0) {
    snippet->marker_error = "a snippet marker must be one line: <!-- snippet: KIND ... -->";
    return true;
  }
  std::vector<std::string> words = Words(t.substr(open.size(), t.size() - open.size() - close.size()));
  if (words.empty()) {
    snippet->marker_error = "the snippet marker names no kind";
    return true;
  }
  snippet->kind = words[0];
  snippet->args.assign(words.begin() + 1, words.end());
  const std::string& k = snippet->kind;
  const std::vector<std::string>& a = snippet->args;
  // One word, optionally followed by `touch PATH...` (file, fragment-of).
  const bool word_then_touch =
      !a.empty() && a[0] != "touch" && (a.size() == 1 || (a[1] == "touch" && a.size() > 2));
  if (k == "skip") {
    if (a.empty()) snippet->marker_error = "<!-- snippet: skip --> needs a reason";
  } else if (k == "fragment-of") {
    if (!word_then_touch || (a[0] != "steps" && a[0] != "pipeline")) {
      snippet->marker_error =
          "write <!-- snippet: fragment-of steps|pipeline --> or <!-- snippet: fragment-of steps|pipeline "
          "touch PATH... -->";
    }
  } else if (k == "file") {
    if (!word_then_touch)
      snippet->marker_error =
          "write <!-- snippet: file PATH --> or <!-- snippet: file PATH touch PATH... -->";
  } else if (k != "synopsis") {
    snippet->marker_error = "unknown snippet kind '" + k + "' (skip, fragment-of, file or synopsis)";
  }
  return true;
}

}  // namespace

std::vector<Snippet> ExtractSnippets(const std::string& markdown, const std::string& file) {
  std::vector<Snippet> out;
  std::istringstream in(markdown);
  std::string line;
  int n = 0;
  std::string last_text;  // the last non-blank line outside blocks
  Snippet* open = nullptr;
  std::string fence;
  while (std::getline(in, line)) {
    ++n;
    std::string t = Trim(line);
    if (open != nullptr) {
      if (t.rfind(fence, 0) == 0 && Trim(t.substr(fence.size())).empty()) {
        open = nullptr;
        last_text.clear();
      } else {
        open->text += line + "\n";
      }
      continue;
    }
    if (t.rfind("```", 0) == 0 || t.rfind("~~~", 0) == 0) {
      size_t len = t.find_first_not_of(t[0]);
      fence = t.substr(0, len == std::string::npos ? t.size() : len);
      Snippet s;
      s.file = file;
      s.fence_line = n;
      s.lang = Words(t.substr(fence.size())).empty() ? "" : Words(t.substr(fence.size()))[0];
      ReadMarker(last_text, &s);
      out.push_back(std::move(s));
      open = &out.back();
      continue;
    }
    if (!t.empty()) last_text = t;
  }
  return out;
}

std::vector<ParamTable> ExtractParamTables(const std::string& markdown) {
  std::vector<ParamTable> out;
  std::istringstream in(markdown);
  std::string line, section;
  bool in_fence = false, in_table = false;
  for (int n = 1; std::getline(in, line); ++n) {
    const std::string t = Trim(line);
    if (t.rfind("```", 0) == 0 || t.rfind("~~~", 0) == 0) in_fence = !in_fence;
    if (in_fence) continue;
    if (t.rfind("#", 0) == 0) {
      std::string title;
      for (char c : t.substr(t.find_first_not_of('#'))) {
        if (c != '`') title.push_back(c);
      }
      std::vector<std::string> words = Words(title);
      bool word = words.size() == 1;
      for (char c : word ? words[0] : "")
        word = word && (std::islower(static_cast<unsigned char>(c)) || c == '_');
      section = word ? words[0] : "";
      in_table = false;
      continue;
    }
    if (t.rfind("|", 0) != 0) {
      in_table = false;
      continue;
    }
    const std::string first = Trim(t.substr(1, t.find('|', 1) - 1));
    if (!in_table) {  // a header row
      in_table = !section.empty() && (first == "param" || first == "name");
      if (in_table) out.push_back(ParamTable{section, {}});
      continue;
    }
    for (size_t open = first.find('`'); open != std::string::npos; open = first.find('`', open + 1)) {
      size_t close = first.find('`', open + 1);
      if (close == std::string::npos) break;
      out.back().params.emplace_back(n, first.substr(open + 1, close - open - 1));
      open = close;
    }
  }
  return out;
}

}  // namespace mlpipe::docs
