// End-to-end: examples/sklearn_compare on a subset of its rows. The user's own
// script trains a scikit-learn pipeline into a model package with a predict.py
// worker; the built-in evaluate scores it against the XGBoost built-in on the
// same test rows; it is registered; `mlpipe serve` answers over HTTP exactly
// what the batch predict step wrote; challenge.yaml evaluates the XGBoost
// built-in against the registered model by alias.
#include <gtest/gtest.h>
#include <httplib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e/e2e_util.h"
#include "tests/e2e/events.h"
#include "tests/e2e/serve_util.h"

namespace mlpipe::e2e {
namespace {

using json = nlohmann::json;

// Puts first on PATH a python3 that has scikit-learn and pandas (Debian's
// /usr/bin/python3 with python3-sklearn, python3-pandas; scripts/deps.sh
// installs them), so that the example's `python3` is one that can run it.
// False if there is none.
bool PythonWithScikitLearnFirstOnPath() {
  const std::string check = " -c 'import sklearn, pandas' >/dev/null 2>&1";
  if (Shell("python3" + check) == 0) return true;
  if (Shell("/usr/bin/python3" + check) != 0) return false;
  const char* path = std::getenv("PATH");
  setenv("PATH", (std::string("/usr/bin:") + (path ? path : "")).c_str(), 1);
  return Shell("python3" + check) == 0;
}

std::vector<std::vector<std::string>> Rows(const std::string& csv) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(csv);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> fields;
    std::stringstream ss(line);
    for (std::string f; std::getline(ss, f, ',');) fields.push_back(f);
    if (!line.empty() && line.back() == ',') fields.emplace_back();
    rows.push_back(fields);
  }
  return rows;
}

std::map<std::string, double> Metrics(const Project& p, int run) {
  std::map<std::string, double> out;
  json show = json::parse(p.Mlpipe({"runs", "show", std::to_string(run), "--json"}).out);
  for (const auto& m : show["metrics"]) {
    if (m.contains("iteration") && !m["iteration"].is_null()) continue;
    out[m["step"].get<std::string>() + "." + m["name"].get<std::string>()] = m["value"].get<double>();
  }
  return out;
}

