// The bash completion script. Its data is one lookup function,
// `__NAME_words CMD KIND`, a case over every command of the tree; the
// completion function finds the command being typed (the words that name
// subcommands, skipping options and their values) and offers, by position:
// an option's accepted values or files, the command's options after a dash,
// else its subcommands and, where it takes paths, files.
#include <fmt/format.h>

#include <string>
#include <vector>

#include "mlpipe/base/strings.h"
#include "mlpipe/cli/completion.h"

namespace mlpipe::cli {
namespace {

// A word list in single quotes (names never contain a quote; a stray one is
// dropped rather than breaking the script).
std::string Quoted(const std::vector<std::string>& words) {
  std::string joined = Join(words, " ");
  std::erase(joined, '\'');
  return "'" + joined + "'";
}

std::string FunctionKey(const CommandDoc& cmd) { return Join(cmd.path, "_"); }

void AddCases(const CommandDoc& cmd, std::string* out) {
  const std::string key = FunctionKey(cmd);
  std::vector<std::string> commands, options, values, file_values;
  for (const CommandDoc& sub : cmd.subcommands) commands.push_back(sub.path.back());
  for (const OptionDoc& opt : cmd.options) {
    for (const std::string& name : opt.names) {
      options.push_back(name);
      if (opt.value_name.empty()) continue;
      values.push_back(name);
      if (opt.choices.empty() && CompletesAsFile(opt.value_name)) file_values.push_back(name);
    }
  }
  bool file_args = false;
  std::vector<std::string> arg_choices;
  for (const ArgumentDoc& arg : cmd.arguments) {
    file_args = file_args || (arg.choices.empty() && CompletesAsFile(arg.value_name));
    arg_choices.insert(arg_choices.end(), arg.choices.begin(), arg.choices.end());
  }

  auto add = [&](const std::string& kind, const std::vector<std::string>& words) {
    if (!words.empty()) *out += fmt::format("    {}:{}) echo {} ;;\n", key, kind, Quoted(words));
  };
  add("commands", commands);
  add("words", arg_choices);
  add("options", options);
  add("values", values);
  add("files", file_values);
  if (file_args) add("args", {"file"});
  for (const OptionDoc& opt : cmd.options) {
    if (opt.choices.empty()) continue;
    for (const std::string& name : opt.names) add("choices" + name, opt.choices);
  }
  for (const CommandDoc& sub : cmd.subcommands) AddCases(sub, out);
}

}  // namespace

std::string BashCompletion(const CommandDoc& root) {
  const std::string name = root.path.front();
  std::string cases;
  AddCases(root, &cases);
  return fmt::format(
      R"bash(# bash completion for {name}, generated from its command tree by `{name} completion bash`.
# Installed as share/bash-completion/completions/{name}; or load it by hand:
#   source <({name} completion bash)

# __{name}_words CMD KIND: the words of KIND for the command CMD (its path
# joined by _): commands, words (the values its arguments accept), options,
# values (options taking a value), files (options taking a path), args
# (file: its arguments are paths), choices-OPTION (the values OPTION accepts).
__{name}_words() {{
  case "$1:$2" in
{cases}  esac
}}

# __{name}_in WORD LIST: whether WORD is one of the words of LIST.
__{name}_in() {{
  [[ " $2 " == *" $1 "* ]]
}}

__{name}_files() {{
  compopt -o filenames 2>/dev/null
  local IFS=$'\n'
  COMPREPLY+=($(compgen -f -- "$1"))
}}

_{name}() {{
  local cur=${{COMP_WORDS[COMP_CWORD]}} prev= cmd={name} w i skip=0
  ((COMP_CWORD > 0)) && prev=${{COMP_WORDS[COMP_CWORD - 1]}}
  COMPREPLY=()
  # The command being typed: the words that name subcommands, in order.
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=${{COMP_WORDS[i]}}
    if ((skip)); then
      skip=0
    elif [[ $w == -* ]]; then
      __{name}_in "$w" "$(__{name}_words "$cmd" values)" && skip=1
    elif [[ $w == = ]]; then
      :  # --opt=value, split at the '=' by COMP_WORDBREAKS
    elif __{name}_in "$w" "$(__{name}_words "$cmd" commands)"; then
      cmd=${{cmd}}_$w
    fi
  done

  # The value of an option: `--opt VALUE`, `--opt=VALUE`.
  local opt=$prev
  if [[ $cur == = ]]; then
    cur=
  elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
    opt=${{COMP_WORDS[COMP_CWORD - 2]}}
  fi
  if [[ $opt == -* ]] && __{name}_in "$opt" "$(__{name}_words "$cmd" values)"; then
    local choices
    choices=$(__{name}_words "$cmd" "choices$opt")
    if [[ -n $choices ]]; then
      COMPREPLY=($(compgen -W "$choices" -- "$cur"))
    elif __{name}_in "$opt" "$(__{name}_words "$cmd" files)"; then
      __{name}_files "$cur"
    fi
    return 0
  fi

  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$(__{name}_words "$cmd" options)" -- "$cur"))
    return 0
  fi
  COMPREPLY=($(compgen -W "$(__{name}_words "$cmd" commands) $(__{name}_words "$cmd" words)" -- "$cur"))
  if [[ $(__{name}_words "$cmd" args) == file ]]; then
    __{name}_files "$cur"
  fi
  return 0
}}

complete -F _{name} {name}
)bash",
      fmt::arg("name", name), fmt::arg("cases", cases));
}

}  // namespace mlpipe::cli
