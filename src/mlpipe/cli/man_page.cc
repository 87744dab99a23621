#include "mlpipe/cli/man_page.h"

#include <fmt/format.h>

#include <regex>
#include <set>

#include "mlpipe/base/strings.h"
#include "mlpipe/store/file_system.h"

namespace mlpipe::cli {
namespace {

constexpr size_t kSynopsisOptions = 4;

// Text for roff: a backslash is \e, every '-' is \- (a minus sign, so that
// option names copied from the page work), and a line may not start with a
// control character ('.' or ').
std::string Roff(const std::string& text) {
  std::string out;
  bool line_start = true;
  for (char c : text) {
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
    line_start = c == '\n';
  }
  return out;
}

std::string Bold(const std::string& s) { return fmt::format("\\fB{}\\fR", Roff(s)); }
std::string Italic(const std::string& s) { return fmt::format("\\fI{}\\fR", Roff(s)); }

// A sentence: the description with a full stop.
std::string Sentence(const std::string& s) {
  if (s.empty() || s.back() == '.' || s.back() == '?' || s.back() == '!') return s;
  return s + ".";
}

// CLI11 describes a range check as "INT in [1 - 4096]": "From 1 to 4096."
std::string ConstraintSentence(const std::string& constraint) {
  static const std::regex kRange(R"(^\S+ in \[(.+) - (.+)\]$)");
  std::smatch m;
  if (std::regex_match(constraint, m, kRange)) return fmt::format("From {} to {}.", m[1].str(), m[2].str());
  return Sentence(constraint);
}

bool IsHelp(const OptionDoc& opt) { return opt.names.back() == "--help"; }

// The description without a leading "mlpipe: " (the root's help text names
// the program; the page's NAME line does already).
std::string Summary(const CommandDoc& cmd) {
  const std::string prefix = cmd.path.front() + ": ";
  return StartsWith(cmd.description, prefix) ? cmd.description.substr(prefix.size()) : cmd.description;
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string ValueText(const OptionDoc& opt) {
  if (opt.value_name.empty()) return "";
  if (opt.choices.empty()) return fmt::format(" {}", Italic(opt.value_name));
  std::vector<std::string> choices;
  for (const std::string& c : opt.choices) choices.push_back(Italic(c));
  return fmt::format(" {}", Join(choices, "|"));
}

// `[--limit INT]`, `[--param TEXT]...`: the synopsis form of an option,
// under its long name.
std::string SynopsisOption(const OptionDoc& opt) {
  std::string name = opt.names.back();
  std::string text = Bold(name) + ValueText(opt);
  if (!opt.required) text = fmt::format("[{}]", text);
  return opt.repeatable ? text + "..." : text;
}

std::string SynopsisArgument(const ArgumentDoc& arg) {
  std::string text = Italic(Upper(arg.name));
  if (arg.repeatable) text += "...";
  return arg.required ? text : fmt::format("[{}]", text);
}

void AddSynopsis(const CommandDoc& cmd, std::string* out) {
  *out += ".SH SYNOPSIS\n.nh\n.ad l\n";
  *out += Bold(cmd.Name());
  // Up to four options are spelled out; more make [OPTIONS] (listed below).
  std::vector<const OptionDoc*> shown;
  for (const OptionDoc& opt : cmd.options) {
    if (!IsHelp(opt)) shown.push_back(&opt);
  }
  if (shown.size() > kSynopsisOptions) {
    std::erase_if(shown, [](const OptionDoc* o) { return !o->required; });
    *out += fmt::format(" [{}]", Italic("OPTIONS"));
  }
  for (const OptionDoc* opt : shown) *out += fmt::format(" {}", SynopsisOption(*opt));
  if (!cmd.subcommands.empty()) {
    *out += cmd.needs_subcommand ? fmt::format(" {}", Italic("COMMAND"))
                                 : fmt::format(" [{}]", Italic("COMMAND"));
    *out += fmt::format(" [{}]", Italic("ARGS"));
  }
  for (const ArgumentDoc& arg : cmd.arguments) *out += fmt::format(" {}", SynopsisArgument(arg));
  *out += "\n.ad\n.hy\n";
}

void AddOptions(const CommandDoc& cmd, std::string* out) {
  if (!cmd.arguments.empty()) {
    *out += ".SH ARGUMENTS\n";
    for (const ArgumentDoc& arg : cmd.arguments) {
      *out += fmt::format(".TP\n{}{}\n", Italic(Upper(arg.name)), arg.repeatable ? "..." : "");
      std::vector<std::string> text = {Sentence(arg.description)};
      if (!arg.choices.empty()) text.push_back(fmt::format("One of: {}.", Join(arg.choices, ", ")));
      if (!arg.required) text.push_back("Optional.");
      std::erase(text, "");
      *out += fmt::format("{}\n", Roff(Join(text, " ")));
    }
  }
  if (cmd.options.empty()) return;
  *out += ".SH OPTIONS\n";
  for (const OptionDoc& opt : cmd.options) {
    std::vector<std::string> names;
    for (const std::string& n : opt.names) names.push_back(Bold(n));
    *out += fmt::format(".TP\n{}{}\n", Join(names, ", "), ValueText(opt));
    std::string text = Sentence(opt.description);
    if (!opt.constraint.empty()) text += fmt::format(" {}", ConstraintSentence(opt.constraint));
    if (opt.repeatable && opt.description.find("repeatable") == std::string::npos) {
      text += " May be given more than once.";
    }
    if (opt.required) text += " Required.";
    *out += fmt::format("{}\n", Roff(text));
  }
}

void AddCommands(const CommandDoc& cmd, std::string* out) {
  if (cmd.subcommands.empty()) return;
  *out += ".SH COMMANDS\n";
  for (const CommandDoc& sub : cmd.subcommands) {
    *out += fmt::format(".TP\n{}\n{} See {}(1).\n", Bold(sub.path.back()), Roff(Sentence(sub.description)),
                        Bold(sub.PageName()));
  }
}

void AddCommonSections(const CommandDoc& cmd, const CommandDoc& root, std::string* out) {
  *out += R"(.SH EXIT STATUS
.TP
.B 0
Success.
.TP
.B 1
A step failed, a check found damage, or another runtime failure.
.TP
.B 2
Invalid input: a spec error, a bad flag or param, an unknown run, step or artifact; nothing was run.
.TP
.B 130
Interrupted (SIGINT or SIGTERM): every running step's process group was stopped.
.SH ENVIRONMENT
.TP
.B MLPIPE_HOME
The workspace folder to use. Without it, the workspace is the
.B .mlpipe
folder found by searching upward from the current directory, like
.BR .git .
)";
  // The root's page, the parent's, the subcommands'.
  std::vector<std::string> see_also;
  for (size_t n = 1; n < cmd.path.size(); ++n) {
    if (n > 1 && n + 1 < cmd.path.size()) continue;  // only the root and the parent
    see_also.push_back(Bold(Join(std::vector<std::string>(cmd.path.begin(), cmd.path.begin() + n), "-")) +
                       "(1)");
  }
  for (const CommandDoc& sub : cmd.subcommands) see_also.push_back(Bold(sub.PageName()) + "(1)");
  *out += ".SH SEE ALSO\n";
  if (!see_also.empty()) *out += Join(see_also, ",\n") + "\n.PP\n";
  *out += Roff(fmt::format(
      "The complete reference of every command is cli.md in {}'s documentation (docs/ in its source, "
      "share/doc/{} under the installation prefix).",
      root.path.front(), root.path.front()));
  *out += "\n";
}

std::string Page(const CommandDoc& cmd, const CommandDoc& root, const std::string& version) {
  std::string out = fmt::format(".\\\" Generated by `{} manpages` from its command tree; do not edit.\n",
                                root.path.front());
  out += fmt::format(".TH \"{}\" \"1\" \"\" \"{}\" \"{} manual\"\n", Roff(Upper(cmd.PageName())),
                     Roff(version), Roff(root.path.front()));
  out += fmt::format(".SH NAME\n{} \\- {}\n", Roff(cmd.PageName()), Roff(Summary(cmd)));
  AddSynopsis(cmd, &out);
  out += fmt::format(".SH DESCRIPTION\n{}\n", Roff(Sentence(Summary(cmd))));
  if (!cmd.subcommands.empty()) {
    out += fmt::format(".PP\n{}\n",
                       Roff(fmt::format("Run `{} COMMAND --help` for a command's options.", cmd.Name())));
  }
  AddCommands(cmd, &out);
  AddOptions(cmd, &out);
  AddCommonSections(cmd, root, &out);
  return out;
}

void AddPages(const CommandDoc& cmd, const CommandDoc& root, const std::string& version,
              std::vector<ManPage>* pages) {
  pages->push_back({cmd.PageName() + ".1", Page(cmd, root, version)});
  for (const CommandDoc& sub : cmd.subcommands) AddPages(sub, root, version, pages);
}

}  // namespace

std::vector<ManPage> ManPages(const CommandDoc& root, const std::string& version) {
  std::vector<ManPage> pages;
  AddPages(root, root, version, &pages);
  return pages;
}

Status WriteManPages(const CommandDoc& root, const std::string& version, const std::string& dir) {
  store::FileSystem& fs = store::PosixFileSystem();
  RETURN_IF_ERROR(fs.MakeDirs(dir));
  std::set<std::string> written;
  for (const ManPage& page : ManPages(root, version)) {
    RETURN_IF_ERROR(fs.WriteFileAtomically(store::JoinPath(dir, page.file_name), page.text));
    written.insert(page.file_name);
  }
  ASSIGN_OR_RETURN(auto entries, fs.ReadDir(dir));
  const std::string program = root.path.front();
  for (const store::DirEntry& e : entries) {
    const bool ours =
        e.name == program + ".1" || (StartsWith(e.name, program + "-") && EndsWith(e.name, ".1"));
    if (ours && !written.count(e.name)) RETURN_IF_ERROR(fs.Unlink(store::JoinPath(dir, e.name)));
  }
  return OkStatus();
}

}  // namespace mlpipe::cli
