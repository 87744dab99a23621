// A deployment's shadow: it predicts a copy of each request off the request
// path and answers none; its copies are counted in the stats route like a
// variant's requests (dropped copies apart, never as errors); feedback labels
// count for it too; a revision that adds, changes or removes it swaps live.
// Real HTTP on loopback (httplib::Client), real model packages.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "mlpipe/serving/deployment_server_fixture.h"

namespace mlpipe::serving {
namespace {

using json = nlohmann::json;

// One row as an OIP infer body.
std::string ShadowRowBody(double x, const std::string& color) {
  return json{{"inputs",
               {{{"name", "x"}, {"datatype", "FP64"}, {"shape", {1}}, {"data", {x}}},
                {{"name", "color"}, {"datatype", "BYTES"}, {"shape", {1}}, {"data", {color}}}}}}
      .dump();
}

// The champion alone, with `shadow` when given.
DeploymentConfig WithShadow(std::optional<VariantConfig> shadow) {
  DeploymentConfig d = testing::Deployment({testing::Variant("champion", "churn@champion", 1)});
  d.shadow = std::move(shadow);
  return d;
}

VariantConfig CandidateShadow(const std::string& ref) { return testing::Variant("candidate", ref, 0); }

class ServerShadowTest : public testing::DeploymentServerTest {
 protected:
  // Polls the stats until the shadow has handled `n` copies (predicted or
  // dropped); the shadow worker runs off the request path.
  json StatsOnceShadowSaw(httplib::Client& c, int n) {
    json s;
    for (int i = 0; i < 2000; ++i) {
      s = Stats(c);
      if (s.contains("shadow") && s["shadow"]["requests"].get<int>() + s["shadow"]["dropped"].get<int>() >= n)
        return s;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ADD_FAILURE() << "the shadow never handled " << n << " copies: " << s.dump();
    return s;
  }
};

TEST_F(ServerShadowTest, StatsCountAShadowsCopiesLikeAVariantAndFeedbackScoresBothOnTheSameRequests) {
  Start(WithShadow(CandidateShadow("churn@candidate")));
  auto c = Client();
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) {
    auto res =
        c.Post("/v2/models/churn/infer", ShadowRowBody(i - 5.0, i % 2 ? "red" : "blue"), "application/json");
    ASSERT_TRUE(res && res->status == 200);
    EXPECT_EQ(res->get_header_value("X-Mlpipe-Variant"), "champion");  // never the shadow
    ids.push_back(res->get_header_value("X-Request-Id"));
  }
  json stats = StatsOnceShadowSaw(c, 10);
  const json& shadow = stats["shadow"];
  EXPECT_EQ(shadow["name"], "candidate");
  EXPECT_EQ(shadow["shadow"], true);
  EXPECT_EQ(shadow["version"], "2");
  EXPECT_EQ(shadow["requests"], 10);
  EXPECT_EQ(shadow["errors"], 0);
  EXPECT_EQ(shadow["dropped"], 0);
  EXPECT_EQ(shadow["latency"]["count"], 10);
  EXPECT_EQ(shadow["model_latency"]["count"], 10);
  int classes = 0;
  for (const auto& [label, n] : shadow["classes"].items()) classes += n.get<int>();
  EXPECT_EQ(classes, 10);
  EXPECT_EQ(shadow["predictions"], 10);  // rows it predicted, as a variant's
  EXPECT_EQ(stats["variants"][0]["predictions"], 10);
  // Its model calls and rows in /metrics, under its own variant name.
  const std::string metrics = c.Get("/metrics")->body;
  EXPECT_NE(metrics.find("mlpipe_model_rows_total{variant=\"candidate\",version=\"2\"} 10\n"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("mlpipe_model_calls_total{variant=\"candidate\",version=\"2\"} "),
            std::string::npos);
  // The champion's prediction calls are timed too: what a shadow is compared on.
  EXPECT_EQ(stats["variants"][0]["model_latency"]["count"], 10);
  EXPECT_EQ(stats["variants"][0]["requests"], 10);

  // Labels for four requests count for the champion and for the shadow.
  for (size_t i = 0; i < 4; ++i) {
    json fb = {{"id", ids[i]}, {"label", "yes"}};
    auto res = c.Post("/v2/feedback", fb.dump(), "application/json");
    ASSERT_TRUE(res && res->status == 200) << (res ? res->body : "");
    EXPECT_EQ(json::parse(res->body)["variant"], "champion");
  }
  stats = Stats(c);
  EXPECT_EQ(stats["variants"][0]["feedback"], 4);
  EXPECT_EQ(stats["shadow"]["feedback"], 4);
  EXPECT_LE(stats["shadow"]["correct"].get<int>(), 4);
}

TEST_F(ServerShadowTest, AFailingShadowCountsErrorsAndNoUserSeesThem) {
  Start(WithShadow(CandidateShadow("churn@command")));
  auto c = Client();
  for (int i = 0; i < 9; ++i) {
    // Every third row makes the command shadow fail; the champion answers all.
    const double x = i % 3 == 0 ? -555 : i * 0.5;
    auto res = c.Post("/v2/models/churn/infer", ShadowRowBody(x, "red"), "application/json");
    ASSERT_TRUE(res && res->status == 200) << (res ? res->body : "");
    EXPECT_EQ(res->get_header_value("X-Mlpipe-Variant"), "champion");
  }
  json stats = StatsOnceShadowSaw(c, 9);
  EXPECT_EQ(stats["shadow"]["requests"], 9);
  EXPECT_EQ(stats["shadow"]["errors"], 3);
  EXPECT_EQ(stats["shadow"]["model_latency"]["count"], 9);
  EXPECT_EQ(stats["variants"][0]["errors"], 0);
}

TEST_F(ServerShadowTest, CopiesDroppedOnAFullQueueAreCountedAndAreNotErrors) {
  Start(WithShadow(CandidateShadow("churn@candidate")), nullptr, 3600'000'000'000, /*shadow_queue=*/0);
  auto c = Client();
  for (int i = 0; i < 6; ++i) {
    auto res = c.Post("/v2/models/churn/infer", ShadowRowBody(i, "blue"), "application/json");
    ASSERT_TRUE(res && res->status == 200);
  }
  json stats = StatsOnceShadowSaw(c, 6);
  EXPECT_EQ(stats["shadow"]["dropped"], 6);
  EXPECT_EQ(stats["shadow"]["requests"], 0);
  EXPECT_EQ(stats["shadow"]["errors"], 0);
}

TEST_F(ServerShadowTest, RevisionsAddingChangingAndRemovingTheShadowSwapLiveUnderLoad) {
  Start(WithShadow(std::nullopt));
  std::atomic<bool> stop{false};
  std::atomic<int> answered{0}, failed{0}, not_champion{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 3; ++t) {
    clients.emplace_back([&, t] {
      auto c = Client();
      for (int i = 0; !stop.load(); ++i) {
        auto res = c.Post("/v2/models/churn/infer", ShadowRowBody((t * 31 + i) % 7 - 3.0, "red"),
                          "application/json");
        if (!res || res->status != 200) {
          ++failed;
          continue;
        }
        ++answered;
        if (res->get_header_value("X-Mlpipe-Variant") != "champion") ++not_champion;
      }
    });
  }
  auto wait_answers = [&](int more) {
    const int target = answered.load() + more;
    while (answered.load() < target && failed.load() == 0) std::this_thread::yield();
  };
  wait_answers(20);
  // Added: loaded and warmed before the revision is published.
  ASSERT_TRUE(server_->ApplyDeployment(WithShadow(CandidateShadow("churn@candidate")), "2").ok());
  ASSERT_NE(server_->manager().Get("candidate"), nullptr);
  EXPECT_EQ(server_->manager().Get("candidate")->version(), "2");
  wait_answers(20);
  // Changed: the new source serves under the same name.
  ASSERT_TRUE(server_->ApplyDeployment(WithShadow(CandidateShadow("churn@next")), "3").ok());
  ASSERT_NE(server_->manager().Get("candidate"), nullptr);
  EXPECT_EQ(server_->manager().Get("candidate")->version(), "3");
  wait_answers(20);
  // Unchanged in a revision that changes something else: kept as it is
  // (a regression: the shadow's servable was dropped by any new revision).
  DeploymentConfig heavier = WithShadow(CandidateShadow("churn@next"));
  heavier.variants[0].weight = 2;
  const auto before = server_->manager().Get("candidate");
  ASSERT_TRUE(server_->ApplyDeployment(heavier, "3.1").ok());
  EXPECT_EQ(server_->manager().Get("candidate"), before);
  wait_answers(20);
  // Removed: unloaded after the swap.
  ASSERT_TRUE(server_->ApplyDeployment(WithShadow(std::nullopt), "4").ok());
  EXPECT_FALSE(server_->manager().HasServable("candidate"));
  wait_answers(20);
  stop = true;
  for (auto& t : clients) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(not_champion.load(), 0);
  auto c = Client();
  json stats = Stats(c);
  EXPECT_EQ(stats["revision"], "4");
  EXPECT_FALSE(stats.contains("shadow"));
}

TEST(FeedbackShadowTest, AShadowPredictionAfterTheLabelIsScoredOnArrival) {
  FeedbackStore store;
  store.RecordPrediction("r1", "champion", "1", {"yes"}, {});
  store.RecordShadowPrediction("r1", "candidate", "2", {"no"}, {});  // before the label
  store.RecordPrediction("r2", "champion", "1", {"yes"}, {});
  auto m = store.AddFeedback("r1", "no");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->variant, "champion");
  EXPECT_EQ(m->correct, 0u);
  ASSERT_TRUE(store.AddFeedback("r2", "yes").ok());
  store.RecordShadowPrediction("r2", "candidate", "2", {"yes"}, {});  // after it
  store.RecordShadowPrediction("gone", "candidate", "2", {"yes"},
                               {});  // an unknown id: predicted, not scored
  auto stats = store.Stats();
  EXPECT_EQ(stats["champion"].feedback, 2u);
  EXPECT_EQ(stats["champion"].correct, 1u);
  EXPECT_EQ(stats["candidate"].feedback, 2u);
  EXPECT_EQ(stats["candidate"].correct, 2u);
  EXPECT_EQ(stats["candidate"].predictions, 3u);
}

}  // namespace
}  // namespace mlpipe::serving
