// Continuous delivery end to end: the real `mlpipe run` (offline gates),
// `mlpipe serve --deployment NAME` following the stored deployment, and
// `mlpipe server`'s rollout controller, with real HTTP traffic from a load
// thread and real command-predictor workers (Python, standard library).
// A better candidate passes its gates and is canaried to 100 %; an equal one
// fails `beats: champion`; a slow one and an erroring one are rolled back by
// the live numbers; every decision recomputes the same with `mlpipe explain`.
// A challenger pipeline (challenger_of:) runs with each fire of the
// champion's, and only an offline winner goes into an online A/B, sticky per
// user, which waits for a canary in flight.
// Waits are bounded polls for a state, never a fixed duration.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "tests/e2e/e2e_util.h"
#include "tests/e2e/serve_util.h"
#include "tests/e2e/server_util.h"

namespace mlpipe::e2e {
namespace {

using json = nlohmann::json;

// Writes a command package at OUT: P(yes) = sigmoid(4 * (x + c + shift)),
// c = 1 for red and -0.5 otherwise (SHIFT: a number or a file holding one).
// Modes (for one-row requests, what the model server sends; a pipeline's
// evaluate sends the whole test set): ok; slow (sleeps 250 ms: far above 3x
// the champion's p99 even on a loaded machine); error (every third answers an
// error); late_error (every third after a worker's first 60: it passes the
// replay of the infrastructure gate and fails on live traffic); flip (the
// opposite class: right on the test set, wrong online).
const char* kMakePackagePy = R"PY(import json, os, sys
shift, mode, out = sys.argv[1], sys.argv[2], sys.argv[3]
shift = float(open(shift).read()) if os.path.isfile(shift) else float(shift)  # a number, or a file of one
os.makedirs(out)
worker = '''import json, math, sys, time
shift, mode = float(sys.argv[1]), sys.argv[2]
print(json.dumps({"ready": True}), flush=True)
n = 0
for line in sys.stdin:
    req = json.loads(line)
    n += 1
    single = len(req["columns"]["x"]) == 1
    if mode == "slow" and single:
        time.sleep(0.25)
    if single and n % 3 == 0 and (mode == "error" or (mode == "late_error" and n > 60)):
        print(json.dumps({"id": req["id"], "error": "broken on purpose"}), flush=True)
        continue
    c = req["columns"]
    out = []
    for x, color in zip(c["x"], c["color"]):
        z = 4 * ((0.0 if x is None else x) + (1.0 if color == "red" else -0.5) + shift)
        p = 1 / (1 + math.exp(-max(-50, min(50, z))))
        out.append([p, 1 - p] if mode == "flip" and single else [1 - p, p])
    print(json.dumps({"id": req["id"], "probabilities": out}), flush=True)
'''
open(os.path.join(out, "worker.py"), "w").write(worker)
manifest = {"task": "binary", "target": "label",
            "features": [{"name": "x", "type": "numeric"}, {"name": "color", "type": "categorical"}],
            "class_labels": ["no", "yes"],
            "predictor": {"command": ["python3", "worker.py", str(shift), mode], "workers": 2}}
json.dump(manifest, open(os.path.join(out, "manifest.json"), "w"))
)PY";

// The truth: yes iff x + c + 0.5 > 0. A model with shift 0.5 is right on
// every row; shift -1.5 on about two thirds.
std::string TestCsv(int rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-3, 3);
  std::string csv = "x,color,label\n";
  for (int i = 0; i < rows; ++i) {
    const double x = std::round(u(rng) * 1000) / 1000;
    const std::string color = i % 2 ? "red" : "blue";
    const bool yes = x + (color == "red" ? 1.0 : -0.5) + 0.5 > 0;
    csv += fmt::format("{},{},{}\n", x, color, yes ? "yes" : "no");
  }
  return csv;
}

const char* kPipeline = R"(pipeline: scorer
params:
  shift: {type: float, default: -1.5}
  mode: {type: string, default: ok}
steps:
  train:
    run: python3 make_pkg.py ${params.shift} ${params.mode} ${outputs.model}
    outputs: {model: model}
  evaluate:
    uses: mlpipe/evaluate
    inputs: {model: train.model, test: data/test.csv}
    params: {metric: accuracy}
register:
  - model: scorer
    from: train.model
deploy:
  model: scorer
  gates:
    - metric: evaluate.metrics.accuracy
      min: 0.5
    - beats: champion
      metric: accuracy
      by: 0.01
      confidence: 0.95
      seed: 7
  rollout:
    strategy: canary
    steps: [50, 100]
    min_requests: 80
    max_step_time: 2m
    analysis_interval: 300ms
    analysis:
      error_rate: {max_increase: 0.01}
      latency_p99: {max_ratio: 3}
)";

// The rollout id a gated run queued, from its --json events.
int64_t QueuedRollout(const std::string& out) {
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    json j = json::parse(line, nullptr, false);
    if (j.is_object() && j.value("event", "") == "gates" && j.contains("rollout"))
      return j["rollout"].get<int64_t>();
  }
  return 0;
}

class RolloutTest : public ::testing::Test {
 protected:
  RolloutTest() : p_("rollout") {
    p_.Write("make_pkg.py", kMakePackagePy);
    p_.Write("data/test.csv", TestCsv(400, 11));
    p_.Write("scorer.yaml", kPipeline);
  }
  ~RolloutTest() override { StopLoad(); }

  CommandOutput Run(std::vector<std::string> params) {
    std::vector<std::string> args = {"run", "scorer.yaml"};
    for (auto& p : params) args.insert(args.end(), {"-p", p});
    return p_.Mlpipe(args);
  }

