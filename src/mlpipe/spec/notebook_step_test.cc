// Notebook steps (`uses: mlpipe/notebook`) as the loader reads and checks
// them, and the notebook digest that keys their cache.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "mlpipe/spec/loader.h"
#include "mlpipe/spec/notebook_file.h"
#include "mlpipe/spec/params.h"
#include "mlpipe/spec/test_util.h"

namespace mlpipe::spec {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// What the spec needs of the notebook built-in's declaration
// (ml/components/notebook.cc): its name, step-defined ports and two reports.
constexpr const char* kNotebookDecl = R"(builtin: notebook
step_defined: [params, inputs, outputs]
outputs: {notebook: report, html: report}
)";

// A notebook with a markdown cell, a `parameters` cell and a code cell.
json Notebook(bool parameters_tag = true, const std::string& defaults = "alpha = 0.1\nn = 1\n") {
  json params_cell = {{"cell_type", "code"},
                      {"execution_count", 1},
                      {"metadata", json::object()},
                      {"outputs", json::array()},
                      {"source", defaults}};
  if (parameters_tag) params_cell["metadata"]["tags"] = {"parameters"};
  return {
      {"nbformat", 4},
      {"nbformat_minor", 5},
      {"metadata",
       {{"kernelspec", {{"name", "python3"}, {"display_name", "Python 3"}, {"language", "python"}}}}},
      {"cells",
       {{{"cell_type", "markdown"}, {"metadata", json::object()}, {"source", {"# Summary\n", "of the data"}}},
        params_cell,
        {{"cell_type", "code"},
         {"execution_count", 2},
         {"metadata", json::object()},
         {"outputs", {{{"output_type", "stream"}, {"name", "stdout"}, {"text", "0.1\n"}}}},
         {"source", "print(alpha * n)"}}}}};
}

class NotebookStepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.Write("notebooks/analysis.ipynb", Notebook().dump(1));
    dir_.Write("data/rows.csv", "a,b\n1,2\n");
  }

  LoadResult Load(const std::string& steps) {
    LoadOptions options;
    options.builtin_resolver = [](const std::string& name) -> std::optional<std::string> {
      if (name != "notebook") return std::nullopt;
      return std::string(kNotebookDecl);
    };
    options.builtin_names = [] { return std::vector<std::string>{"notebook"}; };
    std::string text = "pipeline: p\nparams:\n  n: 3\n  label: x\nsteps:\n" + steps;
    return LoadPipelineFile(dir_.Write("p.yaml", text), options);
  }

  // The one diagnostic of a load, as text.
  std::string OnlyError(const std::string& steps) {
    LoadResult r = Load(steps);
    EXPECT_EQ(r.diagnostics.size(), 1u) << r.ErrorText();
    return r.diagnostics.empty() ? "" : r.diagnostics[0].ToString();
  }

  testing::TempDir dir_{"notebook-step"};
};

TEST_F(NotebookStepTest, StepDefinedParamsInputsAndOutputsBesideTheBuiltinsOwn) {
  LoadResult r = Load(R"(  analyse:
    uses: mlpipe/notebook
    notebook: notebooks/analysis.ipynb
    params: {alpha: 0.5, n: "${params.n}", tag: "run-${params.label}"}
    inputs: {data: data/rows.csv}
    outputs: {summary: metrics}
    cell_timeout: 2m
)");
  ASSERT_TRUE(r.ok()) << r.ErrorText();
  const StepSpec& step = r.spec.steps[0];
  EXPECT_EQ(step.builtin(), "notebook");
  std::vector<std::string> outputs;
  for (const auto& o : step.outputs) outputs.push_back(o.name + ":" + o.type.str());
  EXPECT_THAT(outputs, ElementsAre("notebook:report", "html:report", "summary:metrics"));
  EXPECT_THAT(step.code_files, ElementsAre("notebooks/analysis.ipynb"));
  const json& config = step.component->builtin_config;
  EXPECT_EQ(config["notebook"], dir_.Sub("notebooks/analysis.ipynb"));
  EXPECT_EQ(config["path"], "notebooks/analysis.ipynb");
  EXPECT_EQ(config["cell_timeout"], 120.0);

  // "${params.n}" keeps the pipeline param's type; other templates are text.
  auto params = ResolveStepParams(step, json{{"n", 7}, {"label", "b"}});
  ASSERT_TRUE(params.ok()) << params.status().ToString();
  EXPECT_EQ(*params, (json{{"alpha", 0.5}, {"n", 7}, {"tag", "run-b"}}));
}