TEST(SklearnExampleE2ETest, YourOwnModelIsEvaluatedRegisteredAndServedLikeTheBuiltIns) {
  ASSERT_TRUE(PythonWithScikitLearnFirstOnPath())
      << "no python3 with scikit-learn and pandas: install python3-sklearn python3-pandas (scripts/deps.sh)";
  Project p("sklearn");
  p.CopyFromRepo("examples/sklearn_compare", ".");
  {  // A subset of the rows keeps the test fast.
    std::ifstream in(p.Path("data/loans.csv"));
    std::string text, line;
    for (int i = 0; i <= 1500 && std::getline(in, line); ++i) text += line + "\n";
    p.Write("data/loans.csv", text);
  }
  auto valid = p.Mlpipe({"validate", "pipeline.yaml"});
  ASSERT_EQ(valid.exit_code, 0) << valid.out << valid.err;
  auto first = p.Mlpipe({"run", "pipeline.yaml", "--json", "-j", "2"});
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  auto events = ParseEvents(first.out);
  auto states = FinalStates(events);
  for (const char* step : {"split", "transform", "xgboost", "sklearn", "evaluate", "predict"}) {
    EXPECT_EQ(states[step], "succeeded") << step;
  }
  bool registered = false;
  for (const auto& e : events)
    registered |= e.value("event", "") == "registered" && e["model"] == "lending-club-sklearn";
  EXPECT_TRUE(registered) << first.out;

  // Both models scored on the same rows: the candidate's and the baseline's metrics.
  auto metrics = Metrics(p, 1);
  const double sk_auc = metrics["evaluate.roc_auc"];
  const double xgb_auc = metrics["evaluate.baseline_roc_auc"];
  EXPECT_GT(sk_auc, 0.55);
  EXPECT_LE(sk_auc, 1.0);
  EXPECT_GT(xgb_auc, 0.5);
  EXPECT_NE(sk_auc, xgb_auc);
  EXPECT_GT(metrics["sklearn.train_roc_auc"], 0.55);

  // A second run is fully cached.
  auto second = p.Mlpipe({"run", "pipeline.yaml", "--json"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  for (const auto& [step, state] : FinalStates(ParseEvents(second.out))) EXPECT_EQ(state, "cached") << step;

  // Served over HTTP, through the registry: the answers equal the batch predict step's.
  auto test = Rows(p.Mlpipe({"artifacts", "cat", "sklearn_compare.split.test"}).out);
  auto batch = Rows(p.Mlpipe({"artifacts", "cat", "sklearn_compare.predict.predictions"}).out);
  ASSERT_GT(test.size(), 100u);
  ASSERT_EQ(batch.size(), test.size());
  ASSERT_EQ(batch[0], (std::vector<std::string>{"Class", "prediction", "prob_good", "prob_bad"}));
  json manifest = json::parse(p.Mlpipe({"models", "show", "lending-club-sklearn", "--json"}).out);
  ASSERT_EQ(manifest["aliases"]["candidate"], 1) << manifest.dump();
  ServeProcess server(p, {"--model", "lending-club-sklearn@candidate"});
  ASSERT_GT(server.port(), 0) << server.Err();
  httplib::Client client("127.0.0.1", server.port());
  client.set_read_timeout(60, 0);
  auto meta = client.Get("/v2/models/lending-club-sklearn");
  ASSERT_TRUE(meta);
  ASSERT_EQ(meta->status, 200) << meta->body;
  json m = json::parse(meta->body);
  EXPECT_EQ(m["platform"], "mlpipe_command");
  json inputs = json::array();
  const size_t n = test.size() - 1;
  for (const auto& in : m["inputs"]) {
    const std::string name = in["name"];
    size_t c = 0;
    while (c < test[0].size() && test[0][c] != name) ++c;
    ASSERT_LT(c, test[0].size()) << name;
    json data = json::array();
    for (size_t r = 1; r <= n; ++r) {
      const std::string& v = test[r][c];
      data.push_back(v.empty() ? json() : in["datatype"] == "FP64" ? json(std::stod(v)) : json(v));
    }
    inputs.push_back({{"name", name}, {"datatype", in["datatype"]}, {"shape", {n}}, {"data", data}});
  }
  auto res = client.Post("/v2/models/lending-club-sklearn/infer", json{{"inputs", inputs}}.dump(),
                         "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body << server.Err();
  json out = json::parse(res->body);
  ASSERT_EQ(out["outputs"][1]["data"].size(), 2 * n);
  for (size_t r = 1; r <= n; ++r) {
    EXPECT_EQ(out["outputs"][0]["data"][r - 1], batch[r][1]) << r;
    EXPECT_NEAR(out["outputs"][1]["data"][2 * (r - 1) + 1].get<double>(), std::stod(batch[r][3]), 1e-6) << r;
  }
  EXPECT_EQ(server.Stop(), 0) << server.Err();

  // challenge.yaml: the XGBoost built-in against the registered model, by alias.
  auto challenge = p.Mlpipe({"run", "challenge.yaml", "--json", "--explain"});
  ASSERT_EQ(challenge.exit_code, 0) << challenge.out << challenge.err;
  auto cstates = FinalStates(ParseEvents(challenge.out));
  EXPECT_EQ(cstates["xgboost"], "cached");  // the same work as pipeline.yaml's
  EXPECT_EQ(cstates["evaluate"], "succeeded");
  auto cm = Metrics(p, 3);
  EXPECT_DOUBLE_EQ(cm["evaluate.roc_auc"], xgb_auc);          // the built-in, now the candidate
  EXPECT_DOUBLE_EQ(cm["evaluate.baseline_roc_auc"], sk_auc);  // the registered scikit-learn package
  auto lineage = p.Mlpipe({"artifacts", "lineage", "sklearn_challenge.evaluate.metrics"});
  EXPECT_TRUE(Contains(lineage.out, "baseline: lending-club-sklearn:v1")) << lineage.out;
}

}  // namespace
}  // namespace mlpipe::e2e