  // Requests from one thread until StopLoad, counting answers by status and
  // by the variant header.
  void StartLoad(int port) {
    load_ = std::thread([this, port] {
      httplib::Client c("127.0.0.1", port);
      c.set_read_timeout(10);
      int i = 0;
      while (!stop_load_) {
        const double x = (i++ % 61 - 30) / 10.0;
        json body = {{"inputs",
                      {{{"name", "x"}, {"shape", {1}}, {"datatype", "FP64"}, {"data", {x}}},
                       {{"name", "color"},
                        {"shape", {1}},
                        {"datatype", "BYTES"},
                        {"data", {i % 2 ? "red" : "blue"}}}}}};
        httplib::Headers headers;
        // Many users of two requests each, under the A/B's default header.
        const std::string key = fmt::format("user-{}", i / 2);
        if (ab_keys_) headers.emplace("X-Mlpipe-Key", key);
        // A client that pins a version sends every other request outside the split.
        const std::string path = !pin_version_.empty() && i % 2
                                     ? "/v2/models/scorer/versions/" + pin_version_ + "/infer"
                                     : std::string("/v2/models/scorer/infer");
        auto res = c.Post(path, headers, body.dump(), "application/json");
        if (!res) {
          ++unanswered_;
        } else if (res->status == 200) {
          ++ok_;
          if (res->get_header_value("X-Mlpipe-Variant") != "champion") ++not_champion_;
          if (ab_keys_) {
            // A user stays on the arm of their first request.
            const std::string variant = res->get_header_value("X-Mlpipe-Variant");
            std::lock_guard lock(arms_mu_);
            auto [it, first] = arm_of_key_.emplace(key, variant);
            if (!first && it->second != variant) ++arm_switches_;
          }
          if (feedback_) {
            // The truth of this row, sent back as a label (the feedback feeder).
            const bool yes = x + (i % 2 ? 1.0 : -0.5) + 0.5 > 0;
            json fb = {{"id", res->get_header_value("X-Request-Id")}, {"label", yes ? "yes" : "no"}};
            c.Post("/v2/feedback", fb.dump(), "application/json");
          }
        } else if (res->status >= 500) {
          ++server_errors_;
        } else {
          ++client_errors_;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(3));
      }
    });
  }
  void StopLoad() {
    stop_load_ = true;
    if (load_.joinable()) load_.join();
  }

  json Rollout(Server& server, int64_t id) {
    return server.Get("/api/v1/rollouts/" + std::to_string(id)).second;
  }

  // Polls until rollout `id` reaches a state other than the active ones.
  std::string WaitRolloutEnds(Server& server, int64_t id) {
    std::string state;
    Eventually(
        [&] {
          state = Rollout(server, id).value("state", "");
          return state != "" && state != "infra_gate" && state != "running" && state != "paused" &&
                 state != "promoting" && state != "waiting";
        },
        180);
    return state;
  }

  // Runs a candidate better offline (shift 0.5) in `mode`, which must be
  // rolled back; returns why (the rollout's detail).
  std::string RollBackOf(Server& server, const std::string& mode) {
    CommandOutput run = p_.Mlpipe({"run", "scorer.yaml", "--json", "-p", "shift=0.5", "-p", mode});
    EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
    const int64_t id = QueuedRollout(run.out);
    EXPECT_GT(id, 0) << run.out;
    EXPECT_EQ(WaitRolloutEnds(server, id), "rolled_back") << Rollout(server, id).dump(1);
    return Rollout(server, id).value("detail", "");
  }

  std::string AliasVersion(const std::string& alias) {
    auto out = p_.Mlpipe({"models", "show", "scorer", "--json"});
    json j = json::parse(out.out, nullptr, false);
    if (!j.contains("aliases")) return "";
    for (auto it = j["aliases"].begin(); it != j["aliases"].end(); ++it) {
      if (it.key() == alias) return it.value().dump();
    }
    return "";
  }

