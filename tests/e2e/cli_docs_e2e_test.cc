// End-to-end: what mlpipe says about itself. `--version`; the bash and zsh
// completions it generates, run by the real shells, offer its real
// commands, options and values; the man pages the build generated render
// without a warning and cover every command of `mlpipe --help`.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <sstream>
#include <string>

#include "tests/e2e/e2e_util.h"

namespace mlpipe::e2e {
namespace {

namespace fs = std::filesystem;

const std::string kManDir = std::string(MLPIPE_BINARY_DIR) + "/generated/man/man1";

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// The subcommands `mlpipe [COMMAND] --help` lists (CLI11: a "Subcommands:"
// section, one "  NAME  description" line each).
std::vector<std::string> HelpSubcommands(const Project& p, std::vector<std::string> command) {
  command.push_back("--help");
  auto help = p.Mlpipe(command);
  EXPECT_EQ(help.exit_code, 0) << help.err;
  std::vector<std::string> names;
  std::istringstream in(help.out);
  std::string line;
  bool in_section = false;
  while (std::getline(in, line)) {
    if (line.rfind("Subcommands:", 0) == 0 || line.rfind("SUBCOMMANDS:", 0) == 0) {
      in_section = true;
    } else if (in_section && line.size() > 2 && line[0] == ' ' && line[2] != ' ') {
      names.push_back(line.substr(2, line.find(' ', 2) - 2));
    } else if (in_section && !line.empty() && line[0] != ' ') {
      in_section = false;
    }
  }
  return names;
}

class CliDocsE2E : public ::testing::Test {
 protected:
  CliDocsE2E() : p_("cli-docs") {}
  void SetUp() override {
    auto bash = p_.Mlpipe({"completion", "bash"});
    ASSERT_EQ(bash.exit_code, 0) << bash.err;
    p_.Write("completion.bash", bash.out);
    p_.Write("work/pipeline.yaml", "pipeline: p\nsteps: {a: {run: 'true'}}\n");
  }

  // What bash offers after `mlpipe WORDS...` (tests/e2e/bash_complete.sh).
  std::string Complete(const std::vector<std::string>& words) {
    std::string cmd =
        fmt::format("cd '{}' && bash --norc --noprofile '{}/tests/e2e/bash_complete.sh' '{}' mlpipe",
                    p_.Path("work"), MLPIPE_SOURCE_DIR, p_.Path("completion.bash"));
    for (const std::string& w : words) cmd += " '" + w + "'";
    int rc = 0;
    std::string out = Trimmed(ShellOutput(cmd, &rc));
    EXPECT_EQ(rc, 0) << cmd;
    return out;
  }

