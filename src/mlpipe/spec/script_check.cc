#include "mlpipe/spec/script_check.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <string_view>
#include <system_error>

#include "mlpipe/base/strings.h"
#include "mlpipe/spec/shell_words.h"

namespace mlpipe::spec::internal {
namespace {

namespace fs = std::filesystem;

bool IsInterpreter(std::string_view program) {
  std::string_view base =
      program.substr(program.rfind('/') == std::string_view::npos ? 0 : program.rfind('/') + 1);
  for (std::string_view prefix : {"python", "pypy"}) {
    if (StartsWith(base, prefix)) return true;  // python3, python3.11, pypy3
  }
  for (std::string_view name : {"bash", "sh", "zsh", "dash", "ksh", "Rscript", "julia", "ruby", "perl",
                                "node", "php", "lua", "tclsh"}) {
    if (base == name) return true;
  }
  return false;
}

bool IsEnv(std::string_view program) { return program == "env" || program == "/usr/bin/env"; }

bool HasScriptExtension(std::string_view word) {
  for (std::string_view ext : {".py", ".sh", ".bash", ".zsh", ".R", ".r", ".jl", ".rb", ".pl", ".js", ".mjs",
                               ".php", ".lua", ".tcl"}) {
    if (EndsWith(word, ext) && word.size() > ext.size()) return true;
  }
  return false;
}

// Options whose code is the next word or glued to it: no script follows.
bool IsCodeOption(std::string_view opt) {
  return opt == "-c" || opt == "-m" || opt == "-e" || opt == "-E" || opt == "--eval" ||
         StartsWith(opt, "-m") || (StartsWith(opt, "-c") && opt.size() > 2 && opt[1] == 'c');
}

// Options that take the next word as their value.
bool TakesValue(std::string_view opt) {
  return opt == "-W" || opt == "-X" || opt == "-o" || opt == "-O" || opt == "-I" || opt == "-r" ||
         opt == "--require";
}

bool IsShellKeyword(std::string_view w) {
  for (std::string_view k :
       {"if", "then", "else", "elif", "do", "while", "until", "!", "time", "exec", "nohup"}) {
    if (w == k) return true;
  }
  return false;
}

// Reads a command's words, simple command by simple command (Reset after
// an operator), and reports each one's script word, if any. After a `cd`
// nothing more is reported: later relative paths name other files.
class CommandReader {
 public:
  explicit CommandReader(std::vector<ScriptWord>* out) : out_(out) {}

  // Starts a new simple command (after an operator).
  void Reset() { state_ = State::kProgram; }

  // The next word of the command; `index` is its position.
  void Word(const std::string& text, size_t index) {
    if (stopped_) return;
    const bool placeholder = text.find('$') != std::string::npos;
    switch (state_) {
      case State::kProgram:
        if (IsShellKeyword(text) || (text.find('=') != std::string::npos && text[0] != '=' &&
                                     text[0] != '-' && text.find('/') == std::string::npos)) {
          return;  // a keyword or a VAR=value prefix: the program comes next
        }
        if (text == "cd") {
          stopped_ = true;
          return;
        }
        if (IsEnv(text)) {
          state_ = State::kEnv;
          return;
        }
        if (!placeholder && text.find('/') != std::string::npos && !IsInterpreter(text)) {
          out_->push_back({text, index});
        }
        state_ = IsInterpreter(text) ? State::kOperand : State::kDone;
        return;
      case State::kEnv:
        if (!text.empty() && text[0] == '-') return;
        if (text.find('=') != std::string::npos) return;
        state_ = State::kProgram;
        Word(text, index);
        return;
      case State::kOperand:
        if (!text.empty() && text[0] == '-') {
          if (IsCodeOption(text)) state_ = State::kDone;
          if (TakesValue(text)) state_ = State::kOptionValue;
          return;
        }
        if (!placeholder && (text.find('/') != std::string::npos || HasScriptExtension(text))) {
          out_->push_back({text, index});
        }
        state_ = State::kDone;
        return;
      case State::kOptionValue:
        state_ = State::kOperand;
        return;
      case State::kDone:
        return;
    }
  }