  // The pipeline with the rollout's min_requests and max_step_time replaced,
  // and `extra` rollout keys.
  void WritePipeline(int min_requests, const std::string& max_step_time, const std::string& extra = "",
                     const std::string& analysis = "") {
    std::string text = kPipeline;
    text.replace(text.find("min_requests: 80"), 16, "min_requests: " + std::to_string(min_requests));
    text.replace(text.find("max_step_time: 2m"), 17, "max_step_time: " + max_step_time + extra);
    text.replace(text.find("latency_p99: {max_ratio: 3}"), 27, "latency_p99: {max_ratio: 3}" + analysis);
    p_.Write("scorer.yaml", text);
  }
  // `mlpipe serve` following deployment scorer and `mlpipe server` running
  // scorer.yaml, both listening; the load thread on serve when `load`.
  void StartServing(std::unique_ptr<ServeProcess>* serve, std::unique_ptr<Server>* server, bool load) {
    *serve = std::make_unique<ServeProcess>(
        p_, std::vector<std::string>{"--deployment", "scorer", "--poll", "200ms"});
    ASSERT_GT((*serve)->port(), 0) << (*serve)->Err();
    *server = std::make_unique<Server>(p_, std::vector<std::string>{"--pipelines", "scorer.yaml"});
    ASSERT_GT((*server)->proc().port(), 0) << (*server)->proc().Err();
    if (load) StartLoad((*serve)->port());
  }
  // Runs the first model (the champion) and a better candidate, with serve
  // and server up; returns the candidate's rollout.
  int64_t ChampionThenCandidate(std::unique_ptr<ServeProcess>* serve, std::unique_ptr<Server>* server,
                                bool load) {
    CommandOutput first = Run({});
    EXPECT_EQ(first.exit_code, 0) << first.out << first.err;
    StartServing(serve, server, load);
    CommandOutput better = p_.Mlpipe({"run", "scorer.yaml", "--json", "-p", "shift=-0.5"});
    EXPECT_EQ(better.exit_code, 0) << better.out << better.err;
    return QueuedRollout(better.out);
  }
  // The first judgements of the history recompute the same with `mlpipe explain`.
  void ExpectJudgementsRecompute(Server& server) {
    json history = server.Get("/api/v1/deployments/scorer/history?limit=1000").second["history"];
    int judged = 0;
    for (const auto& item : history) {
      if (!item.contains("decision") || item["decision"]["kind"] != "rollout.judge") continue;
      if (++judged > 3) break;
      const std::string id = std::to_string(item["decision"]["id"].get<int64_t>());
      CommandOutput e = p_.Mlpipe({"explain", id});
      EXPECT_EQ(e.exit_code, 0) << e.out << e.err;
      EXPECT_TRUE(Contains(e.out, "recomputed: the same")) << e.out;
    }
    EXPECT_GT(judged, 0);
  }
  // A canary waiting at its first step for traffic that does not come (none
  // is sent): the candidate has 50 % and nothing is judged yet.
  void CanaryAtFirstStep(std::unique_ptr<ServeProcess>* serve, std::unique_ptr<Server>* server, int64_t* id) {
    WritePipeline(80, "2m");
    *id = ChampionThenCandidate(serve, server, false);
    ASSERT_GT(*id, 0);
    ASSERT_TRUE(Eventually([&] {
      json r = Rollout(**server, *id);
      return r.value("state", "") == "running" && r.value("step_index", -1) == 0;
    })) << Rollout(**server, *id).dump(1);
  }
  int CountKind(const json& rollout, const std::string& kind) {
    int n = 0;
    for (const auto& d : rollout["decisions"]) n += d.value("kind", "") == kind;
    return n;
  }

  Project p_;
  std::string pin_version_;  // every other request names this version (not routed by the split)
  bool feedback_ = false;
  bool ab_keys_ = false;
  std::mutex arms_mu_;
  std::map<std::string, std::string> arm_of_key_;
  std::atomic<int> arm_switches_{0};
  std::thread load_;
  std::atomic<bool> stop_load_{false};
  std::atomic<int> ok_{0}, server_errors_{0}, client_errors_{0}, unanswered_{0};
  std::atomic<int> not_champion_{0};  // answers by another variant than "champion"
};

TEST_F(RolloutTest, GatesThenCanaryPromotion) {
  // The first model: gated on its threshold only, it becomes the champion,
  // and the deployment exists for `mlpipe serve` to follow.
  CommandOutput first = Run({});
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_TRUE(Contains(first.out, "becomes the champion")) << first.out;
  EXPECT_EQ(AliasVersion("champion"), "1");

  std::unique_ptr<ServeProcess> serve;
  std::unique_ptr<Server> control;
  ASSERT_NO_FATAL_FAILURE(StartServing(&serve, &control, true));
  Server& server = *control;

  // An equal model does not beat the champion: rejected, no rollout.
  CommandOutput same = p_.Mlpipe({"run", "scorer.yaml", "--json", "-p", "shift=-1.5", "-p", "mode=same"});
  ASSERT_EQ(same.exit_code, 0) << same.out << same.err;
  EXPECT_TRUE(Contains(same.out, "does not exceed 0.01")) << same.out;
  EXPECT_EQ(QueuedRollout(same.out), 0);
  EXPECT_EQ(AliasVersion("rejected"), "2");

  // A better model: gates pass, canary 50 % -> 100 %, promoted.
  CommandOutput better = p_.Mlpipe({"run", "scorer.yaml", "--json", "-p", "shift=-0.5"});
  ASSERT_EQ(better.exit_code, 0) << better.out << better.err;
  const int64_t good = QueuedRollout(better.out);
  ASSERT_GT(good, 0) << better.out;
  EXPECT_EQ(WaitRolloutEnds(server, good), "promoted")
      << Rollout(server, good).dump(1) << server.proc().Err();
  EXPECT_EQ(AliasVersion("champion"), "3");
  EXPECT_EQ(AliasVersion("previous"), "1");
  EXPECT_EQ(AliasVersion("candidate"), "");  // a promoted model is no longer a candidate
  json decisions = Rollout(server, good)["decisions"];
  std::vector<std::string> kinds;
  for (const auto& d : decisions) kinds.push_back(d["kind"].get<std::string>());
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "infra_gate"), kinds.end());
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "rollout.step"), 2);
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "promote"), kinds.end());

  StopLoad();
  EXPECT_EQ(unanswered_.load(), 0);
  EXPECT_EQ(client_errors_.load(), 0);
  EXPECT_EQ(server_errors_.load(), 0);
  EXPECT_GT(ok_.load(), 100);
  ExpectJudgementsRecompute(server);
}

