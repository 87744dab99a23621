#include "mlpipe/spec/shell_words.h"

#include <string_view>

#include <fmt/format.h>

namespace mlpipe::spec {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

Status ForEachShellWord(std::string_view text, const std::function<void(const ShellWord&)>& visit) {
  ShellWord current;  // reused: one buffer for all the words
  bool in_word = false;
  size_t i = 0;
  auto finish = [&] {
    if (in_word) visit(current);
    current.text.clear();
    current.quoted = false;
    in_word = false;
  };
  while (i < text.size()) {
    char c = text[i];
    if (IsBlank(c)) {
      finish();
      ++i;
    } else if (c == '\'') {
      size_t close = text.find('\'', i + 1);
      if (close == std::string_view::npos) {
        return InvalidArgumentError(
            fmt::format("unterminated single quote starting at character {}", i + 1));
      }
      current.text.append(text.substr(i + 1, close - i - 1));
      current.quoted = in_word = true;
      i = close + 1;
    } else if (c == '"') {
      size_t start = i;
      ++i;
      bool closed = false;
      while (i < text.size()) {
        char d = text[i];
        if (d == '"') {
          closed = true;
          ++i;
          break;
        }
        if (d == '\\' && i + 1 < text.size()) {
          char e = text[i + 1];
          if (e == '$' || e == '`' || e == '"' || e == '\\') {
            current.text.push_back(e);
            i += 2;
            continue;
          }
          if (e == '\n') {
            i += 2;
            continue;
          }
        }
        current.text.push_back(d);
        ++i;
      }
      if (!closed) {
        return InvalidArgumentError(
            fmt::format("unterminated double quote starting at character {}", start + 1));
      }
      current.quoted = in_word = true;
    } else if (c == '\\') {
      if (i + 1 >= text.size()) {
        return InvalidArgumentError("backslash at the end of the command escapes nothing");
      }
      if (text[i + 1] != '\n') {
        current.text.push_back(text[i + 1]);
        current.quoted = in_word = true;
      }
      i += 2;
    } else {
      size_t end = i + 1;  // the run of ordinary characters, appended at once
      while (end < text.size() && !IsBlank(text[end]) && text[end] != '\'' && text[end] != '"' &&
             text[end] != '\\') {
        ++end;
      }
      current.text.append(text.substr(i, end - i));
      in_word = true;
      i = end;
    }
  }
  finish();
  return OkStatus();
}

StatusOr<std::vector<ShellWord>> SplitShellWords(std::string_view text) {
  std::vector<ShellWord> words;
  RETURN_IF_ERROR(ForEachShellWord(text, [&](const ShellWord& w) { words.push_back(w); }));
  return words;
}

bool IsShellOperator(const ShellWord& word) {
  if (word.quoted || word.text.empty() || word.text.size() > 4) return false;
  if (std::string_view("|&;<>()12").find(word.text[0]) == std::string_view::npos) return false;
  static const char* kOperators[] = {"|", "||", "&", "&&", ";", ";;", ">", ">>", "<", "<<",
                                     "2>", "2>>", "&>", "2>&1", ">&2", "1>&2", "|&", "(", ")"};
  for (const char* op : kOperators) {
    if (word.text == op) return true;
  }
  return false;
}

}  // namespace mlpipe::spec
