// The completion scripts generated for a sample command tree: what they
// hold, and that bash and zsh parse them.
#include "mlpipe/cli/completion.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "mlpipe/cli/testing/sample_commands.h"

namespace mlpipe::cli {
namespace {

// The bash script's data: one case per command and kind of word. (How bash
// runs it on mlpipe's real commands: tests/e2e/cli_docs_e2e_test.cc.)
TEST(CompletionTest, BashScriptListsTheWordsOfEveryCommand) {
  const std::string script = BashCompletion(testing::SampleCommandTree());
  for (const char* line : {
           "    tool:commands) echo 'run runs' ;;\n",
           "    tool:options) echo '-h --help --version' ;;\n",
           "    tool_run:options) echo '-h --help -p --param -j --jobs --format --json' ;;\n",
           "    tool_run:values) echo '-p --param -j --jobs --format' ;;\n",
           "    tool_run:files) echo '-p --param' ;;\n",  // TEXT values; --format has choices, -j is a number
           "    tool_run:args) echo 'file' ;;\n",
           "    tool_run:choices--format) echo 'dot mermaid' ;;\n",
           "    tool_runs:commands) echo 'list delete' ;;\n",
           "    tool_runs_list:values) echo '--limit' ;;\n",
       }) {
    EXPECT_NE(script.find(line), std::string::npos) << line << "\n" << script;
  }
  // Run ids are no files: no args case for delete.
  EXPECT_EQ(script.find("tool_runs_delete:args"), std::string::npos);
  EXPECT_NE(script.find("complete -F _tool tool\n"), std::string::npos);
}

TEST(CompletionTest, BashScriptParses) {
  const std::string path = fmt::format("{}completion_test_{}.bash", ::testing::TempDir(), ::getpid());
  std::ofstream(path) << BashCompletion(testing::SampleCommandTree());
  EXPECT_EQ(std::system(("bash -n '" + path + "'").c_str()), 0);
  std::remove(path.c_str());
}

TEST(CompletionTest, ZshScriptParsesAndDescribesEachCommand) {
  if (std::system("command -v zsh >/dev/null 2>&1") != 0) GTEST_SKIP() << "zsh is not installed";
  const std::string script = ZshCompletion(testing::SampleCommandTree());
  const std::string path = fmt::format("{}completion_test_{}.zsh", ::testing::TempDir(), ::getpid());
  std::ofstream(path) << script;
  EXPECT_EQ(std::system(("zsh -n '" + path + "'").c_str()), 0);
  std::remove(path.c_str());
  EXPECT_EQ(script.rfind("#compdef tool\n", 0), 0u);
  EXPECT_NE(script.find("_tool_runs_list() {"), std::string::npos);
  EXPECT_NE(script.find("--format'[dot or mermaid]:TEXT:(dot mermaid)'"), std::string::npos) << script;
  EXPECT_NE(script.find("'*'{-p,--param}'[Override a param: NAME=VALUE]:TEXT:_files'"), std::string::npos)
      << script;
  EXPECT_NE(script.find("'(-j --jobs)'{-j,--jobs}'[Steps run at once]:INT: '"), std::string::npos) << script;
  EXPECT_NE(script.find("'*:Run ids: '"), std::string::npos) << script;
  EXPECT_NE(script.find("'list:List runs, newest first'"), std::string::npos);
  EXPECT_NE(script.find("        delete) _tool_runs_delete && ret=0 ;;\n"), std::string::npos) << script;
}

}  // namespace
}  // namespace mlpipe::cli