TEST_F(RolloutTest, AutomaticRollbacksOnLatencyInfraGateAndErrorRate) {
  CommandOutput first = Run({});
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  std::unique_ptr<ServeProcess> serve;
  std::unique_ptr<Server> control;
  ASSERT_NO_FATAL_FAILURE(StartServing(&serve, &control, true));
  Server& server = *control;

  // Better offline, but slow online: rolled back on latency.
  EXPECT_TRUE(Contains(RollBackOf(server, "mode=slow"), "p99 latency"));
  EXPECT_EQ(AliasVersion("champion"), "1");
  EXPECT_EQ(AliasVersion("rejected"), "2");
  EXPECT_EQ(AliasVersion("candidate"), "");  // nor is a rejected one
  // One that fails a third of its requests is stopped by the infrastructure
  // gate's replay, before any user request reaches it.
  EXPECT_TRUE(Contains(RollBackOf(server, "mode=error"), "infra gate"));
  EXPECT_EQ(server_errors_.load(), 0);
  // One that starts failing only under live traffic: rolled back on error rate.
  EXPECT_TRUE(Contains(RollBackOf(server, "mode=late_error"), "error rate"));
  EXPECT_EQ(AliasVersion("champion"), "1");
  EXPECT_EQ(AliasVersion("rejected"), "4");

  StopLoad();
  EXPECT_EQ(unanswered_.load(), 0);
  EXPECT_EQ(client_errors_.load(), 0);
  EXPECT_GT(ok_.load(), 200);
  // Only the erring candidate's own failures reached users, while it had
  // its share: far fewer than the requests it was sent.
  EXPECT_LT(server_errors_.load(), ok_.load() / 10);
  ExpectJudgementsRecompute(server);

  // And Prometheus counts the decisions: the failed looks of the two live
  // rollbacks and the failed infrastructure gate.
  const std::string metrics = server.Text("/metrics");
  EXPECT_TRUE(Contains(metrics, "# TYPE mlpipe_decisions_total counter")) << metrics;
  EXPECT_TRUE(Contains(
      metrics, "mlpipe_decisions_total{deployment=\"scorer\",kind=\"rollout.judge\",verdict=\"fail\"} 2"))
      << metrics;
  EXPECT_TRUE(Contains(
      metrics, "mlpipe_decisions_total{deployment=\"scorer\",kind=\"infra_gate\",verdict=\"fail\"} 1"))
      << metrics;
}

TEST_F(RolloutTest, AServerKilledMidRolloutResumesFromTheRecordedStep) {
  WritePipeline(300, "2m");
  std::unique_ptr<ServeProcess> serve;
  std::unique_ptr<Server> server;
  const int64_t id = ChampionThenCandidate(&serve, &server, true);
  ASSERT_GT(id, 0);
  // Mid step 1: judged at least once, not yet passed.
  ASSERT_TRUE(Eventually([&] {
    json r = Rollout(*server, id);
    return r.value("state", "") == "running" && r.value("step_index", -1) == 0 &&
           CountKind(r, "rollout.judge") > 0;
  })) << Rollout(*server, id).dump(1);
  kill(server->proc().pid(), SIGKILL);
  WaitFor(server->proc().pid());
  server = std::make_unique<Server>(p_, std::vector<std::string>{"--pipelines", "scorer.yaml"});
  ASSERT_GT(server->proc().port(), 0) << server->proc().Err();
  EXPECT_EQ(WaitRolloutEnds(*server, id), "promoted") << Rollout(*server, id).dump(1);
  json r = Rollout(*server, id);
  // Resumed, not restarted: one infrastructure gate, one start of each step.
  EXPECT_EQ(CountKind(r, "infra_gate"), 1);
  EXPECT_EQ(CountKind(r, "rollout.step"), 2);
  EXPECT_EQ(AliasVersion("champion"), "2");
  StopLoad();
  // The data plane never stopped serving.
  EXPECT_EQ(unanswered_.load(), 0);
  EXPECT_EQ(server_errors_.load(), 0);
}

TEST_F(RolloutTest, NoTrafficPausesTheRolloutUntilTrafficComes) {
  WritePipeline(80, "2s");
  std::unique_ptr<ServeProcess> serve;
  std::unique_ptr<Server> server;
  const int64_t id = ChampionThenCandidate(&serve, &server, false);
  ASSERT_GT(id, 0);
  ASSERT_TRUE(Eventually([&] { return Rollout(*server, id).value("state", "") == "paused"; }))
      << Rollout(*server, id).dump(1);
  EXPECT_TRUE(Contains(Rollout(*server, id).value("detail", ""), "too little traffic"));
  EXPECT_EQ(AliasVersion("champion"), "1");  // neither promoted
  EXPECT_EQ(AliasVersion("rejected"), "");   // nor failed
  StartLoad(serve->port());
  EXPECT_EQ(WaitRolloutEnds(*server, id), "promoted") << Rollout(*server, id).dump(1);
}

// The deployment's variants and their weights now (GET /api/v1/deployments/NAME).
std::map<std::string, double> DeploymentWeights(Server& server) {
  std::map<std::string, double> out;
  const json deployment = server.Get("/api/v1/deployments/scorer").second;  // outlives the loop
  for (const auto& v : deployment["config"]["variants"]) out[v.value("name", "")] = v.value("weight", 0.0);
  return out;
}

TEST_F(RolloutTest, RollbackByTheApiTakesTheCandidatesTrafficAndEndsTheRollout) {
  std::unique_ptr<ServeProcess> serve;
  std::unique_ptr<Server> server;
  int64_t id = 0;
  ASSERT_NO_FATAL_FAILURE(CanaryAtFirstStep(&serve, &server, &id));
  EXPECT_EQ(DeploymentWeights(*server)["candidate"], 50);
  const std::string path = fmt::format("/api/v1/rollouts/{}/rollback", id);
  // The token rules of every POST; GET is not this route.
  EXPECT_EQ(server->client().Post(path, "", "application/json")->status, 401);
  EXPECT_EQ(server->Get(path).first, 405);
  EXPECT_EQ(server->Post("/api/v1/rollouts/999/rollback").first, 404);
  auto [status, body] = server->Post(path);
  ASSERT_EQ(status, 200) << body.dump(1);
  EXPECT_EQ(body.value("state", ""), "rolled_back");
  EXPECT_TRUE(Contains(body.value("detail", ""), "rollback requested by")) << body.dump(1);
  const auto weights = DeploymentWeights(*server);
  EXPECT_EQ(weights.count("candidate"), 0u) << server->Get("/api/v1/deployments/scorer").second.dump(1);
  EXPECT_GT(weights.at("champion"), 0);
  EXPECT_EQ(AliasVersion("rejected"), "2");
  EXPECT_EQ(AliasVersion("champion"), "1");
  json r = Rollout(*server, id);
  EXPECT_EQ(CountKind(r, "rollout.rollback_request"), 1) << r.dump(1);
  EXPECT_EQ(CountKind(r, "rollback"), 1) << r.dump(1);
  // An ended rollout is not rolled back twice, nor promoted.
  EXPECT_EQ(server->Post(path).first, 409);
  EXPECT_EQ(server->Post(fmt::format("/api/v1/rollouts/{}/promote", id)).first, 409);
}

