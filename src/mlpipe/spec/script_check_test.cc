#include "mlpipe/spec/script_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mlpipe/spec/test_util.h"

namespace mlpipe::spec::internal {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> Scripts(const std::vector<std::string>& command, bool shell = false) {
  std::vector<std::string> out;
  for (const auto& w : ScriptWords(command, shell)) out.push_back(w.text + "@" + std::to_string(w.word));
  return out;
}

TEST(ScriptCheckTest, TheOperandOfAnInterpreterAndAProgramWithASlash) {
  EXPECT_THAT(Scripts({"python3", "scripts/train.py", "--out", "${outputs.model}"}),
              ElementsAre("scripts/train.py@1"));
  EXPECT_THAT(Scripts({"python3", "-u", "-W", "ignore", "train.py"}), ElementsAre("train.py@4"));
  EXPECT_THAT(Scripts({"Rscript", "--vanilla", "analysis/fit.R"}), ElementsAre("analysis/fit.R@2"));
  EXPECT_THAT(Scripts({"/usr/bin/python3.11", "run.py"}), ElementsAre("run.py@1"));
  EXPECT_THAT(Scripts({"./tools/prepare", "data.csv"}), ElementsAre("./tools/prepare@0"));
  EXPECT_THAT(Scripts({"env", "PYTHONHASHSEED=0", "python3", "x.py"}), ElementsAre("x.py@3"));
}

TEST(ScriptCheckTest, NoFalsePositives) {
  EXPECT_THAT(Scripts({"python3", "-c", "print(1)", "a.py"}), IsEmpty());      // inline code
  EXPECT_THAT(Scripts({"python3", "-m", "pkg.train", "b.py"}), IsEmpty());     // a module
  EXPECT_THAT(Scripts({"python3", "${inputs.script}"}), IsEmpty());            // a placeholder
  EXPECT_THAT(Scripts({"cp", "template.py", "out/generated.py"}), IsEmpty());  // not an interpreter's
  EXPECT_THAT(Scripts({"echo", "scripts/train.py"}), IsEmpty());
  EXPECT_THAT(Scripts({"python3", "serve"}), IsEmpty());  // no '/', no extension: a name on PATH
  EXPECT_THAT(Scripts({"true"}), IsEmpty());
}

TEST(ScriptCheckTest, ShellCommandsAreReadCommandByCommand) {
  EXPECT_THAT(Scripts({"python3 gen.py > out/made.py && bash out/made.py | sort"}, true),
              ElementsAre("gen.py@1", "out/made.py@6"));
  EXPECT_THAT(Scripts({"X=1 python3 a/b.py; if ./check.sh; then echo ok; fi"}, true),
              ElementsAre("a/b.py@2", "./check.sh@4"));
  EXPECT_THAT(Scripts({"cd sub && python3 x.py"}, true), IsEmpty());  // relative to another folder
  EXPECT_THAT(Scripts({"sh -c 'python3 x.py'"}, true), IsEmpty());
  EXPECT_THAT(Scripts({"python3 'unclosed"}, true), IsEmpty());
}

TEST(ScriptCheckTest, CommandWordsSplitsAShellString) {
  EXPECT_THAT(CommandWords({"cat >run.sh; bash run.sh"}, true),
              ElementsAre("cat", "run.sh", "bash", "run.sh"));
  EXPECT_THAT(CommandWords({"python3", "a.py"}, false), ElementsAre("python3", "a.py"));
}

TEST(ScriptCheckTest, HintNamesTheClosestFileOrWhatTheFolderHolds) {
  mlpipe::testing::TempDir dir("script_check");
  dir.Write("scripts/train.py", "");
  dir.Write("scripts/evaluate.py", "");
  dir.Write("scripts/notes.txt", "");
  EXPECT_EQ(MissingScriptHint("scripts/trian.py", dir.path()), "did you mean 'scripts/train.py'?");
  EXPECT_EQ(MissingScriptHint("scripts/fit_model.py", dir.path()),
            "scripts there: scripts/evaluate.py, scripts/train.py");
  EXPECT_THAT(MissingScriptHint("scirpts/train.py", dir.path()),
              ::testing::HasSubstr("the folder scirpts/ does not exist"));
}

}  // namespace
}  // namespace mlpipe::spec::internal
