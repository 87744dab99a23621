// The zsh completion function: one function per command, in the shape of
// zsh's own completions. A command with subcommands offers them with their
// descriptions (_describe) and hands the rest of the line to the chosen
// one's function; a leaf command describes its options and arguments to
// _arguments, with the accepted values of options that list them.
#include <fmt/format.h>

#include <string>
#include <vector>

#include "mlpipe/base/strings.h"
#include "mlpipe/cli/completion.h"

namespace mlpipe::cli {
namespace {

// Inside single quotes a quote is written '\''.
std::string SingleQuoteEscape(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out;
}

// Text in an _arguments spec, backslash-escaped: in an option's
// [explanation], brackets (one ends it); in a message, colons (they end it).
std::string SpecEscape(const std::string& s, const std::string& special) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || special.find(c) != std::string::npos) out += '\\';
    out += c;
  }
  return SingleQuoteEscape(out);
}
std::string ExplanationEscape(const std::string& s) { return SpecEscape(s, "[]"); }
std::string MessageEscape(const std::string& s) { return SpecEscape(s, ":"); }

std::string FunctionName(const CommandDoc& cmd) {
  std::string name = fmt::format("_{}", Join(cmd.path, "_"));
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

std::string ValueAction(const std::string& value_name, const std::vector<std::string>& choices) {
  if (!choices.empty()) return fmt::format("({})", SingleQuoteEscape(Join(choices, " ")));
  return CompletesAsFile(value_name) ? "_files" : " ";
}

// One _arguments spec per option: `(-j --jobs)'{-j,--jobs}'[HELP]:INT: '`.
std::string OptionSpec(const OptionDoc& opt) {
  std::string names;
  if (opt.names.size() == 1) {
    names = opt.names[0];
  } else {
    names = fmt::format("{{{}}}", Join(opt.names, ","));
  }
  std::string exclusion;
  if (opt.repeatable) {
    exclusion = "'*'";
  } else if (opt.names.size() > 1) {
    exclusion = fmt::format("'({})'", Join(opt.names, " "));
  }
  std::string spec = fmt::format("{}{}'[{}]", exclusion, names, ExplanationEscape(opt.description));
  if (!opt.value_name.empty()) {
    spec += fmt::format(":{}:{}", MessageEscape(opt.value_name), ValueAction(opt.value_name, opt.choices));
  }
  return spec + "'";
}

std::string ArgumentSpec(const ArgumentDoc& arg) {
  const std::string message = MessageEscape(arg.description.empty() ? arg.name : arg.description);
  const std::string position = arg.repeatable ? "*:" : (arg.required ? ":" : "::");
  return fmt::format("'{}{}:{}'", position, message, ValueAction(arg.value_name, arg.choices));
}

void AddFunctions(const CommandDoc& cmd, std::string* out) {
  std::vector<std::string> specs;
  for (const OptionDoc& opt : cmd.options) specs.push_back(OptionSpec(opt));
  *out += fmt::format("{}() {{\n", FunctionName(cmd));
  if (cmd.subcommands.empty()) {
    for (const ArgumentDoc& arg : cmd.arguments) specs.push_back(ArgumentSpec(arg));
    *out += "  _arguments -s -S";
    for (const std::string& s : specs) *out += " \\\n    " + s;
    *out += "\n}\n\n";
    return;
  }
  *out += "  local curcontext=\"$curcontext\" state line ret=1\n";
  *out += "  typeset -A opt_args\n";
  *out += "  _arguments -C -s -S";
  for (const std::string& s : specs) *out += " \\\n    " + s;
  *out += " \\\n    '1:command:->command' \\\n    '*::argument:->argument' && ret=0\n";
  *out += "  case $state in\n    command)\n      local -a commands\n      commands=(\n";
  for (const CommandDoc& sub : cmd.subcommands) {
    std::string entry = sub.path.back();
    std::string escaped;
    for (char c : entry) escaped += c == ':' ? std::string("\\:") : std::string(1, c);
    *out += fmt::format("        '{}:{}'\n", SingleQuoteEscape(escaped), SingleQuoteEscape(sub.description));
  }
  *out += fmt::format("      )\n      _describe -t commands '{} command' commands && ret=0\n      ;;\n",
                      SingleQuoteEscape(cmd.Name()));
  *out += "    argument)\n      case $line[1] in\n";
  for (const CommandDoc& sub : cmd.subcommands) {
    *out += fmt::format("        {}) {} && ret=0 ;;\n", sub.path.back(), FunctionName(sub));
  }
  *out += "      esac\n      ;;\n  esac\n  return ret\n}\n\n";
  for (const CommandDoc& sub : cmd.subcommands) AddFunctions(sub, out);
}

}  // namespace

std::string ZshCompletion(const CommandDoc& root) {
  const std::string name = root.path.front();
  std::string functions;
  AddFunctions(root, &functions);
  return fmt::format(R"zsh(#compdef {name}
# zsh completion for {name}, generated from its command tree by `{name} completion zsh`.
# Installed as _{name} in a folder of $fpath; or load it by hand (after compinit):
#   source <({name} completion zsh)

{functions}if [[ $funcstack[1] == _{name} ]]; then
  _{name} "$@"
else
  compdef _{name} {name}
fi
)zsh",
                     fmt::arg("name", name), fmt::arg("functions", functions));
}

}  // namespace mlpipe::cli
