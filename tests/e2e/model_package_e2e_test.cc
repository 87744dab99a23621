// End-to-end: a model package that brings its own predictor (a Python worker,
// command_package_util.h) is served by the real `mlpipe serve` over HTTP on
// loopback: its metadata, predictions, a worker killed under load (the server
// restarts it and keeps answering), a new version whose worker cannot start
// (never replaces the live one) and one that can (hot swap, old workers end).
// Then a pipeline writes such a package, `evaluate` scores it and `register:`
// registers it; a folder without manifest.json is refused with what to add.
#include <dirent.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/command_package_util.h"
#include "tests/e2e/e2e_util.h"
#include "tests/e2e/events.h"
#include "tests/e2e/serve_util.h"

namespace mlpipe::e2e {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

// The pids of `parent`'s children whose command line holds `needle`.
std::set<int> ChildrenRunning(int parent, const std::string& needle) {
  std::set<int> out;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return out;
  while (dirent* e = readdir(proc)) {
    const std::string name = e->d_name;
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat("/proc/" + name + "/stat");
    std::string line;
    std::getline(stat, line);
    const size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    std::string state;
    int ppid = 0;
    rest >> state >> ppid;
    if (ppid != parent || state == "Z") continue;
    std::ifstream cmd("/proc/" + name + "/cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(cmd)), std::istreambuf_iterator<char>());
    if (cmdline.find(needle) != std::string::npos) out.insert(std::stoi(name));
  }
  closedir(proc);
  return out;
}

json InferBody(const std::vector<json>& xs, const std::vector<json>& colors) {
  return {{"inputs",
           {{{"name", "x"}, {"datatype", "FP64"}, {"shape", {xs.size()}}, {"data", xs}},
            {{"name", "color"}, {"datatype", "BYTES"}, {"shape", {colors.size()}}, {"data", colors}}}}};
}

// P(yes) of each row of an infer response.
std::vector<double> YesOf(const std::string& body) {
  std::vector<double> out;
  const json parsed = json::parse(body);  // kept alive: the loop iterates inside it
  for (const auto& o : parsed["outputs"]) {
    if (o["name"] != "probabilities") continue;
    for (size_t i = 1; i < o["data"].size(); i += 2) out.push_back(o["data"][i].get<double>());
  }
  return out;
}

TEST(CommandPackageE2ETest, ServedOverHttpRecoversFromAKilledWorkerAndHotSwaps) {
  Project p("cmdserve");
  WriteShiftPackage(p, "pkg", 0.0);
  ServeProcess server(p, {"--package", "pkg", "--poll", "200ms", "--threads", "8"});
  ASSERT_GT(server.port(), 0) << server.Err();
  httplib::Client client("127.0.0.1", server.port());
  client.set_read_timeout(30, 0);

  // Metadata from the manifest.
  auto meta = client.Get("/v2/models/pkg");
  ASSERT_TRUE(meta) << httplib::to_string(meta.error());
  ASSERT_EQ(meta->status, 200) << meta->body;
  json m = json::parse(meta->body);
  EXPECT_EQ(m["platform"], "mlpipe_command");
  EXPECT_EQ(m["inputs"][0]["name"], "x");
  EXPECT_EQ(m["inputs"][0]["datatype"], "FP64");
  EXPECT_EQ(m["inputs"][1]["name"], "color");
  EXPECT_EQ(m["inputs"][1]["datatype"], "BYTES");
  EXPECT_EQ(m["outputs"][1]["parameters"]["class_labels"], json({"no", "yes"}));
  EXPECT_EQ(m["parameters"]["target"], "label");
  const std::string v1 = m["versions"][0];

  // Predictions through the workers, columns and rows.
  const std::string body = InferBody({0.5, -2.0, nullptr}, {"red", "blue", nullptr}).dump();
  auto res = client.Post("/v2/models/pkg/infer", body, "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  std::vector<double> yes = YesOf(res->body);
  ASSERT_EQ(yes.size(), 3u);
  EXPECT_NEAR(yes[0], ShiftWorkerYes(0.5, "red", 0), 1e-6);
  EXPECT_NEAR(yes[1], ShiftWorkerYes(-2.0, "blue", 0), 1e-6);
  EXPECT_NEAR(yes[2], ShiftWorkerYes(0.0, "", 0), 1e-6);  // missing values travel as null
  EXPECT_EQ(json::parse(res->body)["outputs"][0]["data"], json({"yes", "no", "no"}));
  auto rows = client.Post("/v1/models/pkg:predict", R"({"instances": [{"x": 3, "color": "red"}]})",
                          "application/json");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->status, 200) << rows->body;
  EXPECT_EQ(json::parse(rows->body)["predictions"][0]["label"], "yes");
  auto bad = client.Post("/v2/models/pkg/infer",
                         R"({"inputs": [{"name": "x", "datatype": "FP64", "shape": [1], "data": [1]}]})",
                         "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400) << bad->body;  // checked by the server: the workers never see it

  // Two workers; one is killed while requests keep coming.
  std::set<int> workers = ChildrenRunning(server.pid(), "worker.py");
  ASSERT_EQ(workers.size(), 2u) << server.Err();
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::map<int, int> codes;
  std::vector<std::thread> load;
  for (int t = 0; t < 4; ++t) {
    load.emplace_back([&] {
      httplib::Client c("127.0.0.1", server.port());
      c.set_read_timeout(30, 0);
      while (!stop) {
        auto r = c.Post("/v2/models/pkg/infer", body, "application/json");
        std::lock_guard<std::mutex> lock(mu);
        ++codes[r ? r->status : -1];
      }
    });
  }
  std::this_thread::sleep_for(300ms);
  const int victim = *workers.begin();
  ASSERT_EQ(kill(victim, SIGKILL), 0);
  EXPECT_TRUE(Eventually([&] { return Contains(server.Err(), "restarted and ready"); })) << server.Err();
  std::this_thread::sleep_for(300ms);
  stop = true;
  for (auto& t : load) t.join();
  int other = 0;
  for (const auto& [code, n] : codes) other += code == 200 || code == 503 ? 0 : n;
  EXPECT_EQ(other, 0) << "only answers or 503 while a worker restarts; codes: " << json(codes).dump();
  EXPECT_GT(codes[200], 0);
  std::set<int> now = ChildrenRunning(server.pid(), "worker.py");
  EXPECT_EQ(now.size(), 2u);
  EXPECT_EQ(now.count(victim), 0u);
  for (int i = 0; i < 10; ++i) {
    auto r = client.Post("/v2/models/pkg/infer", body, "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
  }

  // A new version whose worker cannot start never replaces the live one.
  WriteShiftPackage(p, "pkg", -1.0);
  EXPECT_TRUE(Eventually([&] { return Contains(server.Err(), "FAILED to load"); })) << server.Err();
  EXPECT_TRUE(Contains(server.Err(), "broken on purpose")) << server.Err();
  auto still = client.Post("/v2/models/pkg/infer", body, "application/json");
  ASSERT_TRUE(still);
  ASSERT_EQ(still->status, 200) << still->body;
  EXPECT_EQ(still->get_header_value("X-Mlpipe-Model-Version"), v1);
  EXPECT_NEAR(YesOf(still->body)[0], ShiftWorkerYes(0.5, "red", 0), 1e-6);

  // One that can: its workers start, it is swapped in, the old workers end.
  WriteShiftPackage(p, "pkg", 2.0);
  std::string v2;
  EXPECT_TRUE(Eventually([&] {
    auto r = client.Post("/v2/models/pkg/infer", body, "application/json");
    if (!r || r->status != 200 || r->get_header_value("X-Mlpipe-Model-Version") == v1) return false;
    v2 = r->get_header_value("X-Mlpipe-Model-Version");
    return std::abs(YesOf(r->body)[0] - ShiftWorkerYes(0.5, "red", 2)) < 1e-6;
  })) << server.Err();
  EXPECT_TRUE(Eventually([&] {
    std::set<int> after = ChildrenRunning(server.pid(), "worker.py");
    for (int pid : now) {
      if (after.count(pid)) return false;
    }
    return after.size() == 2;
  })) << "the replaced version's workers still run";

  std::set<int> last = ChildrenRunning(server.pid(), "worker.py");
  EXPECT_EQ(server.Stop(), 0);
  for (int pid : last) EXPECT_FALSE(ProcessAlive(pid)) << pid;
}

// ---- A pipeline writes a package; evaluate scores it; register: registers it.

const char* kOwnPackagePipeline = R"(pipeline: own
steps:
  package:
    description: our own training step copies a package folder (a real one would fit a model)
    run: [cp, -r, "${inputs.src}", "${outputs.model}"]
    inputs: {src: pkg/}
    outputs: {model: model}
  evaluate:
    uses: mlpipe/evaluate
    inputs: {model: package.model, test: data/test.csv}
  predict:
    uses: mlpipe/predict
    inputs: {model: package.model, data: data/test.csv}
register:
  model: own
  from: package.model
  alias: champion
)";

// Rows of x, color and the label the shift-0 worker's rule gives (with a few flipped).
std::string ShiftRuleTestCsv() {
  std::string csv = "id,x,color,label\n";
  for (int i = 0; i < 60; ++i) {
    const double x = (i % 13) / 3.0 - 2;
    const std::string color = i % 3 == 0 ? "red" : "blue";
    const bool yes = (ShiftWorkerYes(x, color, 0) > 0.5) != (i % 10 == 0);
    csv += fmt::format("{},{},{},{}\n", i, x, color, yes ? "yes" : "no");
  }
  return csv;
}

TEST(CommandPackageE2ETest, APipelineWritesEvaluatesAndRegistersItsOwnPackage) {
  Project p("cmdregister");
  WriteShiftPackage(p, "pkg", 0.0, 1);
  p.Write("data/test.csv", ShiftRuleTestCsv());
  p.Write("pipeline.yaml", kOwnPackagePipeline);
  auto run = p.Mlpipe({"run", "pipeline.yaml"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_TRUE(Contains(run.out, "registered own v1 (alias champion)")) << run.out;
  json metrics = json::parse(p.Mlpipe({"artifacts", "cat", "own.evaluate.metrics"}).out);
  EXPECT_NEAR(metrics["metrics"]["accuracy"].get<double>(), 54.0 / 60, 1e-9) << metrics.dump();  // 6 flipped
  std::string predictions = p.Mlpipe({"artifacts", "cat", "own.predict.predictions"}).out;
  EXPECT_TRUE(Contains(predictions, "id,prediction,prob_no,prob_yes")) << predictions;
  EXPECT_EQ(CountLines(predictions, ","), 61);

  // A folder without manifest.json is not a model package: registering it says what to add.
  p.Write("notpkg/weights.bin", "0101");
  std::string no_manifest = kOwnPackagePipeline;
  no_manifest.replace(no_manifest.find("src: pkg/"), 9, "src: notpkg/");
  no_manifest.replace(no_manifest.find("  evaluate:"),
                      no_manifest.find("register:") - no_manifest.find("  evaluate:"), "");
  p.Write("bad.yaml", no_manifest);
  auto bad = p.Mlpipe({"run", "bad.yaml"});
  EXPECT_EQ(bad.exit_code, 1) << bad.out << bad.err;
  EXPECT_TRUE(Contains(bad.err,
                       "register own: own.package.model:v2 has no manifest.json, so it is not a model "
                       "package: add a manifest.json that says what the model predicts and how"))
      << bad.err;
  auto cli = p.Mlpipe({"models", "register", "other", "own.package.model:v2"});
  EXPECT_EQ(cli.exit_code, 2) << cli.out << cli.err;
  EXPECT_TRUE(Contains(cli.err, R"("predictor": {"command": ["python3", "predict.py"]})")) << cli.err;

  // What validate can check: register: from must be an output declared of type model.
  std::string untyped = kOwnPackagePipeline;
  const std::string typed = "outputs: {model: model}";
  untyped.replace(untyped.find(typed), typed.size(), "outputs: {model: folder}");
  p.Write("untyped.yaml", untyped);
  auto v = p.Mlpipe({"validate", "untyped.yaml"});
  EXPECT_EQ(v.exit_code, 2) << v.out << v.err;
  EXPECT_TRUE(Contains(v.err,
                       "from of register entry 'own' must be an output of type model, but package.model is "
                       "of type folder"))
      << v.err;
  EXPECT_TRUE(Contains(v.err, "a folder with a manifest.json (docs/model-packages.md)")) << v.err;
}

}  // namespace
}  // namespace mlpipe::e2e
