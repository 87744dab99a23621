// The notebook built-in's side of the contract with its Python runner,
// against fake interpreters (MLPIPE_NOTEBOOK_PYTHON): what it asks, how it
// reads the report and the exit status, which Pythons it tries. Real
// notebooks on a real kernel run in tests/e2e/notebook_e2e_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "mlpipe/base/testing/temp_dir.h"
#include "mlpipe/ml/builtins.h"

namespace mlpipe::ml {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

class NotebookBuiltinTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* old = std::getenv("MLPIPE_NOTEBOOK_PYTHON");
    if (old != nullptr) saved_ = old;
  }
  void TearDown() override {
    if (saved_) {
      setenv("MLPIPE_NOTEBOOK_PYTHON", saved_->c_str(), 1);
    } else {
      unsetenv("MLPIPE_NOTEBOOK_PYTHON");
    }
  }

  // A fake interpreter: a shell script run as `FAKE -c SOURCE`.
  void UseFakePython(const std::string& body) {
    std::string path = dir_.Write("fake-python", "#!/bin/sh\n" + body);
    chmod(path.c_str(), 0755);
    setenv("MLPIPE_NOTEBOOK_PYTHON", path.c_str(), 1);
  }

  BuiltinInvocation Invocation() {
    BuiltinInvocation inv;
    inv.name = "notebook";
    inv.params = {{"alpha", 0.5}, {"label", "a b"}};
    inv.inputs = {{"data", dir_.Sub("rows.csv")}};
    inv.outputs = {{"notebook", dir_.Sub("out.ipynb")},
                   {"html", dir_.Sub("out.html")},
                   {"summary", dir_.Sub("summary.json")}};
    inv.config = {
        {"notebook", dir_.Sub("nb/analysis.ipynb")}, {"path", "nb/analysis.ipynb"}, {"cell_timeout", 30.0}};
    return inv;
  }

  std::string Read(const std::string& name) {
    std::ifstream in(dir_.Sub(name));
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  ::mlpipe::testing::TempDir dir_{"notebook-builtin"};
  std::optional<std::string> saved_;
};

TEST_F(NotebookBuiltinTest, SendsTheStepsValuesAndPathsAndReportsSuccess) {
  UseFakePython("cat > \"" + dir_.Sub("request.json") + "\"\necho '{\"ok\": true}' >&3\nexit 0\n");
  Status s = RunBuiltin(Invocation());
  ASSERT_TRUE(s.ok()) << s.ToString();
  json request = json::parse(Read("request.json"));
  EXPECT_EQ(request["notebook"], dir_.Sub("nb/analysis.ipynb"));
  EXPECT_EQ(request["path"], "nb/analysis.ipynb");
  EXPECT_EQ(request["params"], (json{{"alpha", 0.5}, {"label", "a b"}}));
  EXPECT_EQ(request["inputs"], (json{{"data", dir_.Sub("rows.csv")}}));
  // The step's own outputs become variables; the two reports are the runner's to write.
  EXPECT_EQ(request["outputs"], (json{{"summary", dir_.Sub("summary.json")}}));
  EXPECT_EQ(request["executed"], dir_.Sub("out.ipynb"));
  EXPECT_EQ(request["html"], dir_.Sub("out.html"));
  EXPECT_EQ(request["cell_timeout"], 30.0);
  EXPECT_TRUE(request["step_timeout"].is_null());
  EXPECT_EQ(request["result_fd"], 3);
}

TEST_F(NotebookBuiltinTest, AFailedCellFailsTheBuiltinWithTheRunnersMessage) {
  UseFakePython(
      "cat > /dev/null\n"
      "echo '{\"ok\": false, \"error\": \"nb/analysis.ipynb: cell 3 (execution count 2) failed: ValueError: "
      "x\"}' >&3\n"
      "exit 1\n");
  Status s = RunBuiltin(Invocation());
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(),
            "built-in notebook: nb/analysis.ipynb: cell 3 (execution count 2) failed: ValueError: x");
}

TEST_F(NotebookBuiltinTest, APythonWithoutNbclientIsReportedWithWhatToInstall) {
  UseFakePython(
      "cat > /dev/null\necho '{\"ok\": false, \"note\": \"fake: No module named nbclient\"}' >&3\nexit 3\n");
  Status s = RunBuiltin(Invocation());
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("no Python here can run notebooks (fake: No module named nbclient)"));
  EXPECT_THAT(s.message(), HasSubstr("python3-nbclient"));
  EXPECT_THAT(s.message(), HasSubstr("MLPIPE_NOTEBOOK_PYTHON"));
}

TEST_F(NotebookBuiltinTest, AMissingInterpreterIsNamed) {
  setenv("MLPIPE_NOTEBOOK_PYTHON", dir_.Sub("no-such-python").c_str(), 1);
  Status s = RunBuiltin(Invocation());
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("cannot run '" + dir_.Sub("no-such-python") + "'"));
}

TEST_F(NotebookBuiltinTest, ARunnerThatDiesWithoutAReportIsNotTakenForSuccess) {
  UseFakePython("cat > /dev/null\nkill -SEGV $$\n");
  Status s = RunBuiltin(Invocation());
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_THAT(s.message(), HasSubstr("killed by signal 11"));
}

TEST_F(NotebookBuiltinTest, NeedsTheNotebookPath) {
  UseFakePython("exit 0\n");
  BuiltinInvocation inv = Invocation();
  inv.config = nullptr;
  Status s = RunBuiltin(inv);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("notebook: PATH.ipynb"));
}

}  // namespace
}  // namespace mlpipe::ml