TEST_F(NotebookStepTest, MissingNotebookSuggestsTheClosestOne) {
  std::string error = OnlyError(R"(  analyse:
    uses: mlpipe/notebook
    notebook: notebooks/analyis.ipynb
)");
  EXPECT_THAT(error,
              HasSubstr("p.yaml:8:15: error: notebook 'notebooks/analyis.ipynb' of step 'analyse' does "
                        "not exist"));
  EXPECT_THAT(error, HasSubstr("did you mean 'notebooks/analysis.ipynb'?"));
}

TEST_F(NotebookStepTest, AStepMustNameItsNotebook) {
  EXPECT_THAT(OnlyError("  analyse:\n    uses: mlpipe/notebook\n"),
              HasSubstr("step 'analyse' uses mlpipe/notebook but names no notebook"));
}

TEST_F(NotebookStepTest, NotebookKeysNeedTheNotebookBuiltin) {
  EXPECT_THAT(OnlyError("  a:\n    run: \"true\"\n    notebook: notebooks/analysis.ipynb\n"),
              HasSubstr("p.yaml:8:5: error: notebook: of step 'a' is only for steps that run a notebook"));
}

TEST_F(NotebookStepTest, BrokenNotebooksAreSpecErrors) {
  dir_.Write("notebooks/broken.ipynb", "{\"cells\": [\n  {\"cell_type\": \"code\",\n");
  EXPECT_THAT(
      OnlyError("  a:\n    uses: mlpipe/notebook\n    notebook: notebooks/broken.ipynb\n"),
      HasSubstr("notebook 'notebooks/broken.ipynb' of step 'a': not valid JSON: parse error at line 3"));

  dir_.Write("notebooks/other.ipynb", R"({"nbformat": 4, "metadata": {}})");
  EXPECT_THAT(OnlyError("  a:\n    uses: mlpipe/notebook\n    notebook: notebooks/other.ipynb\n"),
              HasSubstr("not a Jupyter notebook: no cells list"));

  json r_notebook = Notebook();
  r_notebook["metadata"]["kernelspec"] = {{"name", "ir"}, {"language", "R"}};
  dir_.Write("notebooks/r.ipynb", r_notebook.dump());
  EXPECT_THAT(OnlyError("  a:\n    uses: mlpipe/notebook\n    notebook: notebooks/r.ipynb\n"),
              HasSubstr("is written in R (kernel 'ir'); mlpipe/notebook runs Python notebooks"));
}

TEST_F(NotebookStepTest, InjectedNamesMustBePythonVariablesAndDistinct) {
  LoadResult r = Load(R"(  a:
    uses: mlpipe/notebook
    notebook: notebooks/analysis.ipynb
    params: {learning-rate: 0.1, class: 2, data: 1}
    inputs: {data: data/rows.csv}
    outputs: {html: report, 2nd: metrics}
)");
  std::string text = r.ErrorText();
  EXPECT_THAT(text, HasSubstr("param 'learning-rate' of step 'a' is not a valid Python variable name"));
  EXPECT_THAT(text, HasSubstr("rename it, e.g. learning_rate"));
  EXPECT_THAT(text, HasSubstr("param 'class' of step 'a' is not a valid Python variable name (a keyword)"));
  EXPECT_THAT(text,
              HasSubstr("p.yaml:10:20: error: input 'data' of step 'a' has the name of its param 'data'"));
  EXPECT_THAT(text, HasSubstr("output 'html' of step 'a' is already an output of component 'notebook'"));
  EXPECT_THAT(text, HasSubstr("output '2nd' of step 'a' is not a valid Python variable name"));
  EXPECT_EQ(r.diagnostics.size(), 5u) << text;
}