TEST_F(RolloutTest, PromoteByTheApiMakesTheCandidateTheChampion) {
  std::unique_ptr<ServeProcess> serve;
  std::unique_ptr<Server> server;
  int64_t id = 0;
  ASSERT_NO_FATAL_FAILURE(CanaryAtFirstStep(&serve, &server, &id));
  EXPECT_EQ(DeploymentWeights(*server)["candidate"], 50);
  auto [status, body] = server->Post(fmt::format("/api/v1/rollouts/{}/promote", id));
  ASSERT_EQ(status, 200) << body.dump(1);
  EXPECT_EQ(body.value("state", ""), "promoting");
  EXPECT_EQ(AliasVersion("champion"), "2");
  EXPECT_EQ(AliasVersion("previous"), "1");
  EXPECT_EQ(WaitRolloutEnds(*server, id), "promoted") << Rollout(*server, id).dump(1);
  const auto weights = DeploymentWeights(*server);
  EXPECT_EQ(weights.count("candidate"), 0u) << server->Get("/api/v1/deployments/scorer").second.dump(1);
  EXPECT_EQ(weights.count("champion"), 1u);
  EXPECT_EQ(CountKind(Rollout(*server, id), "rollout.promote_request"), 1);
}

TEST_F(RolloutTest, TrafficNotSplitAsConfiguredHaltsTheRollout) {
  // A client pins the champion's version on half the requests: at the 50 %
  // step the candidate gets a quarter of them.
  WritePipeline(80, "2m");
  pin_version_ = "1";
  std::unique_ptr<ServeProcess> serve;
  std::unique_ptr<Server> server;
  const int64_t id = ChampionThenCandidate(&serve, &server, true);
  ASSERT_GT(id, 0);
  EXPECT_EQ(WaitRolloutEnds(*server, id), "halted") << Rollout(*server, id).dump(1);
  EXPECT_TRUE(Contains(Rollout(*server, id).value("detail", ""), "sample ratio mismatch"))
      << Rollout(*server, id).dump(1);
  EXPECT_EQ(AliasVersion("champion"), "1");
}

