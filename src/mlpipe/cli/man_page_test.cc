#include "mlpipe/cli/man_page.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "mlpipe/cli/testing/sample_commands.h"

namespace mlpipe::cli {
namespace {

std::map<std::string, std::string> PagesByName() {
  std::map<std::string, std::string> out;
  for (ManPage& p : ManPages(testing::SampleCommandTree(), "tool 1.0")) out[p.file_name] = p.text;
  return out;
}

TEST(ManPageTest, OnePagePerCommandNamedAfterItsPath) {
  auto pages = PagesByName();
  std::vector<std::string> names;
  for (const auto& [name, text] : pages) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"tool-run.1", "tool-runs-delete.1", "tool-runs-list.1",
                                             "tool-runs.1", "tool.1"}));
}

TEST(ManPageTest, LeafPageHasHeaderSynopsisArgumentsAndOptions) {
  const std::string page = PagesByName()["tool-run.1"];
  EXPECT_NE(page.find(".TH \"TOOL\\-RUN\" \"1\" \"\" \"tool 1.0\" \"tool manual\"\n"), std::string::npos)
      << page;
  // NAME in the form whatis and apropos read: NAME \- DESCRIPTION.
  EXPECT_NE(page.find(".SH NAME\ntool\\-run \\- Run a pipeline; unchanged steps are reused\n"),
            std::string::npos);
  // Four options at most are spelled out in the synopsis; --help is left out.
  EXPECT_NE(
      page.find("\\fBtool run\\fR [\\fB\\-\\-param\\fR \\fITEXT\\fR]... [\\fB\\-\\-jobs\\fR \\fIINT\\fR]"),
      std::string::npos)
      << page;
  EXPECT_EQ(page.find("[\\fB\\-\\-help"), std::string::npos) << page;
  EXPECT_NE(page.find("[\\fB\\-\\-format\\fR \\fIdot\\fR|\\fImermaid\\fR]"), std::string::npos) << page;
  EXPECT_NE(page.find(" \\fIPIPELINE\\fR\n"), std::string::npos) << page;
  EXPECT_NE(page.find(".SH ARGUMENTS\n.TP\n\\fIPIPELINE\\fR\nPipeline YAML file.\n"), std::string::npos)
      << page;
  EXPECT_NE(
      page.find(
          ".TP\n\\fB\\-p\\fR, \\fB\\-\\-param\\fR \\fITEXT\\fR\nOverride a param: NAME=VALUE. May be given "
          "more than once.\n"),
      std::string::npos)
      << page;
  EXPECT_NE(page.find("Steps run at once. From 1 to 64.\n"), std::string::npos) << page;
  EXPECT_NE(page.find(".SH EXIT STATUS"), std::string::npos);
  EXPECT_NE(page.find(".B MLPIPE_HOME"), std::string::npos);
  EXPECT_NE(page.find(".SH SEE ALSO\n\\fBtool\\fR(1)\n"), std::string::npos) << page;
}

TEST(ManPageTest, GroupPageListsItsCommandsAndPointsToTheirPages) {
  const std::string page = PagesByName()["tool-runs.1"];
  EXPECT_NE(page.find("\\fBtool runs\\fR \\fICOMMAND\\fR [\\fIARGS\\fR]\n"), std::string::npos) << page;
  EXPECT_NE(
      page.find(
          ".SH COMMANDS\n.TP\n\\fBlist\\fR\nList runs, newest first. See \\fBtool\\-runs\\-list\\fR(1).\n"),
      std::string::npos)
      << page;
  EXPECT_NE(page.find("\\fBtool\\-runs\\-list\\fR(1)"), std::string::npos);
  const std::string leaf = PagesByName()["tool-runs-delete.1"];
  EXPECT_NE(leaf.find(".SH SEE ALSO\n\\fBtool\\fR(1),\n\\fBtool\\-runs\\fR(1)\n"), std::string::npos) << leaf;
  EXPECT_NE(leaf.find("\\fIRUNS\\fR...\n"), std::string::npos) << leaf;
}

TEST(ManPageTest, RootPageNamesTheProgramOnce) {
  const std::string page = PagesByName()["tool.1"];
  EXPECT_NE(page.find(".SH NAME\ntool \\- does things\n"), std::string::npos) << page;
  EXPECT_NE(page.find("\\fBtool\\fR [\\fB\\-\\-version\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]\n"),
            std::string::npos)
      << page;
}

TEST(ManPageTest, ManyOptionsMakeOptionsInTheSynopsis) {
  CommandDoc cmd = testing::SampleCommandTree().subcommands[0];
  for (int i = 0; i < 4; ++i)
    cmd.options.push_back(testing::SampleOption({fmt::format("--o{}", i)}, "", "x"));
  const std::string page = ManPages(cmd, "tool 1.0")[0].text;
  EXPECT_NE(page.find("\\fBtool run\\fR [\\fIOPTIONS\\fR] \\fIPIPELINE\\fR\n"), std::string::npos) << page;
  EXPECT_NE(page.find(".TP\n\\fB\\-\\-o3\\fR\n"), std::string::npos) << page;  // each still under OPTIONS
}

TEST(ManPageTest, EscapesRoffControlCharacters) {
  CommandDoc root;
  root.path = {"tool"};
  root.description = "back\\slash";
  root.options = {testing::SampleOption({"--x"}, "", ".starts with a dot\n'and a quote")};
  const std::string page = ManPages(root, "tool 1.0")[0].text;
  EXPECT_NE(page.find("back\\eslash"), std::string::npos) << page;
  EXPECT_NE(page.find("\n\\&.starts with a dot\n\\&'and a quote"), std::string::npos) << page;
}

TEST(ManPageTest, WriteManPagesReplacesStalePagesOfTheSameProgramOnly) {
  const std::string dir = fmt::format("{}man_page_test_{}", ::testing::TempDir(), ::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/tool-removed.1") << "old";
  std::ofstream(dir + "/other.1") << "someone else's";
  ASSERT_TRUE(WriteManPages(testing::SampleCommandTree(), "tool 1.0", dir).ok());
  EXPECT_FALSE(std::filesystem::exists(dir + "/tool-removed.1"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/other.1"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/tool-runs-list.1"));
  std::ifstream f(dir + "/tool.1");
  std::string first;
  std::getline(f, first);
  EXPECT_EQ(first.rfind(".\\\"", 0), 0u) << first;  // a roff comment
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mlpipe::cli
