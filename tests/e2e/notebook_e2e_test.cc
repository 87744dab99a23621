// End-to-end: Jupyter notebooks as steps (`uses: mlpipe/notebook`), run by the
// real binary on a real python3 kernel (Debian's nbclient and ipykernel).
// Each kernel start costs seconds, so the tests run five notebooks in all.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "tests/e2e/e2e_util.h"
#include "tests/e2e/events.h"

namespace mlpipe::e2e {
namespace {

using Json = nlohmann::json;

struct Cell {
  std::string type;  // "code" or "markdown"
  std::string source;
  std::vector<std::string> tags = {};
};

// An nbformat 4 notebook with a python3 kernel and the given cells, never run.
Json Notebook(const std::vector<Cell>& cells) {
  Json nb = {{"nbformat", 4},
             {"nbformat_minor", 5},
             {"metadata",
              {{"kernelspec", {{"name", "python3"}, {"display_name", "Python 3"}, {"language", "python"}}}}},
             {"cells", Json::array()}};
  int id = 0;
  for (const Cell& c : cells) {
    Json cell = {{"id", fmt::format("c{}", ++id)},
                 {"cell_type", c.type},
                 {"metadata", Json::object()},
                 {"source", c.source}};
    if (!c.tags.empty()) cell["metadata"]["tags"] = c.tags;
    if (c.type == "code") {
      cell["execution_count"] = nullptr;
      cell["outputs"] = Json::array();
    }
    nb["cells"].push_back(cell);
  }
  return nb;
}

Json ArtifactRecord(const Project& p, const std::string& ref) {
  auto r = p.Mlpipe({"artifacts", "show", ref, "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  return r.exit_code == 0 ? Json::parse(r.out) : Json::object();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A notebook's multiline text: a string, or a list of lines as nbformat writes it.
std::string Text(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  std::string text;
  for (const Json& line : value) text += line.get<std::string>();
  return text;
}

// The text a code cell printed.
std::string Printed(const Json& cell) {
  std::string text;
  for (const Json& out : cell.value("outputs", Json::array())) {
    if (out.value("output_type", "") == "stream") text += Text(out["text"]);
  }
  return text;
}

// A notebook that sums column x of its input `data` times `scale` into its
// output `summary`, and prints what it was given. Its kernel, a project's
// environment, is not installed here: python3 runs it.
Json SumNotebook() {
  Json nb = Notebook({
      {"markdown", "# Sum of x"},
      {"code", "scale = 1\nlabel = 'default'\ndata = None\nsummary = None\n", {"parameters"}},
      {"code",
       "import csv, json\n"
       "rows = [float(r['x']) for r in csv.DictReader(open(data))]\n"
       "print('scale', repr(scale), 'label', repr(label), 'rows', len(rows))\n"
       "json.dump({'total': scale * sum(rows), 'label_length': len(label)}, open(summary, 'w'))\n"},
  });
  nb["metadata"]["kernelspec"]["name"] = "project-env-py3";
  return nb;
}

constexpr const char* kSumPipeline = R"(pipeline: nb
params:
  scale: 2
steps:
  analyse:
    uses: mlpipe/notebook
    notebook: notebooks/sum.ipynb
    params: {scale: "${params.scale}", label: "it's \"quoted\""}
    inputs: {data: data/rows.csv}
    outputs: {summary: metrics}
)";

TEST(NotebookE2ETest, InjectsParamsAndPathsStoresTheReportsAndCachesOnCellSources) {
  Project p("notebook-sum");
  p.Write("data/rows.csv", "x\n1\n2\n3\n");
  p.Write("notebooks/sum.ipynb", SumNotebook().dump(1));
  p.Write("pipeline.yaml", kSumPipeline);

  // A -p override reaches the notebook typed (an int), the string param intact.
  auto first = p.Mlpipe({"run", "pipeline.yaml", "--json", "-p", "scale=5"});
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_EQ(FinalStates(ParseEvents(first.out))["analyse"], "succeeded");
  Json summary = Json::parse(ReadFile(ArtifactRecord(p, "nb.analyse.summary")["path"]));
  EXPECT_EQ(summary["total"], 30.0);  // 5 * (1 + 2 + 3)
  EXPECT_EQ(summary["label_length"], std::string("it's \"quoted\"").size());
  auto show = p.Mlpipe({"runs", "show", "1", "--json"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  bool total_recorded = false;
  const Json record = Json::parse(show.out);  // kept alive: the loop iterates inside it
  for (const Json& m : record["metrics"]) {
    if (m["step"] == "analyse" && m["name"] == "total") total_recorded = m["value"] == 30.0;
  }
  EXPECT_TRUE(total_recorded) << show.out;

  // The executed notebook: the injected cell right after the parameters cell,
  // with the values as Python literals and the input and output as paths.
  Json executed_ref = ArtifactRecord(p, "nb.analyse.notebook");
  EXPECT_EQ(executed_ref["type"], "report");
  Json executed = Json::parse(ReadFile(executed_ref["path"]));
  ASSERT_EQ(executed["cells"].size(), 4u);
  const Json& injected = executed["cells"][2];
  EXPECT_EQ(injected["metadata"]["tags"], Json::array({"injected-parameters"}));
  const std::string source = Text(injected["source"]);
  EXPECT_NE(source.find("scale = 5\n"), std::string::npos) << source;
  EXPECT_NE(source.find(R"(label = "it's \"quoted\"")"), std::string::npos) << source;
  EXPECT_NE(source.find("data = \"" + p.Path("data/rows.csv") + "\""), std::string::npos) << source;
  EXPECT_TRUE(std::regex_search(source, std::regex("summary = \"/[^\"]+/out\\.d/analyse\\.summary\"")))
      << source;
  EXPECT_EQ(Printed(executed["cells"][3]), "scale 5 label 'it\\'s \"quoted\"' rows 3\n");
  // ... and its HTML rendering, made offline by nbconvert.
  Json html_ref = ArtifactRecord(p, "nb.analyse.html");
  EXPECT_EQ(html_ref["type"], "report");
  std::string html = ReadFile(html_ref["path"]);
  EXPECT_NE(html.find("<html"), std::string::npos);
  EXPECT_NE(html.find("rows 3"), std::string::npos);
  // What the cells printed is in the step's log.
  auto logs = p.Mlpipe({"runs", "logs", "1", "analyse"});
  EXPECT_TRUE(Contains(logs.out, "rows 3")) << logs.out;
  EXPECT_TRUE(Contains(logs.out, "kernel 'project-env-py3' is not installed: running it with python3"))
      << logs.out;

  // Same notebook, same values: cached.
  auto again = p.Mlpipe({"run", "pipeline.yaml", "--json", "-p", "scale=5"});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(FinalStates(ParseEvents(again.out))["analyse"], "cached");

  // Saved again from Jupyter after running its cells: new outputs and
  // execution counts, same sources. Still cached.
  Json rerun = SumNotebook();
  rerun["cells"][2]["execution_count"] = 7;
  rerun["cells"][2]["outputs"] = {
      {{"output_type", "stream"}, {"name", "stdout"}, {"text", "scale 1 rows 3\n"}}};
  rerun["metadata"]["language_info"] = {{"name", "python"}, {"version", "3.11.2"}};
  p.Write("notebooks/sum.ipynb", rerun.dump(2));
  auto outputs_only = p.Mlpipe({"run", "pipeline.yaml", "--json", "-p", "scale=5"});
  ASSERT_EQ(outputs_only.exit_code, 0) << outputs_only.out << outputs_only.err;
  EXPECT_EQ(FinalStates(ParseEvents(outputs_only.out))["analyse"], "cached") << outputs_only.out;

  // A cell's source edited: the step runs again, and says why.
  Json edited = rerun;
  edited["cells"][2]["source"] = edited["cells"][2]["source"].get<std::string>() + "print('edited')\n";
  p.Write("notebooks/sum.ipynb", edited.dump(2));
  auto after_edit = p.Mlpipe({"run", "pipeline.yaml", "--json", "--explain", "-p", "scale=5"});
  ASSERT_EQ(after_edit.exit_code, 0) << after_edit.out << after_edit.err;
  auto events = ParseEvents(after_edit.out);
  EXPECT_EQ(FinalStates(events)["analyse"], "succeeded");
  EXPECT_EQ(ReasonOf(events, "analyse"), "notebook notebooks/sum.ipynb changed") << after_edit.out;
}

TEST(NotebookE2ETest, AFailingCellFailsTheStepWithItsNumberAndTraceback) {
  Project p("notebook-fail");
  p.Write("notebooks/fail.ipynb",
          Notebook({{"code", "limit = 10\n", {"parameters"}},
                    {"code", "print('before the failure')\n"},
                    {"code",
                     "def check(value):\n    raise ValueError(f'bad value {value}')\n\ncheck(limit * 2)\n"},
                    {"code", "print('never reached')\n"}})
              .dump());
  p.Write("pipeline.yaml", R"(pipeline: nb
steps:
  check:
    uses: mlpipe/notebook
    notebook: notebooks/fail.ipynb
    params: {limit: 21}
)");
  auto r = p.Mlpipe({"run", "pipeline.yaml"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  const std::string all = r.out + r.err;
  // Cell 3 of the file; its execution count counts the injected cell too.
  EXPECT_TRUE(Contains(all, "notebooks/fail.ipynb: cell 3 (execution count 4) failed:")) << all;
  EXPECT_TRUE(Contains(all, "ValueError: bad value 42")) << all;
  EXPECT_TRUE(Contains(all, "raise ValueError(f'bad value {value}')")) << all;  // the traceback's context
  EXPECT_TRUE(Contains(all,
                       "mlpipe: error: built-in notebook: notebooks/fail.ipynb: cell 3 (execution count 4) "
                       "failed: ValueError: bad value 42"))
      << all;
  EXPECT_FALSE(Contains(all, "\x1b[")) << "ANSI escapes left in: " << all;

  auto logs = p.Mlpipe({"runs", "logs", "1", "check"});
  EXPECT_TRUE(Contains(logs.out, "cell 3 (execution count 4) failed:")) << logs.out;
  EXPECT_TRUE(Contains(logs.out, "ValueError: bad value 42")) << logs.out;
  EXPECT_TRUE(Contains(logs.out, "before the failure")) << logs.out;

  // The executed notebook is kept where the message says, with the error in it.
  std::smatch kept;
  ASSERT_TRUE(std::regex_search(all, kept, std::regex("the executed notebook, up to the failure: (\\S+)")))
      << all;
  Json executed = Json::parse(ReadFile(kept[1]));
  bool error_kept = false, banner = false, later_ran = false;
  for (const Json& cell : executed["cells"]) {
    for (const Json& out : cell.value("outputs", Json::array())) {
      if (out.value("output_type", "") == "error") error_kept = out["ename"] == "ValueError";
    }
    const Json tags = cell["metadata"].value("tags", Json::array());
    if (std::find(tags.begin(), tags.end(), "mlpipe-error") != tags.end()) banner = true;
    if (Text(cell["source"]).find("never reached") != std::string::npos)
      later_ran = !cell["execution_count"].is_null();
  }
  EXPECT_TRUE(error_kept);
  EXPECT_TRUE(banner);
  EXPECT_FALSE(later_ran);
  EXPECT_TRUE(std::filesystem::exists(std::regex_replace(kept[1].str(), std::regex("notebook$"), "html")));
}

TEST(NotebookE2ETest, ACellPastItsTimeoutIsStoppedAndItsKernelDoesNotOutliveTheStep) {
  Project p("notebook-timeout");
  p.Write("notebooks/slow.ipynb",
          Notebook({{"code", "pid_file = None\n", {"parameters"}},
                    {"code", "import os\nopen(pid_file, 'w').write(str(os.getpid()))\n"},
                    {"code", "import time\ntime.sleep(600)\n"}})
              .dump());
  p.Write("pipeline.yaml",
          "pipeline: nb\nsteps:\n  slow:\n    uses: mlpipe/notebook\n"
          "    notebook: notebooks/slow.ipynb\n    params: {pid_file: " +
              p.Path("kernel.pid") + "}\n    cell_timeout: 2s\n");
  auto r = p.Mlpipe({"run", "pipeline.yaml"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out + r.err,
                       "notebooks/slow.ipynb: cell 3 (execution count 4) timed out after 2s "
                       "(cell_timeout)"))
      << r.out << r.err;
  int kernel = std::stoi(p.Read("kernel.pid"));
  EXPECT_FALSE(ProcessAlive(kernel)) << "the kernel " << kernel << " outlived its step";
}

TEST(NotebookE2ETest, SpecErrorsNameThePlaceAndRunNothing) {
  Project p("notebook-validate");
  p.Write("notebooks/analysis.ipynb", Notebook({{"code", "x = 1\n", {"parameters"}}}).dump());
  p.Write("notebooks/broken.ipynb", "{\"cells\": [");
  p.Write("pipeline.yaml", R"(pipeline: nb
steps:
  a:
    uses: mlpipe/notebook
    notebook: notebooks/analysys.ipynb
  b:
    uses: mlpipe/notebook
    notebook: notebooks/broken.ipynb
  c:
    uses: mlpipe/notebook
    notebook: notebooks/analysis.ipynb
    params: {max-depth: 3, x: 1}
    outputs: {x: metrics, html: report}
)");
  auto r = p.Mlpipe({"validate", "pipeline.yaml"});
  EXPECT_EQ(r.exit_code, 2);
  const std::string all = r.out + r.err;
  EXPECT_TRUE(Contains(all,
                       "pipeline.yaml:5:15: error: notebook 'notebooks/analysys.ipynb' of step 'a' does not "
                       "exist"))
      << all;
  EXPECT_TRUE(Contains(all, "did you mean 'notebooks/analysis.ipynb'?")) << all;
  EXPECT_TRUE(Contains(all,
                       "pipeline.yaml:8:15: error: notebook 'notebooks/broken.ipynb' of step 'b': not valid "
                       "JSON"))
      << all;
  EXPECT_TRUE(Contains(all,
                       "pipeline.yaml:12:14: error: param 'max-depth' of step 'c' is not a valid Python "
                       "variable name"))
      << all;
  EXPECT_TRUE(Contains(all, "rename it, e.g. max_depth")) << all;
  EXPECT_TRUE(Contains(all, "pipeline.yaml:13:27: error: output 'html' of step 'c' is already an output"))
      << all;
  EXPECT_TRUE(
      Contains(all, "pipeline.yaml:13:15: error: output 'x' of step 'c' has the name of its param 'x'"))
      << all;
  EXPECT_FALSE(std::filesystem::exists(p.Path(".mlpipe/runs")));
}

TEST(NotebookE2ETest, TheExampleRunsAndIsCachedTheSecondTime) {
  Project p("notebook-example");
  p.CopyFromRepo("examples/notebook", ".");
  auto valid = p.Mlpipe({"validate", "pipeline.yaml"});
  EXPECT_EQ(valid.exit_code, 0) << valid.out << valid.err;
  auto first = p.Mlpipe({"run", "pipeline.yaml", "--json"});
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  auto states = FinalStates(ParseEvents(first.out));
  EXPECT_EQ(states["split"], "succeeded");
  EXPECT_EQ(states["summarise"], "succeeded");
  Json summary = Json::parse(ReadFile(ArtifactRecord(p, "notebook.summarise.summary")["path"]));
  EXPECT_EQ(summary["rows"], 105);  // the stratified 70 % training split of 150 rows
  EXPECT_EQ(summary["features"], 4);
  EXPECT_EQ(summary["class_share"]["setosa"], 0.333);
  auto second = p.Mlpipe({"run", "pipeline.yaml", "--json"});
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  for (const auto& [step, state] : FinalStates(ParseEvents(second.out))) EXPECT_EQ(state, "cached") << step;
}

}  // namespace
}  // namespace mlpipe::e2e