 private:
  enum class State { kProgram, kEnv, kOperand, kOptionValue, kDone };
  std::vector<ScriptWord>* out_;
  State state_ = State::kProgram;
  bool stopped_ = false;
};

bool IsRedirection(const ShellWord& w) {
  return IsShellOperator(w) &&
         (w.text.find('>') != std::string::npos || w.text.find('<') != std::string::npos);
}

// A shell word without the operators glued to it ("run.sh;" -> "run.sh",
// ">out.txt" -> "out.txt"); *ends_command when one ended the command.
std::string Unglued(const ShellWord& w, bool* ends_command) {
  std::string text = w.text;
  *ends_command = false;
  if (w.quoted) return text;
  while (!text.empty() && (text.back() == ';' || text.back() == '&' || text.back() == '|')) {
    text.pop_back();
    *ends_command = true;
  }
  size_t lead = text.find_first_not_of("<>");
  return lead == std::string::npos ? std::string() : text.substr(lead);
}

}  // namespace

std::vector<ScriptWord> ScriptWords(const std::vector<std::string>& command, bool shell) {
  std::vector<ScriptWord> out;
  CommandReader reader(&out);
  if (!shell) {
    for (size_t i = 0; i < command.size(); ++i) reader.Word(command[i], i);
    return out;
  }
  if (command.empty()) return out;
  size_t index = 0;
  bool redirect_target = false;
  Status split = ForEachShellWord(command[0], [&](const ShellWord& w) {
    const size_t at = index++;
    if (redirect_target) {  // `> out.py`: a file the command writes
      redirect_target = false;
      return;
    }
    if (IsRedirection(w)) {
      redirect_target = w.text != "2>&1" && w.text != ">&2" && w.text != "1>&2";
      return;
    }
    if (IsShellOperator(w)) {
      reader.Reset();
      return;
    }
    bool ends_command = false;
    const bool redirect =
        !w.quoted && !w.text.empty() && (w.text[0] == '<' || w.text[0] == '>');  // ">out.py"
    std::string text = Unglued(w, &ends_command);
    if (!text.empty() && !redirect) reader.Word(text, at);
    if (ends_command) reader.Reset();
  });
  if (!split.ok()) out.clear();  // a command that does not split names no scripts
  return out;
}

std::vector<std::string> CommandWords(const std::vector<std::string>& command, bool shell) {
  if (!shell || command.empty()) return command;
  std::vector<std::string> words;
  (void)ForEachShellWord(command[0], [&](const ShellWord& w) {
    bool ends_command = false;
    words.push_back(Unglued(w, &ends_command));
  });
  return words;
}

std::string MissingScriptHint(const std::string& path, const std::string& base_dir) {
  fs::path written(path);
  std::string folder = written.parent_path().generic_string();
  fs::path dir = written.is_absolute() ? written.parent_path() : fs::path(base_dir) / written.parent_path();
  std::error_code ec;
  if (!folder.empty() && !fs::is_directory(dir, ec)) {
    return fmt::format(
        "the folder {}/ does not exist either; paths in run: are relative to the pipeline file's "
        "folder",
        folder);
  }
  std::vector<std::string> files;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (it->is_regular_file(type_ec)) files.push_back(it->path().filename().string());
  }
  std::sort(files.begin(), files.end());
  const std::string prefix = folder.empty() ? "" : folder + "/";
  std::string close = ClosestMatch(written.filename().string(), files);
  if (!close.empty()) return fmt::format("did you mean '{}{}'?", prefix, close);
  std::vector<std::string> scripts;
  for (const auto& f : files) {
    if (HasScriptExtension(f) && scripts.size() < 8) scripts.push_back(prefix + f);
  }
  if (scripts.empty()) return "paths in run: are relative to the pipeline file's folder";
  return fmt::format("scripts there: {}", Join(scripts, ", "));
}

}  // namespace mlpipe::spec::internal
