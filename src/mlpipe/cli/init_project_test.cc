#include "mlpipe/cli/init_project.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "mlpipe/cli/project_template.h"

namespace mlpipe::cli {
namespace {

namespace fs = std::filesystem;

std::string ReadAll(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

class InitProjectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fmt::format("{}init_project_test_{}", ::testing::TempDir(), ::getpid());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  StatusOr<InitReport> Init(const std::string& rel, const std::string& name = "textstats",
                            bool force = false) {
    InitOptions o;
    o.dir = dir_ + "/" + rel;
    o.template_name = name;
    o.force = force;
    return InitProject(o, store::PosixFileSystem());
  }

  std::string dir_;
};

TEST(ProjectTemplateTest, EveryTemplateHasAPipelineAndAReadme) {
  const std::vector<std::string> names = ProjectTemplateNames();
  EXPECT_EQ(names, (std::vector<std::string>{"tabular", "textstats"}));
  for (const std::string& name : names) {
    auto files = ProjectTemplate(name);
    ASSERT_TRUE(files.ok()) << name;
    std::vector<std::string> paths;
    for (const TemplateFile& f : *files) paths.push_back(f.path);
    EXPECT_NE(std::find(paths.begin(), paths.end(), "pipeline.yaml"), paths.end()) << name;
    EXPECT_NE(std::find(paths.begin(), paths.end(), "README.md"), paths.end()) << name;
    for (const TemplateFile& f : *files) {
      // Embedded byte for byte from the source tree.
      EXPECT_EQ(f.content,
                ReadAll(std::string(MLPIPE_SOURCE_DIR) + "/src/mlpipe/cli/templates/" + name + "/" + f.path))
          << name << "/" << f.path;
    }
  }
}

TEST(ProjectTemplateTest, UnknownTemplateNamesTheOthers) {
  auto files = ProjectTemplate("nope");
  ASSERT_FALSE(files.ok());
  EXPECT_EQ(files.status().code(), StatusCode::kNotFound);
  EXPECT_NE(files.status().message().find("tabular, textstats"), std::string::npos)
      << files.status().message();
}

TEST(GitignoreTest, AppendsTheWorkspaceOnceOnItsOwnLine) {
  bool changed = false;
  EXPECT_EQ(GitignoreWithWorkspace("", &changed), ".mlpipe/\n");
  EXPECT_TRUE(changed);
  EXPECT_EQ(GitignoreWithWorkspace("build/", &changed), "build/\n.mlpipe/\n");
  EXPECT_TRUE(changed);
  for (const std::string has : {"a\n.mlpipe/\n", ".mlpipe\n", "x\n/.mlpipe/", "  /.mlpipe  \nb\n"}) {
    EXPECT_EQ(GitignoreWithWorkspace(has, &changed), has);
    EXPECT_FALSE(changed) << has;
  }
  // Not the workspace: another entry that merely mentions it.
  EXPECT_EQ(GitignoreWithWorkspace(".mlpipe/tmp\n", &changed), ".mlpipe/tmp\n.mlpipe/\n");
}

TEST_F(InitProjectTest, WritesTheTemplateIgnoresAndCreatesTheWorkspace) {
  auto r = Init("new/project");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->dir, dir_ + "/new/project");
  auto files = ProjectTemplate("textstats");
  ASSERT_EQ(r->written.size(), files->size());
  for (const TemplateFile& f : *files) EXPECT_EQ(ReadAll(r->dir + "/" + f.path), f.content) << f.path;
  EXPECT_TRUE(r->overwritten.empty());
  EXPECT_EQ(r->gitignore, GitignoreChange::kCreated);
  EXPECT_EQ(ReadAll(r->dir + "/.gitignore"), ".mlpipe/\n");
  EXPECT_TRUE(r->workspace_created);
  EXPECT_EQ(r->workspace, r->dir + "/.mlpipe");
  EXPECT_TRUE(fs::is_directory(r->dir + "/.mlpipe/objects"));
  // No temp file is left beside the written ones.
  for (const auto& e : fs::recursive_directory_iterator(r->dir)) {
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << e.path();
  }
}

TEST_F(InitProjectTest, RefusesToOverwriteAndWritesNothing) {
  ASSERT_TRUE(Init("p").ok());
  std::ofstream(dir_ + "/p/pipeline.yaml") << "mine\n";
  fs::remove(dir_ + "/p/scripts/count.py");
  fs::remove(dir_ + "/p/.gitignore");
  auto again = Init("p");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  EXPECT_NE(again.status().message().find("pipeline.yaml"), std::string::npos) << again.status().message();
  EXPECT_NE(again.status().message().find("nothing was written"), std::string::npos);
  EXPECT_EQ(ReadAll(dir_ + "/p/pipeline.yaml"), "mine\n");
  EXPECT_FALSE(fs::exists(dir_ + "/p/scripts/count.py"));  // not written either
  EXPECT_FALSE(fs::exists(dir_ + "/p/.gitignore"));
}

TEST_F(InitProjectTest, ForceOverwritesAndSaysWhich) {
  ASSERT_TRUE(Init("p").ok());
  std::ofstream(dir_ + "/p/pipeline.yaml") << "mine\n";
  auto r = Init("p", "textstats", /*force=*/true);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->overwritten.size(), r->written.size());
  EXPECT_NE(ReadAll(dir_ + "/p/pipeline.yaml"), "mine\n");
  EXPECT_EQ(r->gitignore, GitignoreChange::kAlreadyIgnored);
  EXPECT_FALSE(r->workspace_created);
  EXPECT_EQ(ReadAll(dir_ + "/p/.gitignore"), ".mlpipe/\n");
}

TEST_F(InitProjectTest, AppendsToAnExistingGitignoreAndKeepsOtherFiles) {
  fs::create_directories(dir_ + "/p");
  std::ofstream(dir_ + "/p/.gitignore") << "*.log";
  std::ofstream(dir_ + "/p/notes.md") << "keep me\n";
  auto r = Init("p", "tabular");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->gitignore, GitignoreChange::kAppended);
  EXPECT_EQ(ReadAll(dir_ + "/p/.gitignore"), "*.log\n.mlpipe/\n");
  EXPECT_EQ(ReadAll(dir_ + "/p/notes.md"), "keep me\n");
  EXPECT_TRUE(fs::exists(dir_ + "/p/data/train.csv"));
}

TEST_F(InitProjectTest, AFileWhereAFolderMustBeIsAnError) {
  fs::create_directories(dir_ + "/p");
  std::ofstream(dir_ + "/p/scripts") << "a file\n";
  auto r = Init("p", "textstats", /*force=*/true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kAlreadyExists);
  EXPECT_NE(r.status().message().find("scripts is a file"), std::string::npos) << r.status().message();
  EXPECT_FALSE(fs::exists(dir_ + "/p/pipeline.yaml"));

  std::ofstream(dir_ + "/plain") << "x";
  auto file_dir = Init("plain");
  ASSERT_FALSE(file_dir.ok());
  EXPECT_NE(file_dir.status().message().find("is not a folder"), std::string::npos);
}

TEST_F(InitProjectTest, WithMlpipeHomeCreatesNoWorkspaceInTheProject) {
  InitOptions o;
  o.dir = dir_ + "/p";
  o.mlpipe_home = dir_ + "/elsewhere";
  auto r = InitProject(o, store::PosixFileSystem());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->workspace_created);
  EXPECT_EQ(r->workspace, dir_ + "/elsewhere");
  EXPECT_FALSE(fs::exists(dir_ + "/p/.mlpipe"));
}

}  // namespace
}  // namespace mlpipe::cli
