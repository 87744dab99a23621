// Model packages with a `predictor: {command: [...]}`: loaded, predicting and
// checked through the same LoadedModel as the built-ins, with real worker
// processes (test_worker.h).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "mlpipe/data/csv.h"
#include "mlpipe/ml/command_predictor.h"
#include "mlpipe/ml/model_package.h"
#include "mlpipe/ml/test_data.h"
#include "mlpipe/ml/test_worker.h"

namespace mlpipe::ml {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

class CommandPackageTest : public testing::TestDirFixture {
 protected:
  // A package at dir_/name whose worker runs in `mode` (test_worker.h).
  std::string Package(const std::string& name, const std::string& mode, json manifest) {
    fs::path dir = dir_ / name;
    testing::WriteTestWorker(dir);
    manifest["predictor"] = {
        {"command", {"python3", "worker.py", mode}}, {"workers", 2}, {"max_batch_rows", 7}};
    std::ofstream(dir / kManifestFile) << manifest.dump(2);
    return dir.string();
  }
  std::string XPackage(const std::string& name, const std::string& mode, const std::string& task = "binary") {
    json m = {{"task", task},
              {"target", "y"},
              {"features", {{{"name", "x"}, {"type", "numeric"}}}},
              {"class_labels", task == "regression" ? json::array() : json({"no", "yes"})}};
    return Package(name, mode, m);
  }
  static data::Table XTable(const std::vector<double>& xs) {
    std::string csv = "id,x,y\n";
    for (size_t i = 0; i < xs.size(); ++i)
      csv += fmt::format("{},{},{}\n", i, xs[i], xs[i] > 0 ? "yes" : "no");
    return data::ReadCsvString(csv).value();
  }
};

double Sigmoid(double z) { return 1 / (1 + std::exp(-z)); }

TEST_F(CommandPackageTest, PredictsThroughItsWorkersLikeAnyPackage) {
  const std::string pkg = XPackage("pkg", "ok");
  auto loaded = LoadModelPackage(pkg);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const LoadedModel& m = **loaded;
  EXPECT_TRUE(m.manifest().is_command());
  EXPECT_EQ(m.transform(), nullptr);
  ASSERT_EQ(m.inputs().size(), 1u);
  EXPECT_EQ(m.inputs()[0].name, "x");
  EXPECT_EQ(m.num_outputs(), 2u);
  EXPECT_EQ(m.predictor().max_concurrent_runs(), 2);
  // 20 rows in batches of 7, spread over both workers.
  std::vector<double> xs;
  for (int i = 0; i < 20; ++i) xs.push_back(i / 4.0 - 2.5);
  data::Table table = XTable(xs);
  auto p = m.Predict(table);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->rows, xs.size());
  ASSERT_EQ(p->num_classes, 2u);
  for (size_t r = 0; r < xs.size(); ++r) EXPECT_NEAR(p->prob(r, 1), Sigmoid(xs[r]), 1e-6) << r;
  auto labels = m.Labels(*p);
  EXPECT_EQ(labels.front(), "no");
  EXPECT_EQ(labels.back(), "yes");
  auto y = m.EncodeTargets(table);
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ(y->y.front(), 0);
  EXPECT_EQ(y->y.back(), 1);
  auto row = m.PredictRow({{"x", 1.5}});
  ASSERT_TRUE(row.ok()) << row.status().ToString();
  EXPECT_EQ(row->label, "yes");
  EXPECT_NEAR(row->probabilities[1], Sigmoid(1.5), 1e-6);
  // A missing value travels as null (the worker reads it as 0).
  auto missing = m.PredictRow({});
  ASSERT_TRUE(missing.ok()) << missing.status().ToString();
  EXPECT_NEAR(missing->probabilities[1], 0.5, 1e-6);
}

TEST_F(CommandPackageTest, RegressionAndLabelOnlyAnswers) {
  auto reg = LoadModelPackage(XPackage("reg", "regress", "regression"));
  ASSERT_TRUE(reg.ok()) << reg.status().ToString();
  auto values = (*reg)->Predict(XTable({1, 2.5}));
  ASSERT_TRUE(values.ok()) << values.status().ToString();
  EXPECT_EQ(values->num_classes, 0u);
  EXPECT_EQ(values->values, (std::vector<float>{3, 6}));
  auto labels = LoadModelPackage(XPackage("labels", "labels"));
  ASSERT_TRUE(labels.ok()) << labels.status().ToString();
  auto onehot = (*labels)->Predict(XTable({-1, 1}));
  ASSERT_TRUE(onehot.ok()) << onehot.status().ToString();
  EXPECT_EQ(onehot->values, (std::vector<float>{1, 0, 0, 1}));
}

TEST_F(CommandPackageTest, TheWorkersErrorsReachTheCaller) {
  auto m = LoadModelPackage(XPackage("pkg", "ok"));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  auto refused = (*m)->Predict(XTable({1, -777}));
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("x = -777 is not allowed"), std::string::npos)
      << refused.status().ToString();
  auto short_answer = (*m)->Predict(XTable({-555}));
  EXPECT_EQ(short_answer.status().code(), StatusCode::kInternal);
  EXPECT_NE(short_answer.status().message().find("for 1 rows"), std::string::npos)
      << short_answer.status().ToString();
}

TEST_F(CommandPackageTest, AVersionWhoseWorkersCannotStartDoesNotLoad) {
  auto m = LoadModelPackage(XPackage("pkg", "fail_start"));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(m.status().message().find("cannot load model.pkl"), std::string::npos) << m.status().ToString();
  // Registering it checks the manifest only: the command is not run.
  EXPECT_TRUE(CheckModelPackage(dir_ / "pkg").ok());
}

TEST_F(CommandPackageTest, TheWorkersEndWithTheModel) {
  testing::FaultyLauncher launcher;
  LoadOptions options;
  options.launcher = &launcher;
  {
    auto m = LoadModelPackage(XPackage("pkg", "ok"), options);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    ASSERT_EQ(launcher.pids().size(), 2u);
    for (pid_t p : launcher.pids()) EXPECT_EQ(::kill(p, 0), 0);
  }
  for (pid_t p : launcher.pids()) EXPECT_NE(::kill(p, 0), 0) << p;
}

TEST_F(CommandPackageTest, AFolderWithoutAManifestSaysWhatToAdd) {
  fs::create_directories(dir_ / "empty");
  for (const Status& s :
       {LoadModelPackage((dir_ / "empty").string()).status(), CheckModelPackage((dir_ / "empty").string())}) {
    EXPECT_EQ(s.code(), StatusCode::kNotFound);
    EXPECT_NE(s.message().find("has no manifest.json, so it is not a model package"), std::string::npos)
        << s.ToString();
    EXPECT_NE(s.message().find(R"("predictor": {"command": ["python3", "predict.py"]})"), std::string::npos)
        << s.ToString();
  }
  // A manifest that is not valid.
  fs::create_directories(dir_ / "bad");
  std::ofstream(dir_ / "bad" / kManifestFile) << R"({"task": "binary", "predictor": {"command": []}})";
  Status bad = CheckModelPackage((dir_ / "bad").string());
  EXPECT_EQ(bad.code(), StatusCode::kDataLoss);
  EXPECT_NE(bad.message().find("manifest"), std::string::npos) << bad.ToString();
}

}  // namespace
}  // namespace mlpipe::ml
