// End-to-end: the built-in ML components with the real binary. A numeric 0/1
// target with positive_class is a classification in train, evaluate,
// predict, the model package and `mlpipe serve`; an ambiguous target says so
// first; `mlpipe validate` reports built-in param problems at file:line:column;
// the split's rng sklearn writes scikit-learn's rows; without a validation
// fraction `valid` is not written and the split stays cached; train's
// max_iter caps the logistic regression.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "mlpipe/data/test_data.h"
#include "tests/e2e/e2e_util.h"
#include "tests/e2e/events.h"

namespace mlpipe::e2e {
namespace {

using Json = nlohmann::json;

// 300 loans: id, region (categorical), income, default (0/1, 1 = bad).
std::string LoansCsv() {
  std::mt19937 rng(11);
  std::normal_distribution<double> normal(0, 1);
  const char* regions[] = {"north", "south", "east"};
  std::string csv = "id,region,income,default\n";
  for (int i = 0; i < 300; ++i) {
    double income = normal(rng);
    int region = static_cast<int>(rng() % 3);
    bool bad = income + (region == 0 ? 0.8 : -0.4) + 0.5 * normal(rng) > 0.4;
    csv += fmt::format("{},{},{:.3f},{}\n", i, regions[region], income, bad ? 1 : 0);
  }
  return csv;
}

const char* kLoans = R"(pipeline: loans
steps:
  split:
    uses: mlpipe/split
    inputs: {data: data/loans.csv}
    params: {method: stratified, stratify_by: default, rng: sklearn, seed: 3}
  transform:
    uses: mlpipe/transform
    inputs: {train: split.train}
    params: {target: default, positive_class: "1", exclude: [id], feature_order: numeric_first}
  train:
    uses: mlpipe/train
    inputs: {train: split.train, transform: transform.transform}
    params: {rounds: 20, max_depth: 3, nthread: 1}
  evaluate:
    uses: mlpipe/evaluate
    inputs: {model: train.model, test: split.test}
  predict:
    uses: mlpipe/predict
    inputs: {model: train.model, data: split.test}
)";

class LoansProject : public Project {
 public:
  explicit LoansProject(const std::string& name, const std::string& pipeline = kLoans) : Project(name) {
    Write("data/loans.csv", LoansCsv());
    Write("pipeline.yaml", pipeline);
  }
  CommandOutput MustRun(const std::vector<std::string>& args) const {
    CommandOutput r = Mlpipe(args);
    EXPECT_EQ(r.exit_code, 0) << "mlpipe " << args[0] << ":\n" << r.out << r.err;
    return r;
  }
  // Scalar metrics of run `run`: "step.name" -> value.
  std::map<std::string, double> Metrics(int run) const {
    std::map<std::string, double> out;
    Json show = Json::parse(MustRun({"runs", "show", std::to_string(run), "--json"}).out);
    for (const auto& m : show["metrics"]) {
      if (m.contains("iteration") && !m["iteration"].is_null()) continue;
      out[m["step"].get<std::string>() + "." + m["name"].get<std::string>()] = m["value"].get<double>();
    }
    return out;
  }
  std::string StorePath(const std::string& ref) const {
    return Json::parse(MustRun({"artifacts", "show", ref, "--json"}).out)["path"].get<std::string>();
  }
};

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The first line a step of run 1 wrote to its stdout (`runs logs` heads it
// with "== stdout (PATH) ==").
std::string FirstLogLine(const LoansProject& p, const std::string& step) {
  for (const std::string& line : Lines(p.MustRun({"runs", "logs", "1", step}).out)) {
    if (line.rfind("== ", 0) != 0) return line;
  }
  return "";
}

// `mlpipe serve --package DIR --port 0` until it says where it listens.
class PackageServer {
 public:
  PackageServer(const Project& p, const std::string& package) {
    pid_ = p.StartMlpipe({"serve", "--package", package, "--port", "0"}, p.Path(".serve.out"),
                         p.Path(".serve.err"));
    const std::string marker = "listening on http://127.0.0.1:";
    for (int i = 0; i < 3000 && port_ == 0 && ProcessAlive(pid_); ++i) {
      std::ifstream f(p.Path(".serve.out"));
      std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
      size_t at = text.find(marker);
      if (at != std::string::npos && text.find('\n', at) != std::string::npos) {
        port_ = std::stoi(text.substr(at + marker.size()));
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  }
  ~PackageServer() {
    if (pid_ > 0 && ProcessAlive(pid_)) kill(pid_, SIGTERM);
    if (pid_ > 0) WaitFor(pid_);
  }
  int port() const { return port_; }

 private:
  int pid_ = 0;
  int port_ = 0;
};

TEST(BuiltinsE2ETest, ZeroOneTargetWithPositiveClassIsAClassificationEverywhere) {
  LoansProject p("builtins-binary");
  auto run = p.MustRun({"run", "pipeline.yaml"});
  auto m = p.Metrics(1);
  EXPECT_GT(m["evaluate.roc_auc"], 0.7);  // a classifier's metrics, not rmse
  EXPECT_EQ(m.count("evaluate.rmse"), 0u);
  EXPECT_EQ(FirstLogLine(p, "transform"),
            "task: classification (positive_class '1' was given for the numeric target 'default')");

  // The package: classes are the target's text; the transform keeps its order.
  const std::string package = p.StorePath("loans.train.model");
  Json manifest = Json::parse(std::ifstream(package + "/manifest.json"));
  EXPECT_EQ(manifest["task"], "binary");
  EXPECT_EQ(manifest["class_labels"], Json({"0", "1"}));
  EXPECT_EQ(manifest["positive_class"], "1");
  Json transform = Json::parse(std::ifstream(package + "/transform.json"));
  EXPECT_EQ(transform["options"]["feature_order"], "numeric_first");
  EXPECT_EQ(transform["feature_names"][0], "income");

  // Batch predictions and the server agree, with labels "0" / "1".
  auto predictions = Lines(p.MustRun({"artifacts", "cat", "loans.predict.predictions"}).out);
  auto test = Lines(p.MustRun({"artifacts", "cat", "loans.split.test"}).out);
  ASSERT_EQ(predictions[0], "id,prediction,prob_0,prob_1");
  ASSERT_EQ(test[0], "id,region,income,default");
  ASSERT_EQ(predictions.size(), test.size());
  PackageServer server(p, package);
  ASSERT_GT(server.port(), 0);
  httplib::Client client("127.0.0.1", server.port());
  client.set_read_timeout(10, 0);
  Json instances = Json::array();
  for (size_t r = 1; r < test.size(); ++r) {
    std::vector<std::string> f;
    std::stringstream ss(test[r]);
    for (std::string x; std::getline(ss, x, ',');) f.push_back(x);
    instances.push_back({{"region", f[1]}, {"income", std::stod(f[2])}});
  }
  const std::string name = std::filesystem::path(package).filename().string();
  auto res = client.Post("/v1/models/" + name + ":predict", Json{{"instances", instances}}.dump(),
                         "application/json");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  ASSERT_EQ(res->status, 200) << res->body;
  Json served = Json::parse(res->body)["predictions"];
  ASSERT_EQ(served.size(), test.size() - 1);
  for (size_t r = 1; r < predictions.size(); ++r) {
    const std::string label = predictions[r].substr(predictions[r].find(',') + 1, 1);
    EXPECT_EQ(served[r - 1]["label"], label) << "row " << r;
    EXPECT_TRUE(served[r - 1]["probabilities"].contains("1")) << served[r - 1].dump();
  }
}

TEST(BuiltinsE2ETest, AmbiguousTargetSaysWhatWasChosenAndValidateCatchesAContradiction) {
  std::string pipeline = kLoans;
  pipeline.replace(pipeline.find("positive_class: \"1\", "), 21, "");
  pipeline.replace(pipeline.find("evaluate:"), std::string::npos, "");
  LoansProject p("builtins-ambiguous", pipeline);
  p.MustRun({"run", "pipeline.yaml"});
  EXPECT_EQ(
      FirstLogLine(p, "transform"),
      "warning: target 'default' is numeric with only 2 distinct values (0, 1): fitted as regression (task: "
      "auto); to train a classifier, set task: classification (or positive_class: \"1\") on the transform "
      "step");
  // positive_class on train alone: known to be wrong before anything runs.
  pipeline.replace(pipeline.find("rounds: 20"), 10, "rounds: 20, positive_class: \"1\"");
  p.Write("pipeline.yaml", pipeline);
  auto v = p.Mlpipe({"validate", "pipeline.yaml"});
  EXPECT_EQ(v.exit_code, 2) << v.out << v.err;
  EXPECT_TRUE(Contains(v.err,
                       "pipeline.yaml:14:26: error: step 'train': positive_class '1' is set here but not on "
                       "the transform step 'transform'"))
      << v.err;
  EXPECT_TRUE(Contains(v.err, "hint: set positive_class: \"1\" on step 'transform'")) << v.err;
}

TEST(BuiltinsE2ETest, ValidateReportsBuiltinParamProblemsAtTheirPlaceAndNothingRuns) {
  LoansProject p("builtins-validate", R"(pipeline: bad
steps:
  split:
    uses: mlpipe/split
    inputs: {data: data/loans.csv}
    params:
      method: time
      time_column: id
      rng: sklearn
  transform:
    uses: mlpipe/transform
    inputs: {train: split.train}
    params: {target: default, feature_order: alphabetical}
  train:
    uses: mlpipe/train
    inputs: {train: split.train, transform: transform.transform}
    params: {model: linear, max_iter: 0}
)");
  auto r = p.Mlpipe({"run", "pipeline.yaml"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(Contains(r.err,
                       "pipeline.yaml:9:7: error: step 'split': rng 'sklearn' draws random or stratified "
                       "rows as scikit-learn does; a time split draws nothing"))
      << r.err;
  EXPECT_TRUE(Contains(r.err, "hint: remove rng, or use method random or stratified")) << r.err;
  EXPECT_TRUE(Contains(r.err,
                       "pipeline.yaml:13:31: error: step 'transform': param 'feature_order' must be input or "
                       "numeric_first, got 'alphabetical'"))
      << r.err;
  EXPECT_TRUE(Contains(r.err,
                       "pipeline.yaml:17:29: error: step 'train': param 'max_iter' must be in [1, 10000000], "
                       "got 0"))
      << r.err;
  EXPECT_TRUE(Contains(r.err, "3 errors in pipeline.yaml; nothing was run")) << r.err;
  // A -p override that makes a combination impossible stops the step before it reads anything.
  p.Write("ok.yaml", R"(pipeline: ok
params:
  method: random
steps:
  split:
    uses: mlpipe/split
    inputs: {data: data/loans.csv}
    params: {method: "${params.method}", rng: sklearn, time_column: ""}
)");
  EXPECT_EQ(p.Mlpipe({"validate", "ok.yaml"}).exit_code, 0);
  auto run = p.Mlpipe({"run", "ok.yaml", "-p", "method=time"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_TRUE(Contains(run.out + run.err, "method 'time' needs param 'time_column'")) << run.out << run.err;
}

TEST(BuiltinsE2ETest, SklearnRngWritesTheRowsScikitLearnDraws) {
  // iris with its row number, split as
  //   rest, test = train_test_split(df, test_size=0.2, random_state=42, stratify=df.species)
  //   train, valid = train_test_split(rest, test_size=15, random_state=42, stratify=rest.species)
  // (src/mlpipe/data/sklearn_split_test.cc says how the rows were printed).
  Project p("builtins-sklearn");
  std::ifstream iris(data::testing::SharedData("iris.csv"));
  std::string line, csv;
  for (int row = -1; std::getline(iris, line); ++row)
    csv += (row < 0 ? "row" : std::to_string(row)) + "," + line + "\n";
  p.Write("data/iris.csv", csv);
  p.Write("pipeline.yaml", R"(pipeline: iris
steps:
  split:
    uses: mlpipe/split
    inputs: {data: data/iris.csv}
    params: {method: stratified, stratify_by: species, test_fraction: 0.2, valid_fraction: 0.1, rng: sklearn, seed: 42}
)");
  auto r = p.Mlpipe({"run", "pipeline.yaml"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto rows = [&](const std::string& ref) {
    std::vector<int> out;
    auto lines = Lines(p.Mlpipe({"artifacts", "cat", ref}).out);
    for (size_t i = 1; i < lines.size(); ++i) out.push_back(std::stoi(lines[i]));
    return out;
  };
  EXPECT_EQ(rows("iris.split.test"),
            (std::vector<int>{38, 127, 57, 93, 42,  56, 22,  20, 147, 84,  107, 141, 104, 51,  7,
                              49, 14,  69, 63, 138, 10, 140, 58, 134, 132, 77,  75,  18,  116, 28}));
  EXPECT_EQ(rows("iris.split.valid"),
            (std::vector<int>{33, 148, 26, 81, 78, 122, 99, 32, 17, 144, 137, 61, 47, 142, 80}));
  EXPECT_EQ(rows("iris.split.train").size(), 105u);
}

TEST(BuiltinsE2ETest, WithoutValidationFractionValidIsNotWrittenAndTheSplitStaysCached) {
  LoansProject p("builtins-novalid", R"(pipeline: novalid
steps:
  split:
    uses: mlpipe/split
    inputs: {data: data/loans.csv}
  transform:
    uses: mlpipe/transform
    inputs: {train: split.train}
    params: {target: default, task: classification, exclude: [id], standardize: true}
  train:
    uses: mlpipe/train
    inputs: {train: split.train, transform: transform.transform, valid: split.valid}
    params: {model: linear, max_iter: 3}
)");
  p.MustRun({"run", "pipeline.yaml"});
  auto listed = p.MustRun({"artifacts", "list", "--json"}).out;
  EXPECT_TRUE(Contains(listed, "novalid.split.train")) << listed;
  EXPECT_FALSE(Contains(listed, "novalid.split.valid")) << listed;
  // train's optional valid input is dropped; its iteration cap is a param.
  auto m = p.Metrics(1);
  EXPECT_EQ(m["train.iterations"], 3);
  EXPECT_EQ(m["train.converged"], 0);
  auto again = ParseEvents(p.MustRun({"run", "pipeline.yaml", "--json"}).out);
  auto states = FinalStates(again);
  EXPECT_EQ(states["split"], "cached");
  EXPECT_EQ(states["train"], "cached");
  // A step that needs valid is told it was not produced.
  p.Write("needs.yaml", R"(pipeline: needs
steps:
  split:
    uses: mlpipe/split
    inputs: {data: data/loans.csv}
  count:
    run: wc -l ${inputs.rows}
    inputs: {rows: split.valid}
)");
  auto r = p.Mlpipe({"run", "needs.yaml"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out + r.err, "split.valid was not produced")) << r.out << r.err;
}

}  // namespace
}  // namespace mlpipe::e2e