TEST_F(RolloutTest, ACandidateWorseOnFeedbackLabelsIsRolledBack) {
  WritePipeline(80, "2m", "", "\n      online_metric: {metric: accuracy, min_labels: 60, confidence: 0.95}");
  feedback_ = true;
  std::unique_ptr<ServeProcess> serve;
  std::unique_ptr<Server> server;
  const int64_t first = ChampionThenCandidate(&serve, &server, true);
  ASSERT_GT(first, 0);
  ASSERT_EQ(WaitRolloutEnds(*server, first), "promoted") << Rollout(*server, first).dump(1);
  // Right on the test set (so it passes the gates), wrong on live rows.
  CommandOutput run = p_.Mlpipe({"run", "scorer.yaml", "--json", "-p", "shift=0.5", "-p", "mode=flip"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  const int64_t id = QueuedRollout(run.out);
  ASSERT_GT(id, 0) << run.out;
  EXPECT_EQ(WaitRolloutEnds(*server, id), "rolled_back") << Rollout(*server, id).dump(1);
  EXPECT_TRUE(Contains(Rollout(*server, id).value("detail", ""), "live accuracy"))
      << Rollout(*server, id).dump(1);
  EXPECT_EQ(AliasVersion("champion"), "2");
}

// shadow_then_canary: after the infrastructure gate the candidate is the
// deployment's shadow (a copy of every request, no answer returned), judged
// like a step; a pass starts the canary steps.
void UseShadowThenCanary(Project& p) {
  std::string text = p.Read("scorer.yaml");
  text.replace(text.find("strategy: canary"), 16, "strategy: shadow_then_canary");
  p.Write("scorer.yaml", text);
}

// The rollout's decisions of `kind`, oldest first.
std::vector<json> DecisionsOf(const json& rollout, const std::string& kind) {
  std::vector<json> out;
  for (const auto& d : rollout["decisions"]) {
    if (d.value("kind", "") == kind) out.push_back(d);
  }
  std::sort(out.begin(), out.end(), [](const json& a, const json& b) { return a["id"] < b["id"]; });
  return out;
}

TEST_F(RolloutTest, ShadowThenCanaryJudgesTheShadowThenRunsTheStepsAndPromotes) {
  WritePipeline(80, "2m");
  UseShadowThenCanary(p_);
  std::unique_ptr<ServeProcess> serve;
  std::unique_ptr<Server> server;
  const int64_t id = ChampionThenCandidate(&serve, &server, true);
  ASSERT_GT(id, 0);
  EXPECT_EQ(WaitRolloutEnds(*server, id), "promoted") << Rollout(*server, id).dump(1);
  EXPECT_EQ(AliasVersion("champion"), "2");
  json r = Rollout(*server, id);
  EXPECT_EQ(r["phase"], "steps");
  // Shadow looks first, the last one a pass; then the two canary steps.
  const std::vector<json> shadow = DecisionsOf(r, "rollout.shadow");
  const std::vector<json> judged = DecisionsOf(r, "rollout.judge");
  const std::vector<json> started = DecisionsOf(r, "rollout.step");
  ASSERT_FALSE(shadow.empty()) << r.dump(1);
  ASSERT_FALSE(judged.empty()) << r.dump(1);
  EXPECT_EQ(shadow.back()["verdict"], "pass") << shadow.back().dump(1);
  EXPECT_TRUE(Contains(shadow.back()["reason"].get<std::string>(), "shadow phase: no harm"));
  EXPECT_LT(shadow.back()["id"].get<int64_t>(), judged.front()["id"].get<int64_t>());
  ASSERT_EQ(started.size(), 3u);  // the shadow phase, step 1, step 2
  EXPECT_EQ(started[0]["inputs"]["phase"], "shadow");
  // No sample-ratio check in a shadow look; the copies were counted.
  EXPECT_EQ(shadow.back()["statistics"]["checks"][0]["check"], "sample_ratio");
  EXPECT_EQ(shadow.back()["statistics"]["checks"][0]["result"], "not_judged");
  EXPECT_GE(shadow.back()["inputs"]["candidate"]["requests"].get<double>(), 80);
  // The shadow was a revision of its own, the candidate as `shadow:`.
  json history = server->Get("/api/v1/deployments/scorer/history?limit=1000").second["history"];
  bool shadow_revision = false;
  for (const auto& item : history) {
    if (!item.contains("revision") || !item["revision"].is_object()) continue;
    const json& config = item["revision"]["config"];
    if (config.contains("shadow") && config["shadow"].value("variant", "") == "candidate")
      shadow_revision = true;
  }
  EXPECT_TRUE(shadow_revision) << history.dump(1);
  // The shadow look recomputes the same.
  CommandOutput e = p_.Mlpipe({"explain", std::to_string(shadow.back()["id"].get<int64_t>())});
  EXPECT_EQ(e.exit_code, 0) << e.out << e.err;
  EXPECT_TRUE(Contains(e.out, "recomputed: the same")) << e.out;
  StopLoad();
  EXPECT_EQ(unanswered_.load(), 0);
  EXPECT_EQ(server_errors_.load(), 0);
}

TEST_F(RolloutTest, ASlowCandidateIsRolledBackInTheShadowPhaseWithoutAnsweringAnyUser) {
  WritePipeline(80, "2m");
  UseShadowThenCanary(p_);
  CommandOutput first = Run({});
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  std::unique_ptr<ServeProcess> serve;
  std::unique_ptr<Server> control;
  ASSERT_NO_FATAL_FAILURE(StartServing(&serve, &control, true));
  Server& server = *control;
  // Better offline, 250 ms a prediction online: it passes the replay (within
  // 1 s) and is stopped by the shadow's model latency.
  CommandOutput run = p_.Mlpipe({"run", "scorer.yaml", "--json", "-p", "shift=0.5", "-p", "mode=slow"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  const int64_t id = QueuedRollout(run.out);
  ASSERT_GT(id, 0) << run.out;
  EXPECT_EQ(WaitRolloutEnds(server, id), "rolled_back") << Rollout(server, id).dump(1);
  json r = Rollout(server, id);
  const std::string detail = r.value("detail", "");
  EXPECT_TRUE(Contains(detail, "shadow phase")) << detail;
  EXPECT_TRUE(Contains(detail, "model p99 latency")) << detail;
  EXPECT_EQ(r["phase"], "shadow") << r.dump(1);
  EXPECT_TRUE(DecisionsOf(r, "rollout.judge").empty()) << r.dump(1);  // no canary step was judged
  EXPECT_EQ(DecisionsOf(r, "rollout.shadow").back()["verdict"], "fail");
  EXPECT_EQ(AliasVersion("rejected"), "2");
  EXPECT_EQ(AliasVersion("champion"), "1");
  // The candidate's shadow is gone from the deployment.
  json deployment = server.Get("/api/v1/deployments/scorer").second;
  EXPECT_FALSE(deployment["config"].contains("shadow")) << deployment["config"].dump(1);
  StopLoad();
  // Every user request was answered, by the champion.
  EXPECT_EQ(not_champion_.load(), 0);
  EXPECT_EQ(server_errors_.load(), 0);
  EXPECT_EQ(unanswered_.load(), 0);
  EXPECT_GT(ok_.load(), 80);
}

TEST_F(RolloutTest, AServerKilledInTheShadowPhaseResumesIt) {
  WritePipeline(80, "2m");
  UseShadowThenCanary(p_);
  std::unique_ptr<ServeProcess> serve;
  std::unique_ptr<Server> server;
  // No traffic yet: the shadow phase waits, looked at but never passed.
  const int64_t id = ChampionThenCandidate(&serve, &server, false);
  ASSERT_GT(id, 0);
  ASSERT_TRUE(Eventually([&] {
    json r = Rollout(*server, id);
    return r.value("phase", "") == "shadow" && CountKind(r, "rollout.shadow") > 0;
  })) << Rollout(*server, id).dump(1);
  CommandOutput show = p_.Mlpipe({"deployments", "show", "scorer"});
  EXPECT_TRUE(Contains(show.out, "shadow phase")) << show.out;
  EXPECT_TRUE(Contains(show.out, "shadow   candidate -> scorer:v2")) << show.out;
  kill(server->proc().pid(), SIGKILL);
  WaitFor(server->proc().pid());
  server = std::make_unique<Server>(p_, std::vector<std::string>{"--pipelines", "scorer.yaml"});
  ASSERT_GT(server->proc().port(), 0) << server->proc().Err();
  StartLoad(serve->port());
  EXPECT_EQ(WaitRolloutEnds(*server, id), "promoted") << Rollout(*server, id).dump(1);
  json r = Rollout(*server, id);
  // Resumed, not restarted: one infrastructure gate, one start of the shadow
  // phase and of each step.
  EXPECT_EQ(CountKind(r, "infra_gate"), 1);
  EXPECT_EQ(CountKind(r, "rollout.step"), 3);
  EXPECT_EQ(DecisionsOf(r, "rollout.shadow").back()["verdict"], "pass");
  StopLoad();
  EXPECT_EQ(unanswered_.load(), 0);
  EXPECT_EQ(server_errors_.load(), 0);
}

// A challenger of `scorer`: scorer's pipeline with the shift read from
// data/b_shift.txt, and the rollout of a challenger: an online A/B at 50 %
// (strategy ab, its default) judged on feedback labels too.
std::string ChallengerYaml() {
  std::string text = kPipeline;
  auto replace = [&](const std::string& from, const std::string& to) {
    text.replace(text.find(from), from.size(), to);
  };
  replace("pipeline: scorer\n", "pipeline: scorer_b\nchallenger_of: scorer\n");
  replace("${params.shift} ${params.mode} ${outputs.model}\n",
          "${inputs.shift} ok ${outputs.model}\n    inputs: {shift: data/b_shift.txt}\n");
  text.resize(text.find("  rollout:"));
  return text + R"(  rollout:
    split: 50
    min_requests: 80
    max_step_time: 2m
    analysis_interval: 300ms
    analysis:
      latency_p99: {max_ratio: 3}
      online_metric: {metric: accuracy, min_labels: 40}
)";
}

class ChallengerTest : public RolloutTest {
 protected:
  ChallengerTest() {
    p_.Write("scorer.yaml", std::string(kPipeline) + "triggers:\n  - webhook: retrain\n");
    p_.Write("challenger.yaml", ChallengerYaml());
  }
  // The champion (v1, shift -1.5), then serve and the server with both
  // pipelines, and the load (sticky keys, feedback labels) when `load`.
  void Start(bool load) {
    CommandOutput first = Run({});
    ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
    serve_ = std::make_unique<ServeProcess>(
        p_, std::vector<std::string>{"--deployment", "scorer", "--poll", "200ms"});
    ASSERT_GT(serve_->port(), 0) << serve_->Err();
    server_ = std::make_unique<Server>(
        p_, std::vector<std::string>{"--pipelines", "scorer.yaml", "--pipelines", "challenger.yaml"});
    ASSERT_GT(server_->proc().port(), 0) << server_->proc().Err();
    ab_keys_ = true;
    feedback_ = true;
    if (load) StartLoad(serve_->port());
  }
  // Fires scorer's webhook; returns the challenger's fire it queued once both
  // fires' runs have ended.
  json FireBoth() {
    auto [code, body] = server_->Post("/api/v1/triggers/scorer/retrain");
    EXPECT_EQ(code, 202) << body.dump();
    const int64_t fire = body["fire"].value("id", int64_t{0});
    const std::string reason = fmt::format("challenger_of scorer: fire {} (webhook retrain from", fire);
    json mine;
    EXPECT_TRUE(Eventually(
        [&] {
          int done = 0;
          for (const json& f : server_->Fires()) {
            const bool ended = f.value("state", "") == "finished";
            if (f.value("id", int64_t{0}) == fire) {
              champion_fire_ = f;
              done += ended;
            }
            if (f.value("pipeline", "") == "scorer_b" && Contains(f.value("reason", ""), reason)) {
              mine = f;
              done += ended;
            }
          }
          return done == 2;
        },
        120))
        << server_->Fires().dump(1);
    return mine;
  }
  // The rollouts of deployment scorer, newest first.
  json Rollouts() { return server_->Get("/api/v1/deployments/scorer").second["rollouts"]; }

  // Decision records of run `run` in deployment scorer's history.
  int DecisionsOfRun(int64_t run) {
    int n = 0;
    const json history = server_->Get("/api/v1/deployments/scorer/history?limit=1000").second["history"];
    for (const json& item : history) {
      if (item.contains("decision") && item["decision"].value("run", int64_t{0}) == run) ++n;
    }
    return n;
  }

  std::unique_ptr<ServeProcess> serve_;
  std::unique_ptr<Server> server_;
  json champion_fire_;  // the fire of scorer FireBoth made
};

TEST_F(ChallengerTest, EachFireRunsBothAndOnlyAnOfflineWinnerGoesIntoAnOnlineAbThenIsPromoted) {
  // A challenger worse than the champion: rejected offline, no A/B. (The
  // champion's own rerun trains the champion again: no gate, no alias moves.)
  p_.Write("data/b_shift.txt", "-1.55");
  ASSERT_NO_FATAL_FAILURE(Start(true));
  EXPECT_EQ(server_->Get("/api/v1/pipelines/scorer_b").second.value("challenger_of", ""), "scorer");
  json lost = FireBoth();
  ASSERT_TRUE(lost.is_object());
  EXPECT_EQ(lost.value("trigger", ""), "challenger_of");
  EXPECT_FALSE(lost.value("force", true));
  ASSERT_TRUE(lost["run"].is_number()) << lost.dump();
  CommandOutput shown = p_.Mlpipe({"runs", "show", std::to_string(lost["run"].get<int64_t>())});
  EXPECT_TRUE(Contains(shown.out, "challenger_of scorer: fire")) << shown.out;
  EXPECT_TRUE(Rollouts().empty()) << Rollouts().dump(1);
  const std::string rejected = AliasVersion("rejected");
  EXPECT_EQ(rejected, "2");
  // scorer's own rerun trained the champion again: no gate, nothing moved.
  ASSERT_TRUE(champion_fire_["run"].is_number()) << champion_fire_.dump();
  EXPECT_EQ(DecisionsOfRun(champion_fire_["run"].get<int64_t>()), 0);
  EXPECT_GT(DecisionsOfRun(lost["run"].get<int64_t>()), 0);
  EXPECT_EQ(AliasVersion("champion"), "1");

  // A better one: wins offline, then the A/B at 50 % on live traffic with
  // sticky users and feedback labels, then promoted.
  p_.Write("data/b_shift.txt", "-0.5");
  json won = FireBoth();
  ASSERT_TRUE(won.is_object());
  ASSERT_TRUE(Eventually([&] { return !Rollouts().empty(); })) << server_->proc().Err();
  json rollout = Rollouts()[0];
  EXPECT_EQ(rollout["policy"].value("strategy", ""), "ab");
  EXPECT_EQ(rollout["policy"]["steps"], json::array({50}));
  const int64_t id = rollout["id"].get<int64_t>();
  const std::string candidate = std::to_string(rollout["candidate_version"].get<int64_t>());
  EXPECT_NE(candidate, rejected);
  EXPECT_EQ(WaitRolloutEnds(*server_, id), "promoted")
      << Rollout(*server_, id).dump(1) << server_->proc().Err();
  EXPECT_EQ(AliasVersion("champion"), candidate);
  EXPECT_EQ(AliasVersion("previous"), "1");
  json r = Rollout(*server_, id);
  EXPECT_EQ(CountKind(r, "infra_gate"), 1);
  EXPECT_EQ(CountKind(r, "rollout.step"), 1);  // one share, held until judged
  EXPECT_EQ(CountKind(r, "promote"), 1);
  // Judged with both arms' labels: the online metric was looked at.
  int64_t passed = 0;
  for (const json& d : r["decisions"]) {
    if (d.value("kind", "") == "rollout.judge" && d.value("verdict", "") == "pass")
      passed = d["id"].get<int64_t>();
  }
  ASSERT_GT(passed, 0) << r.dump(1);
  CommandOutput e = p_.Mlpipe({"explain", std::to_string(passed)});
  EXPECT_EQ(e.exit_code, 0) << e.out << e.err;
  EXPECT_TRUE(Contains(e.out, "recomputed: the same")) << e.out;
  StopLoad();
  EXPECT_EQ(unanswered_.load(), 0);
  EXPECT_EQ(server_errors_.load(), 0);
  // Sticky: a user keeps one arm; only a user whose two requests straddle a
  // weight change (the A/B's start, its promotion) may see both.
  EXPECT_LE(arm_switches_.load(), 2) << "of " << arm_of_key_.size() << " users";
  std::set<std::string> arms;
  for (const auto& [key, arm] : arm_of_key_) arms.insert(arm);
  EXPECT_TRUE(arms.count("candidate")) << "no user saw the challenger";
}

TEST_F(ChallengerTest, AnAbWaitsForTheCanaryInFlightThenFacesTheChampionItLeaves) {
  p_.Write("data/b_shift.txt", "0.5");  // better than both
  ASSERT_NO_FATAL_FAILURE(Start(false));
  // scorer's own better candidate (v2): its canary waits for traffic.
  CommandOutput better = p_.Mlpipe({"run", "scorer.yaml", "--json", "-p", "shift=-0.5"});
  ASSERT_EQ(better.exit_code, 0) << better.out << better.err;
  const int64_t canary = QueuedRollout(better.out);
  ASSERT_GT(canary, 0) << better.out;
  ASSERT_TRUE(Eventually([&] { return Rollout(*server_, canary).value("state", "") == "running"; }))
      << Rollout(*server_, canary).dump(1);
  FireBoth();
  int64_t ab = 0;
  ASSERT_TRUE(Eventually([&] {
    for (const json& ro : Rollouts()) {
      if (ro["policy"].value("strategy", "") == "ab" && ro.value("state", "") == "waiting") ab = ro["id"];
    }
    return ab > 0;
  })) << Rollouts().dump(1);
  EXPECT_TRUE(
      Contains(Rollout(*server_, ab).value("detail", ""),
               fmt::format("rollout {} (canary of v2, running) of deployment scorer is in flight", canary)))
      << Rollout(*server_, ab).dump(1);
  EXPECT_EQ(Rollout(*server_, canary).value("state", ""), "running");  // not superseded
  // Traffic: the canary is promoted (v2), then the A/B starts against v2.
  StartLoad(serve_->port());
  EXPECT_EQ(WaitRolloutEnds(*server_, canary), "promoted") << Rollout(*server_, canary).dump(1);
  EXPECT_EQ(WaitRolloutEnds(*server_, ab), "promoted") << Rollout(*server_, ab).dump(1);
  json r = Rollout(*server_, ab);
  EXPECT_EQ(r.value("champion_version", int64_t{0}), 2);
  EXPECT_EQ(AliasVersion("previous"), "2");
  EXPECT_EQ(AliasVersion("champion"), std::to_string(r["candidate_version"].get<int64_t>()));
  EXPECT_EQ(CountKind(r, "rollout.wait"), 2);  // began waiting, ended
  StopLoad();
  EXPECT_EQ(unanswered_.load(), 0);
}

}  // namespace
}  // namespace mlpipe::e2e