TEST_F(NotebookStepTest, WithoutAParametersCellTheInjectedValuesMustNotBeOverwritten) {
  dir_.Write("notebooks/untagged.ipynb", Notebook(/*parameters_tag=*/false).dump());
  std::string error = OnlyError(R"(  a:
    uses: mlpipe/notebook
    notebook: notebooks/untagged.ipynb
    params: {n: 5}
)");
  EXPECT_THAT(error,
              HasSubstr("has no cell tagged 'parameters', and its cell 2 sets 'n', which the step injects"));
  EXPECT_THAT(error, HasSubstr("tag the cell that sets the defaults 'parameters'"));

  // Injecting names the notebook never sets, or uses before it sets them, is
  // fine: the injected cell goes first.
  dir_.Write("notebooks/uses.ipynb",
             Notebook(/*parameters_tag=*/false, "rows = load(rows)\nn2 = n * 2\n").dump());
  LoadResult r = Load(R"(  a:
    uses: mlpipe/notebook
    notebook: notebooks/untagged.ipynb
    params: {beta: 5}
  b:
    uses: mlpipe/notebook
    notebook: notebooks/uses.ipynb
    params: {rows: 5, n: 1}
)");
  EXPECT_TRUE(r.ok()) << r.ErrorText();
}

TEST_F(NotebookStepTest, BadCellTimeout) {
  EXPECT_THAT(OnlyError(R"(  a:
    uses: mlpipe/notebook
    notebook: notebooks/analysis.ipynb
    cell_timeout: soon
)"),
              HasSubstr("cell_timeout of step 'a': bad duration 'soon'"));
}

TEST(NotebookFileTest, DigestKeepsSourcesTagsAndKernelButNotOutputs) {
  auto digest = [](const json& nb) {
    auto parsed = ParseNotebook(nb.dump());
    EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
    return parsed.ok() ? NotebookCodeDigest(*parsed) : "";
  };
  const json base = Notebook();
  const std::string before = digest(base);

  json rerun = base;  // run again in Jupyter and saved: new outputs and counts
  rerun["cells"][2]["outputs"][0]["text"] = "0.2\n";
  rerun["cells"][2]["execution_count"] = 9;
  rerun["cells"][2]["metadata"]["collapsed"] = true;
  rerun["metadata"]["language_info"] = {{"name", "python"}, {"version", "3.11.2"}};
  EXPECT_EQ(digest(rerun), before);

  json lines = base;  // the same source as one string instead of lines
  lines["cells"][0]["source"] = "# Summary\nof the data";
  EXPECT_EQ(digest(lines), before);

  json edited = base;
  edited["cells"][2]["source"] = "print(alpha * n * 2)";
  EXPECT_NE(digest(edited), before);
  json retagged = base;
  retagged["cells"][1]["metadata"].erase("tags");
  EXPECT_NE(digest(retagged), before);
  json kernel = base;
  kernel["metadata"]["kernelspec"]["name"] = "python3-gpu";
  EXPECT_NE(digest(kernel), before);
}

TEST(NotebookFileTest, ReadsCellsTagsAndKernel) {
  auto nb = ParseNotebook(Notebook().dump());
  ASSERT_TRUE(nb.ok());
  ASSERT_EQ(nb->cells.size(), 3u);
  EXPECT_EQ(nb->cells[0].source, "# Summary\nof the data");
  EXPECT_EQ(nb->parameters_cell, 1);
  EXPECT_EQ(nb->kernel_name, "python3");
  EXPECT_EQ(nb->language, "python");
  EXPECT_THAT(ParseNotebook(R"({"nbformat": 3, "worksheets": []})").status().message(),
              HasSubstr("notebook format 3 is too old"));
  EXPECT_TRUE(IsNotebookPath("a/b.ipynb"));
  EXPECT_FALSE(IsNotebookPath("a/b.py"));
}

}  // namespace
}  // namespace mlpipe::spec
