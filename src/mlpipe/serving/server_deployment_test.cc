// A deployment that changes while the server runs: ApplyDeployment, the feed
// and its reload route, and the per-variant counters of the stats route.
// Real HTTP on loopback (httplib::Client), real model packages.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "mlpipe/serving/deployment_server_fixture.h"

namespace mlpipe::serving {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

// One row of the training table as an OIP infer body.
std::string OneRowBody(const data::Table& t, size_t row) {
  json body = {{"inputs",
                {{{"name", "x"}, {"datatype", "FP64"}, {"shape", {1}}, {"data", {t.Find("x")->number(row)}}},
                 {{"name", "color"},
                  {"datatype", "BYTES"},
                  {"shape", {1}},
                  {"data", {std::string(t.Find("color")->str(row))}}}}}};
  return body.dump();
}

using testing::Deployment;
using testing::Variant;

class ServerDeploymentTest : public testing::DeploymentServerTest {
 protected:
  httplib::Result Infer(httplib::Client& c, size_t row = 0) {
    return c.Post("/v2/models/churn/infer", OneRowBody(table_, row), "application/json");
  }
  // Variant header -> count over n requests.
  std::map<std::string, int> Split(httplib::Client& c, int n) {
    std::map<std::string, int> seen;
    for (int i = 0; i < n; ++i) {
      auto res = Infer(c, static_cast<size_t>(i));
      EXPECT_TRUE(res && res->status == 200) << (res ? res->body : "no response");
      if (res) ++seen[res->get_header_value("X-Mlpipe-Variant")];
    }
    return seen;
  }
};

TEST_F(ServerDeploymentTest, WeightChangesUnderLoadAnswerEveryRequestFromOneSnapshot) {
  Start(Deployment({Variant("champion", "churn@champion", 1), Variant("candidate", "churn@candidate", 0)}));
  // Revision R's weights: even R -> champion only, odd R -> candidate only.
  auto live_in = [](int revision) { return revision % 2 == 0 ? "champion" : "candidate"; };
  std::atomic<bool> stop{false};
  std::atomic<int> answered{0}, failed{0}, mismatched{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      auto c = Client();
      for (int i = 0; !stop.load(); ++i) {
        auto res = Infer(c, static_cast<size_t>((t * 97 + i) % 400));
        if (!res || res->status != 200) {
          ++failed;
          continue;
        }
        ++answered;
        // The variant that answered has weight in the revision the answer names.
        const int revision = std::stoi(res->get_header_value("X-Mlpipe-Deployment-Revision"));
        if (res->get_header_value("X-Mlpipe-Variant") != live_in(revision)) ++mismatched;
      }
    });
  }
  for (int revision = 1; revision <= 40; ++revision) {
    const bool candidate = revision % 2 == 1;
    ASSERT_TRUE(
        server_
            ->ApplyDeployment(Deployment({Variant("champion", "churn@champion", candidate ? 0 : 1),
                                          Variant("candidate", "churn@candidate", candidate ? 1 : 0)}),
                              std::to_string(revision))
            .ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // Let the clients see the last revision too.
  const int before = answered.load();
  while (answered.load() < before + 20) std::this_thread::yield();
  stop = true;
  for (auto& t : clients) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(mismatched.load(), 0);
  EXPECT_GT(answered.load(), 20);
  EXPECT_EQ(server_->deployment()->revision, "40");
  // Weight-only changes load nothing.
  for (const auto& st : server_->manager().Statuses()) EXPECT_EQ(st.loads, 1) << st.key;
}

// What a rollout's sample-ratio check counts: a sticky user once per
// revision, a request without a key once each.
TEST_F(ServerDeploymentTest, StatsCountEachStickyUserOnceARevisionAsAUnit) {
  DeploymentConfig d =
      Deployment({Variant("champion", "churn@champion", 50), Variant("candidate", "churn@candidate", 50)});
  d.sticky_header = "X-User";
  Start(d);
  auto c = Client();
  auto send = [&](const std::string& user) {
    httplib::Headers headers;
    if (!user.empty()) headers.emplace("X-User", user);
    auto res = c.Post("/v2/models/churn/infer", headers, OneRowBody(table_, 0), "application/json");
    ASSERT_TRUE(res && res->status == 200) << (res ? res->body : "no response");
  };
  auto totals = [&] {
    json stats = Stats(c);
    std::pair<int64_t, int64_t> requests_units{0, 0};
    for (const json& v : stats["variants"]) {
      requests_units.first += v["requests"].get<int64_t>();
      requests_units.second += v["units"].get<int64_t>();
    }
    return requests_units;
  };
  for (int round = 0; round < 3; ++round) {
    for (int u = 0; u < 10; ++u) send(fmt::format("user-{}", u));
  }
  for (int i = 0; i < 4; ++i) send("");
  EXPECT_EQ(totals(), (std::pair<int64_t, int64_t>{34, 14}));
  // A new revision (the same weights): each user is a new unit once more.
  ASSERT_TRUE(server_->ApplyDeployment(d, "2").ok());
  send("user-0");
  send("user-0");
  send("user-1");
  EXPECT_EQ(totals(), (std::pair<int64_t, int64_t>{37, 16}));
}

TEST_F(ServerDeploymentTest, AddsAVariantLoadedBeforeItGetsTrafficAndDropsItAfterwards) {
  Start(Deployment({Variant("champion", "churn@champion", 1)}));
  auto c = Client();
  EXPECT_EQ(Split(c, 5), (std::map<std::string, int>{{"champion", 5}}));

  ASSERT_TRUE(server_
                  ->ApplyDeployment(Deployment({Variant("champion", "churn@champion", 0),
                                                Variant("candidate", "churn@candidate", 1)}),
                                    "2")
                  .ok());
  ASSERT_TRUE(server_->manager().HasServable("candidate"));
  EXPECT_EQ(server_->manager().Get("candidate")->version(), "2");
  auto res = Infer(c);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->get_header_value("X-Mlpipe-Variant"), "candidate");
  EXPECT_EQ(res->get_header_value("X-Mlpipe-Model-Version"), "2");
  EXPECT_EQ(res->get_header_value("X-Mlpipe-Deployment-Revision"), "2");
  json stats = Stats(c);
  ASSERT_EQ(stats["variants"].size(), 2u);
  EXPECT_EQ(stats["variants"][1]["name"], "candidate");
  EXPECT_EQ(stats["variants"][1]["state"], "available");
  EXPECT_EQ(stats["revision"], "2");

  // Dropped: unloaded after the swap; the champion answers again.
  ASSERT_TRUE(server_->ApplyDeployment(Deployment({Variant("champion", "churn@champion", 1)}), "3").ok());
  EXPECT_FALSE(server_->manager().HasServable("candidate"));
  EXPECT_EQ(Split(c, 5), (std::map<std::string, int>{{"champion", 5}}));
  EXPECT_EQ(Stats(c)["variants"].size(), 1u);
  std::lock_guard<std::mutex> lock(log_mu_);
  EXPECT_EQ(published_, (std::vector<std::string>{"2", "3"}));
}