  Project p_;
};

TEST_F(CliDocsE2E, VersionPrintsTheProjectVersion) {
  auto r = p_.Mlpipe({"--version"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, std::string("mlpipe ") + MLPIPE_VERSION + "\n");
}

TEST_F(CliDocsE2E, BashCompletesEveryCommandOfTheHelp) {
  const std::vector<std::string> top = HelpSubcommands(p_, {});
  ASSERT_GE(top.size(), 10u);
  std::string expected;
  std::set<std::string> sorted(top.begin(), top.end());
  for (const std::string& c : sorted) expected += (expected.empty() ? "" : " ") + c;
  EXPECT_EQ(Complete({""}), expected);
  EXPECT_EQ(Complete({"in"}), "init");
  for (const std::string group : {"runs", "artifacts", "models"}) {
    std::set<std::string> subs;
    for (const std::string& s : HelpSubcommands(p_, {group})) subs.insert(s);
    ASSERT_FALSE(subs.empty()) << group;
    std::string want;
    for (const std::string& s : subs) want += (want.empty() ? "" : " ") + s;
    EXPECT_EQ(Complete({group, ""}), want) << group;
  }
}

TEST_F(CliDocsE2E, BashCompletesOptionsValuesAndFiles) {
  const std::string run_options = Complete({"run", "--"});
  for (const char* o : {"--jobs", "--no-cache", "--explain", "--param", "--json", "--resume", "--help"}) {
    EXPECT_TRUE(Contains(" " + run_options + " ", std::string(" ") + o + " ")) << o << " in " << run_options;
  }
  EXPECT_EQ(Complete({"graph", "pipeline.yaml", "--format", ""}), "dot mermaid");
  EXPECT_EQ(Complete({"init", "--template", ""}), "tabular textstats");
  EXPECT_EQ(Complete({"completion", ""}), "bash zsh");
  EXPECT_EQ(Complete({"run", "pi"}), "pipeline.yaml");
  EXPECT_EQ(Complete({"validate", "-p", "x=1", "pip"}), "pipeline.yaml");
  // mlpipe serve is another executable; its flags complete all the same.
  const std::string serve = Complete({"serve", "--"});
  for (const char* o : {"--model", "--package", "--deployment", "--port", "--grace"}) {
    EXPECT_TRUE(Contains(" " + serve + " ", std::string(" ") + o + " ")) << o << " in " << serve;
  }
  // An option's value is no command: `runs` here is a param.
  EXPECT_EQ(Complete({"run", "-p", "runs", "--j"}), "--jobs --json");
  // `--format=m`: bash splits the word at the '='.
  EXPECT_EQ(Complete({"graph", "--format", "=", "m"}), "mermaid");
  EXPECT_EQ(Complete({"graph", "--format", "="}), "dot mermaid");
  // Numbers: nothing to offer, and no files.
  EXPECT_EQ(Complete({"runs", "delete", ""}), "");
  EXPECT_EQ(Complete({"runs", "list", "--limit", ""}), "");
  // The hidden commands are not offered.
  const std::string top = fmt::format(" {} ", Complete({""}));
  EXPECT_FALSE(Contains(top, " builtin ")) << top;
  EXPECT_FALSE(Contains(top, " manpages ")) << top;
}

TEST_F(CliDocsE2E, ZshLoadsTheCompletionFromItsFunctionPath) {
  if (Shell("command -v zsh >/dev/null 2>&1") != 0) GTEST_SKIP() << "zsh is not installed";
  auto zsh = p_.Mlpipe({"completion", "zsh"});
  ASSERT_EQ(zsh.exit_code, 0) << zsh.err;
  p_.Write("zfunc/_mlpipe", zsh.out);
  EXPECT_EQ(Shell(fmt::format("zsh -n '{}'", p_.Path("zfunc/_mlpipe"))), 0);
  // compinit reads the #compdef line of every file in $fpath: mlpipe -> _mlpipe.
  int rc = 0;
  std::string out =
      ShellOutput(fmt::format("cd '{0}' && HOME='{0}' zsh -f -c 'fpath=({1} $fpath); autoload -U compinit; "
                              "compinit -u -D; print -r -- $_comps[mlpipe]; autoload +X _mlpipe && "
                              "print loaded' 2>&1",
                              p_.dir(), p_.Path("zfunc")),
                  &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(out, "_mlpipe\nloaded\n");
}

TEST_F(CliDocsE2E, ManPagesCoverEveryCommandAndRenderWithoutWarnings) {
  ASSERT_TRUE(fs::is_directory(kManDir)) << kManDir << " (the build generates it)";
  std::set<std::string> pages;
  for (const auto& e : fs::directory_iterator(kManDir)) pages.insert(e.path().filename().string());
  EXPECT_TRUE(pages.count("mlpipe.1"));
  for (const std::string& c : HelpSubcommands(p_, {})) {
    EXPECT_TRUE(pages.count("mlpipe-" + c + ".1")) << c;
    for (const std::string& s : HelpSubcommands(p_, {c}))
      EXPECT_TRUE(pages.count("mlpipe-" + c + "-" + s + ".1")) << s;
  }
  EXPECT_FALSE(pages.count("mlpipe-builtin.1"));  // hidden

  // The binary writes the same set the build installed.
  auto again = p_.Mlpipe({"manpages", p_.Path("man1")});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  std::set<std::string> fresh;
  for (const auto& e : fs::directory_iterator(p_.Path("man1"))) fresh.insert(e.path().filename().string());
  EXPECT_EQ(fresh, pages);

  for (const std::string& page : pages) {
    const std::string path = kManDir + "/" + page;
    int rc = 0;
    std::string warnings = ShellOutput(fmt::format("groff -man -Tutf8 -ww -z '{}' 2>&1", path), &rc);
    EXPECT_EQ(rc, 0) << page;
    EXPECT_EQ(warnings, "") << page;
    // whatis and apropos read the NAME section.
    std::string whatis = ShellOutput(fmt::format("lexgrog '{}' 2>&1", path), &rc);
    EXPECT_EQ(rc, 0) << page << ": " << whatis;
  }
}

TEST_F(CliDocsE2E, ManPageOfACommandShowsItsOptions) {
  std::string run = ShellOutput(fmt::format("MANWIDTH=100 man -l '{}/mlpipe-run.1' 2>&1 | col -b", kManDir));
  for (const char* want : {"mlpipe-run - Run a pipeline", "SYNOPSIS", "mlpipe run", "--no-cache",
                           "-j, --jobs", "EXIT STATUS", "MLPIPE_HOME", "mlpipe(1)"}) {
    EXPECT_TRUE(Contains(run, want)) << want << "\n" << run;
  }
  std::string graph =
      ShellOutput(fmt::format("MANWIDTH=100 man -l '{}/mlpipe-graph.1' 2>&1 | col -b", kManDir));
  EXPECT_TRUE(Contains(graph, "--format dot|mermaid")) << graph;
  std::string root = ShellOutput(fmt::format("MANWIDTH=100 man -l '{}/mlpipe.1' 2>&1 | col -b", kManDir));
  for (const char* want : {"COMMANDS", "init", "mlpipe-runs(1)", "--version"}) {
    EXPECT_TRUE(Contains(root, want)) << want << "\n" << root;
  }
}

}  // namespace
}  // namespace mlpipe::e2e