TEST_F(ServerDeploymentTest, ANewVariantThatFailsToLoadKeepsTheOldSnapshot) {
  Start(Deployment({Variant("champion", "churn@champion", 1)}));
  Status s = server_->ApplyDeployment(
      Deployment({Variant("champion", "churn@champion", 50), Variant("bad", "churn@broken", 50)}), "2");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("bad"), std::string::npos) << s.ToString();
  EXPECT_EQ(server_->deployment()->revision, "0");
  EXPECT_EQ(server_->deployment()->config.variants.size(), 1u);
  EXPECT_FALSE(server_->manager().HasServable("bad"));
  auto c = Client();
  EXPECT_EQ(Split(c, 10), (std::map<std::string, int>{{"champion", 10}}));
  std::lock_guard<std::mutex> lock(log_mu_);
  EXPECT_TRUE(published_.empty());
  bool logged = false;
  for (const auto& line : log_) logged = logged || line.find("revision 2 rejected") != std::string::npos;
  EXPECT_TRUE(logged);
}

TEST_F(ServerDeploymentTest, RejectsARevisionOfAnotherModelOrWithoutWeight) {
  Start(Deployment({Variant("champion", "churn@champion", 1)}));
  DeploymentConfig other = Deployment({Variant("champion", "churn@champion", 1)});
  other.model = "fraud";
  EXPECT_EQ(server_->ApplyDeployment(other, "2").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(server_->ApplyDeployment(Deployment({Variant("champion", "churn@champion", 0)}), "2").code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(server_->ApplyDeployment(Deployment({}), "2").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(server_
                ->ApplyDeployment(Deployment({Variant("champion", "churn@champion", 1),
                                              Variant("champion", "churn@candidate", 1)}),
                                  "2")
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(server_->deployment()->revision, "0");
}

TEST_F(ServerDeploymentTest, ReloadRouteAppliesTheFeedsNewRevisionAtOnce) {
  FakeDeploymentFeed feed;
  Start(Deployment({Variant("champion", "churn@champion", 1)}), &feed);  // the timed poll never comes
  auto c = Client();
  auto same = c.Post("/v2/deployments/churn/reload", "", "application/json");
  ASSERT_TRUE(same);
  EXPECT_EQ(same->status, 200) << same->body;
  EXPECT_EQ(json::parse(same->body)["changed"], false);

  feed.Push(
      2, Deployment({Variant("champion", "churn@champion", 0), Variant("candidate", "churn@candidate", 1)}));
  auto moved = c.Post("/v2/deployments/churn/reload", "", "application/json");
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->status, 200) << moved->body;
  json j = json::parse(moved->body);
  EXPECT_EQ(j["revision"], "2");
  EXPECT_EQ(j["changed"], true);
  EXPECT_EQ(moved->get_header_value("X-Mlpipe-Deployment-Revision"), "2");
  EXPECT_EQ(Split(c, 10), (std::map<std::string, int>{{"candidate", 10}}));

  // A revision whose new variant is broken: 409, the live revision keeps serving.
  feed.Push(3, Deployment({Variant("champion", "churn@champion", 1), Variant("bad", "churn@broken", 1)}));
  auto failed = c.Post("/v2/deployments/churn/reload", "", "application/json");
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->status, 409) << failed->body;
  json f = json::parse(failed->body);
  EXPECT_EQ(f["revision"], "2");
  EXPECT_EQ(f["failed_revision"], 3);
  EXPECT_NE(f["error"].get<std::string>().find("bad"), std::string::npos) << f.dump();
  json stats = Stats(c);
  EXPECT_EQ(stats["revision"], "2");
  EXPECT_EQ(stats["follow"]["failed_revision"], 3);
  EXPECT_EQ(Split(c, 5), (std::map<std::string, int>{{"candidate", 5}}));

  // Unknown deployment: 404.
  auto unknown = c.Post("/v2/deployments/nope/reload", "", "application/json");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
}

TEST_F(ServerDeploymentTest, ReloadWithoutAFeedIsAnError) {
  Start(Deployment({Variant("champion", "churn@champion", 1)}));
  auto c = Client();
  auto res = c.Post("/v2/deployments/churn/reload", "", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503) << res->body;
  EXPECT_NE(res->body.find("not followed"), std::string::npos) << res->body;
}

TEST_F(ServerDeploymentTest, TheTimedPollFollowsTheFeed) {
  FakeDeploymentFeed feed;
  Start(Deployment({Variant("champion", "churn@champion", 1)}), &feed, 20'000'000);
  feed.Push(
      2, Deployment({Variant("champion", "churn@champion", 1), Variant("candidate", "churn@candidate", 1)}));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (server_->deployment()->revision != "2" && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(server_->deployment()->revision, "2");
  EXPECT_TRUE(server_->manager().HasServable("candidate"));
  // The feed is this test's: the server polling it every 20 ms stops before it goes.
  server_->Shutdown(5'000'000'000);
  server_.reset();
}

TEST_F(ServerDeploymentTest, StatsCountRequestsErrorsLatencyClassesAndFeedbackPerVariant) {
  Start(Deployment({Variant("champion", "churn@champion", 1), Variant("candidate", "churn@candidate", 0)}));
  auto c = Client();
  json before = Stats(c);
  EXPECT_EQ(before["pid"], static_cast<int64_t>(getpid()));
  EXPECT_GT(before["started_ns"].get<int64_t>(), 0);
  EXPECT_EQ(before["revision"], "0");
  EXPECT_EQ(before["variants"][0]["requests"], 0);

  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) {
    auto res = Infer(c, static_cast<size_t>(i));
    ASSERT_TRUE(res && res->status == 200);
    ids.push_back(res->get_header_value("X-Request-Id"));
  }
  // Two bad bodies on the champion's route: client errors.
  for (int i = 0; i < 2; ++i) {
    auto bad = c.Post("/v2/models/churn/infer", R"({"inputs": 5})", "application/json");
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 400);
  }
  // Feedback on two requests: their true labels.
  for (int i = 0; i < 2; ++i) {
    json fb = {{"id", ids[static_cast<size_t>(i)]},
               {"label", std::string(table_.Find("label")->str(static_cast<size_t>(i)))}};
    auto res = c.Post("/v2/feedback", fb.dump(), "application/json");
    ASSERT_TRUE(res && res->status == 200) << (res ? res->body : "");
  }
  json after = Stats(c);
  const json& champion = after["variants"][0];
  EXPECT_EQ(champion["requests"], 8);
  EXPECT_EQ(champion["errors"], 0);
  EXPECT_EQ(champion["client_errors"], 2);
  EXPECT_EQ(champion["feedback"], 2);
  EXPECT_LE(champion["correct"].get<int>(), 2);
  const json& latency = champion["latency"];
  ASSERT_EQ(latency["counts"].size(), latency["le"].size() + 1);
  EXPECT_EQ(latency["count"], 8);
  EXPECT_EQ(latency["counts"].back(), 8);
  for (size_t i = 1; i < latency["counts"].size(); ++i) {
    EXPECT_GE(latency["counts"][i].get<int>(), latency["counts"][i - 1].get<int>());
  }
  EXPECT_GT(latency["sum"].get<double>(), 0);
  int predicted = 0;
  for (const auto& [label, n] : champion["classes"].items()) {
    EXPECT_TRUE(label == "yes" || label == "no") << label;
    predicted += n.get<int>();
  }
  EXPECT_EQ(predicted, 6);
  EXPECT_EQ(after["variants"][1]["requests"], 0);
  EXPECT_EQ(after["started_ns"], before["started_ns"]);
  // An unknown model is counted, but on no variant.
  auto unknown = c.Post("/v2/models/nope/infer", OneRowBody(table_, 0), "application/json");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(Stats(c)["unrouted"]["client_errors"], 1);
}

TEST(FileDeploymentFeedTest, ANewRevisionEachTimeTheFileChanges) {
  const std::string dir = testing::TestDir();
  const std::string path = dir + "/deploy.yaml";
  auto write = [&](const std::string& text) { std::ofstream(path, std::ios::trunc) << text; };
  write("model: churn\nvariants:\n  - {name: champion, alias: champion, weight: 1}\n");
  auto feed = FileDeploymentFeed::Create(path);
  ASSERT_TRUE(feed.ok()) << feed.status().ToString();
  EXPECT_EQ((*feed)->initial().variants.size(), 1u);
  auto none = (*feed)->Poll(1);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  write(
      "model: churn\nvariants:\n  - {name: champion, alias: champion, weight: 9}\n"
      "  - {name: candidate, alias: candidate, weight: 1}\n");
  auto two = (*feed)->Poll(1);
  ASSERT_TRUE(two.ok() && two->has_value());
  EXPECT_EQ((*two)->first, 2);
  EXPECT_EQ((*two)->second.variants.size(), 2u);
  EXPECT_FALSE((*feed)->Poll(2)->has_value());

  write("model: churn\nvariants: []\n");
  auto broken = (*feed)->Poll(2);
  EXPECT_EQ(broken.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(broken.status().message().find("deploy.yaml"), std::string::npos) << broken.status().ToString();

  write("model: churn\nvariants:\n  - {name: candidate, alias: candidate}\n");
  auto three = (*feed)->Poll(2);
  ASSERT_TRUE(three.ok() && three->has_value());
  EXPECT_EQ((*three)->first, 3);
  EXPECT_EQ((*three)->second.variants[0].name, "candidate");
  fs::remove_all(dir);
}

TEST(DeploymentFollowerTest, AFailedRevisionIsRetriedOnlyWhenForcedOrReplaced) {
  FakeDeploymentFeed feed;
  int applies = 0;
  Status next_result = InternalError("load failed");
  DeploymentFollower follower(
      &feed, 1, 3600'000'000'000,
      [&](DeploymentConfig, int64_t) {
        ++applies;
        return next_result;
      },
      [](const std::string&) {});
  feed.Push(2, Deployment({Variant("champion", "churn@champion", 1)}));
  FollowResult r = follower.PollNow(false);
  EXPECT_EQ(applies, 1);
  EXPECT_EQ(r.revision, 1);
  EXPECT_EQ(r.failed_revision, 2);
  EXPECT_FALSE(r.error.ok());
  r = follower.PollNow(false);  // the timed poll: not again
  EXPECT_EQ(applies, 1);
  EXPECT_EQ(r.failed_revision, 2);
  next_result = OkStatus();
  r = follower.PollNow(true);  // forced (the reload route)
  EXPECT_EQ(applies, 2);
  EXPECT_EQ(r.revision, 2);
  EXPECT_TRUE(r.changed);
  EXPECT_EQ(r.failed_revision, 0);
  EXPECT_TRUE(r.error.ok());

  // A feed error is reported; the revision stays.
  feed.Fail(UnavailableError("database is locked"));
  r = follower.PollNow(false);
  EXPECT_EQ(r.error.code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.revision, 2);
  EXPECT_TRUE(follower.PollNow(false).error.ok());
}

}  // namespace
}  // namespace mlpipe::serving
