// `mlpipe server` end to end: the real binary, real files and inotify, real
// child runs, git, SQLite and HTTP on loopback. Each trigger kind fires once
// for one change (and not for a touch), bursts coalesce, a kill -9 and a
// restart lose and repeat nothing, the token guards what it must, SIGTERM
// drains. Waits are bounded polls for a state, never a fixed duration.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/e2e/e2e_util.h"
#include "tests/e2e/serve_util.h"
#include "tests/e2e/server_util.h"

namespace mlpipe::e2e {
namespace {

using json = nlohmann::json;

// One step copying a source; `sleep` seconds first (to hold a run open).
std::string TinyPipeline(const std::string& triggers, double sleep = 0, const std::string& extra = "") {
  return "pipeline: tiny\n"
         "params:\n"
         "  pause: " +
         std::to_string(sleep) +
         "\n"
         "steps:\n"
         "  copy:\n"
         "    run: sh -c 'sleep ${params.pause}; cat data/in.csv > ${outputs.copy}; date +%s%N >> "
         "${outputs.copy}'\n"
         "    inputs: {data: data/in.csv}\n"
         "    outputs: {copy: dataset}\n"
         "    cache: false\n"
         "triggers:\n" +
         triggers + extra;
}

int CountState(const json& fires, const std::string& state) {
  int n = 0;
  for (const auto& f : fires) n += f.value("state", "") == state ? 1 : 0;
  return n;
}

bool AllEnded(const json& fires) {
  for (const auto& f : fires) {
    const std::string s = f.value("state", "");
    if (s == "queued" || s == "started") return false;
  }
  return true;
}

json Runs(const Project& p) {
  auto out = p.Mlpipe({"runs", "list", "--json"});
  return json::parse(out.out, nullptr, false);
}

class ServerE2eTest : public ::testing::TestWithParam<bool> {};

TEST_P(ServerE2eTest, AContentChangeFiresOnceATouchNothingAndANewFileInAFolderOnce) {
  const bool poll = GetParam();
  Project p(poll ? "server_change_poll" : "server_change_inotify");
  p.Write("data/in.csv", "a\n1\n");
  p.Write("data/new/.keep", "");
  p.Write("tiny.yaml", TinyPipeline("  - on_change: [data/in.csv, data/new/]\n"));
  std::vector<std::string> args = {"--poll-interval", "100ms"};
  if (poll) args.push_back("--poll");
  Server s(p, args);
  ASSERT_GT(s.proc().port(), 0) << s.proc().Err();
  EXPECT_EQ(s.Get("/api/v1/health").second.value("watcher", ""), poll ? "poll" : "inotify");
  p.Write("data/in.csv", "a\n2\n");
  ASSERT_TRUE(Eventually([&] { return CountState(s.Fires(), "finished") == 1; })) << s.Fires().dump();
  // A touch changes the mtime, not the content.
  ASSERT_EQ(Shell("touch " + p.Path("data/in.csv")), 0);
  // A change to a file nobody watches, as a marker that the watcher had its
  // chance to report the touch: its folder is not watched, so a second
  // watched change is used instead, after the touch.
  std::this_thread::sleep_for(std::chrono::milliseconds(poll ? 400 : 200));
  p.Write("data/new/2026-12.csv", "a\n3\n");
  ASSERT_TRUE(Eventually([&] { return CountState(s.Fires(), "finished") == 2; })) << s.Fires().dump();
  std::this_thread::sleep_for(std::chrono::milliseconds(poll ? 400 : 200));
  json fires = s.Fires();
  ASSERT_EQ(fires.size(), 2u) << fires.dump(2);
  EXPECT_EQ(fires[1]["trigger"], "on_change#1");
  EXPECT_TRUE(fires[1]["reason"].get<std::string>().rfind("on_change data/in.csv sha256:", 0) == 0)
      << fires[1]["reason"];
  EXPECT_TRUE(fires[0]["reason"].get<std::string>().rfind("on_change data/new/ (absent)", 0) == 0 ||
              fires[0]["reason"].get<std::string>().rfind("on_change data/new/ sha256:", 0) == 0)
      << fires[0]["reason"];
  // The runs say what started them.
  json runs = Runs(p);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0]["trigger"], fires[0]["reason"]);
  EXPECT_EQ(runs[1]["trigger"], fires[1]["reason"]);
  EXPECT_EQ(runs[0]["status"], "succeeded");
  EXPECT_TRUE(Contains(p.Mlpipe({"runs", "list"}).out, "TRIGGER"));
  // The record's routes answer through the server too, with the same triggers.
  auto [status, listed] = s.Get("/api/v1/runs?limit=1");
  ASSERT_EQ(status, 200) << listed.dump();
  ASSERT_EQ(listed["runs"].size(), 1u);
  EXPECT_EQ(listed["runs"][0]["trigger"], fires[0]["reason"]);
  EXPECT_FALSE(listed["next_cursor"].is_null());
}

INSTANTIATE_TEST_SUITE_P(Watchers, ServerE2eTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Poll" : "Inotify"; });

TEST(ServerE2e, ABurstOfWebhooksCoalescesIntoOneQueuedRun) {
  Project p("server_burst");
  p.Write("data/in.csv", "a\n1\n");
  p.Write("tiny.yaml", TinyPipeline("  - webhook: retrain\n", 1.5));
  Server s(p);
  ASSERT_GT(s.proc().port(), 0) << s.proc().Err();
  ASSERT_EQ(s.Post("/api/v1/triggers/tiny/retrain").first, 202);
  ASSERT_TRUE(Eventually([&] { return CountState(s.Fires(), "started") == 1; }));
  for (int i = 0; i < 4; ++i) ASSERT_EQ(s.Post("/api/v1/triggers/tiny/retrain").first, 202);
  ASSERT_TRUE(Eventually([&] { return AllEnded(s.Fires()) && CountState(s.Fires(), "finished") == 2; }))
      << s.Fires().dump(2);
  json fires = s.Fires();
  EXPECT_EQ(fires.size(), 5u);  // every fire is recorded
  EXPECT_EQ(CountState(fires, "coalesced"), 3);
  EXPECT_EQ(Runs(p).size(), 2u);
}

TEST(ServerE2e, AKilledServerLosesNoFireAndRepeatsNoneAfterARestart) {
  Project p("server_kill");
  p.Write("data/in.csv", "a\n1\n");
  p.Write("tiny.yaml", TinyPipeline("  - webhook: retrain\n  - on_change: [data/in.csv]\n", 2));
  {
    Server s(p);
    ASSERT_GT(s.proc().port(), 0) << s.proc().Err();
    ASSERT_EQ(s.Post("/api/v1/triggers/tiny/retrain").first, 202);
    // Its run is running: the server dies under it; a second fire is queued.
    ASSERT_TRUE(Eventually([&] {
      json f = s.Fires();
      return f.size() == 1 && f[0]["run"].is_number();
    }));
    ASSERT_EQ(s.Post("/api/v1/triggers/tiny/retrain", R"({"force": true})").first, 202);
    kill(s.proc().pid(), SIGKILL);
  }
  // A change while no server runs.
  p.Write("data/in.csv", "a\n2\n");
  Server s(p);
  ASSERT_GT(s.proc().port(), 0) << s.proc().Err();
  ASSERT_TRUE(Eventually([&] { return AllEnded(s.Fires()) && s.Fires().size() == 3; })) << s.Fires().dump(2);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  json fires = s.Fires();
  ASSERT_EQ(fires.size(), 3u) << fires.dump(2);  // webhook, forced webhook, the change: no more
  // The first run finished on its own (its process outlived the server) and
  // was followed, not started again.
  EXPECT_EQ(fires[2]["state"], "finished");
  EXPECT_EQ(fires[2]["run"], 1);
  EXPECT_EQ(fires[1]["state"], "finished");  // the queued one ran after the restart
  // The change, seen at start-up, joins the queued run (which reads the new data).
  EXPECT_EQ(fires[0]["state"], "coalesced");
  EXPECT_TRUE(fires[0]["reason"].get<std::string>().rfind("on_change data/in.csv", 0) == 0) << fires[0];
  json runs = Runs(p);
  ASSERT_EQ(runs.size(), 2u) << runs.dump(2);
  for (const auto& r : runs) EXPECT_EQ(r["status"], "succeeded") << r.dump();
  // A second restart changes nothing.
  kill(s.proc().pid(), SIGKILL);
  Server again(p);
  ASSERT_GT(again.proc().port(), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(again.Fires().size(), 3u);
}

TEST(ServerE2e, AMissedScheduleFiresOnceAfterARestart) {
  Project p("server_schedule");
  p.Write("data/in.csv", "a\n1\n");
  p.Write("tiny.yaml", TinyPipeline("  - schedule: \"*/5 * * * *\"\n"));
  {
    Server s(p);
    ASSERT_GT(s.proc().port(), 0) << s.proc().Err();
    ASSERT_EQ(s.proc().Stop(), 0);
  }
  // The server was down for an hour: its last slot is an hour old.
  ASSERT_EQ(Shell("sqlite3 " + p.Path(".mlpipe/metadata.db") +
                  " \"UPDATE trigger_state SET value = CAST(value AS INTEGER) - 3600000000000 "
                  "WHERE key = 'last_slot'\""),
            0);
  {
    Server s(p);
    ASSERT_GT(s.proc().port(), 0) << s.proc().Err();
    ASSERT_TRUE(Eventually([&] { return AllEnded(s.Fires()) && s.Fires().size() == 1; })) << s.Fires().dump();
    const std::string reason = s.Fires()[0]["reason"];
    EXPECT_TRUE(reason.rfind("schedule */5 * * * * (", 0) == 0) << reason;
    EXPECT_TRUE(Contains(reason, " missed")) << reason;
    ASSERT_EQ(s.proc().Stop(), 0);
  }
  Server s(p);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(s.Fires().size(), 1u);
  // Its next fire: the slot after the one that fired, within 5 minutes of that
  // fire; the same in each route that shows the trigger.
  const int64_t fired = s.Fires()[0].value("fired_ns", int64_t{0});
  const json trigger = s.Get("/api/v1/triggers/tiny").second["triggers"][0];
  const int64_t next = trigger.value("next_fire_ns", int64_t{0});
  EXPECT_GT(next, fired) << trigger.dump();
  EXPECT_LE(next, fired + 300'000'000'000) << trigger.dump();
  EXPECT_EQ(s.Get("/api/v1/pipelines/tiny").second["triggers"][0]["next_fire_ns"], next);
  EXPECT_EQ(s.Get("/api/v1/pipelines").second["pipelines"][0]["triggers"][0]["next_fire_ns"], next);
}

TEST(ServerE2e, ACommitFiresWhenItTouchesThePipelinesCode) {
  if (Shell("git --version >/dev/null 2>&1") != 0) GTEST_SKIP() << "git is not installed";
  Project p("server_commit");
  p.Write("data/in.csv", "a\n1\n");
  p.Write("scripts/prep.sh", "cat \"$1\" > \"$2\"\n");
  p.Write("README.md", "hello\n");
  p.Write("tiny.yaml",
          "pipeline: tiny\nsteps:\n  prep:\n    run: sh scripts/prep.sh ${inputs.data} ${outputs.out}\n"
          "    inputs: {data: data/in.csv}\n    outputs: {out: dataset}\n"
          "triggers:\n  - on_commit: {repo: ., branch: main}\n");
  const std::string git = "cd " + p.dir() + " && git -c user.name=Ann -c user.email=a@x ";
  ASSERT_EQ(Shell(git + "init -q -b main && " + git + "add -A && " + git + "commit -qm one"), 0);
  Server s(p, {"--poll-interval", "100ms"});
  ASSERT_GT(s.proc().port(), 0) << s.proc().Err();
  ASSERT_EQ(Shell("echo more >> " + p.Path("README.md") + " && " + git + "commit -qam docs"), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(s.Fires().size(), 0u);
  ASSERT_EQ(Shell("echo '# v2' >> " + p.Path("scripts/prep.sh") + " && " + git + "commit -qam code"), 0);
  ASSERT_TRUE(Eventually([&] { return s.Fires().size() == 1 && AllEnded(s.Fires()); })) << s.Fires().dump();
  const std::string reason = s.Fires()[0]["reason"];
  EXPECT_TRUE(Contains(reason, "by Ann touches scripts/prep.sh")) << reason;
}

TEST(ServerE2e, TheTokenGuardsMutatingRoutesAndEveryRouteOffLoopback) {
  Project p("server_token");
  p.Write("data/in.csv", "a\n1\n");
  p.Write("tiny.yaml", TinyPipeline("  - webhook: retrain\n"));
  {
    Server s(p);
    ASSERT_GT(s.proc().port(), 0) << s.proc().Err();
    EXPECT_EQ(s.Get("/api/v1/pipelines").first, 200);
    auto res = s.client().Post("/api/v1/triggers/tiny/retrain", "", "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 401);
    EXPECT_EQ(json::parse(res->body)["error"]["code"], "unauthorized");
    httplib::Headers wrong = {{"Authorization", "Bearer nope"}};
    EXPECT_EQ(s.client().Post("/api/v1/triggers/tiny/retrain", wrong, "", "application/json")->status, 401);
    EXPECT_EQ(s.Fires().size(), 0u);
    struct stat st;
    ASSERT_EQ(stat(p.Path(".mlpipe/token").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    ASSERT_EQ(s.proc().Stop(), 0);
  }
  Server s(p, {"--host", "0.0.0.0"});
  ASSERT_GT(s.proc().port(), 0) << s.proc().Err();
  EXPECT_EQ(s.Get("/api/v1/pipelines").first, 401);
  httplib::Headers h = {{"Authorization", "Bearer " + s.Token()}};
  EXPECT_EQ(s.client().Get("/api/v1/pipelines", h)->status, 200);
}

TEST(ServerE2e, SigtermLetsARunningRunFinishAndStartsNothingNew) {
  Project p("server_drain");
  p.Write("data/in.csv", "a\n1\n");
  p.Write("tiny.yaml", TinyPipeline("  - webhook: retrain\n", 1.5));
  Server s(p);
  ASSERT_GT(s.proc().port(), 0) << s.proc().Err();
  ASSERT_EQ(s.Post("/api/v1/triggers/tiny/retrain").first, 202);
  ASSERT_TRUE(Eventually([&] { return CountState(s.Fires(), "started") == 1; }));
  ASSERT_EQ(s.Post("/api/v1/triggers/tiny/retrain", R"({"force": true})").first, 202);
  EXPECT_EQ(s.proc().Stop(), 0);
  json runs = Runs(p);
  ASSERT_EQ(runs.size(), 1u) << runs.dump(2);  // the queued fire did not start
  EXPECT_EQ(runs[0]["status"], "succeeded");
  // It is still queued, and runs at the next start.
  Server again(p);
  ASSERT_TRUE(Eventually([&] { return AllEnded(again.Fires()) && Runs(p).size() == 2; }));
}

TEST(ServerE2e, SigtermCancelsARunThatOutlastsTheGrace) {
  Project p("server_grace");
  p.Write("data/in.csv", "a\n1\n");
  p.Write("tiny.yaml", TinyPipeline("  - webhook: retrain\n", 60));
  Server s(p, {"--grace", "200ms"});
  ASSERT_GT(s.proc().port(), 0) << s.proc().Err();
  ASSERT_EQ(s.Post("/api/v1/triggers/tiny/retrain").first, 202);
  ASSERT_TRUE(Eventually([&] {
    json f = s.Fires();
    return f.size() == 1 && f[0]["run"].is_number();
  }));
  EXPECT_EQ(s.proc().Stop(), 0);
  json runs = Runs(p);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_NE(runs[0]["status"], "running");
  EXPECT_NE(runs[0]["status"], "succeeded");
}

TEST(ServerE2e, BadRequestsGetJsonErrorsAndStartNothing) {
  Project p("server_bad");
  p.Write("data/in.csv", "a\n1\n");
  p.Write("tiny.yaml", TinyPipeline("  - webhook: retrain\n"));
  Server s(p);
  ASSERT_GT(s.proc().port(), 0) << s.proc().Err();
  auto [status, body] = s.Post("/api/v1/triggers/nosuch/retrain");
  EXPECT_EQ(status, 404);
  EXPECT_TRUE(Contains(body["error"]["message"], "no pipeline 'nosuch'")) << body;
  std::tie(status, body) = s.Post("/api/v1/triggers/tiny/nosuch");
  EXPECT_EQ(status, 404);
  EXPECT_EQ(body["error"]["code"], "not_found");
  std::tie(status, body) = s.Post("/api/v1/triggers/tiny/retrain", "{not json");
  EXPECT_EQ(status, 400);
  EXPECT_EQ(s.Post("/api/v1/triggers/tiny/retrain/pause").first, 200);
  std::tie(status, body) = s.Post("/api/v1/triggers/tiny/retrain");
  EXPECT_EQ(status, 409);
  EXPECT_TRUE(Contains(body["error"]["message"], "paused")) << body;
  httplib::Headers h = {{"Authorization", "Bearer " + s.Token()}};
  auto big =
      s.client().Post("/api/v1/triggers/tiny/retrain", h, std::string(2 << 20, 'x'), "application/json");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  EXPECT_EQ(s.Fires().size(), 0u);
  std::tie(status, body) = s.Get("/api/v1/fires?state=running");
  EXPECT_EQ(status, 400);
  EXPECT_TRUE(Contains(body["error"]["message"], "parameter 'state' must be one of")) << body;
  EXPECT_EQ(s.Get("/api/v1/fires?state=queued").first, 200);
  EXPECT_EQ(s.Get("/api/v1/fires?limt=5").first, 400);  // a misspelt parameter is an error
  EXPECT_EQ(s.Get("/api/v1/health").first, 200);        // still serving
}

// A re-run with a run's params: the run gets them; an unknown or ill-typed
// param is a 400 naming it and records no fire.
TEST(ServerE2e, AManualRunTakesParamsCheckedAsRunDashPChecksThem) {
  Project p("server_params");
  p.Write("data/in.csv", "a\n1\n");
  p.Write("tiny.yaml", TinyPipeline("  - webhook: retrain\n"));
  Server s(p);
  ASSERT_GT(s.proc().port(), 0) << s.proc().Err();
  auto [status, body] = s.Post("/api/v1/pipelines/tiny/runs", R"({"params": {"pause": "long"}})");
  EXPECT_EQ(status, 400);
  EXPECT_EQ(body["error"]["message"], "\"params\": pause=long: param 'pause' is float, got 'long'") << body;
  std::tie(status, body) = s.Post("/api/v1/pipelines/tiny/runs", R"({"params": {"paus": 0.1}})");
  EXPECT_EQ(status, 400);
  EXPECT_TRUE(Contains(body["error"]["message"], "unknown param 'paus'; did you mean 'pause'?")) << body;
  EXPECT_EQ(s.Fires().size(), 0u);  // nothing recorded, nothing runs
  std::tie(status, body) = s.Post("/api/v1/pipelines/tiny/runs", R"({"params": {"pause": 0.1}})");
  ASSERT_EQ(status, 202) << body;
  EXPECT_EQ(body["fire"]["params"], json({{"pause", 0.1}}));
  ASSERT_TRUE(Eventually([&] { return CountState(s.Fires(), "finished") == 1; })) << s.Fires().dump();
  json runs = Runs(p);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0]["status"], "succeeded");
  EXPECT_DOUBLE_EQ(runs[0]["params"]["pause"].get<double>(), 0.1) << runs[0];
}

TEST(ServerE2e, AMalformedTriggerBlockStartsNothing) {
  Project p("server_badspec");
  p.Write("data/in.csv", "a\n1\n");
  p.Write("tiny.yaml", TinyPipeline("  - schedule: \"0 25 * * *\"\n"));
  auto out = p.Mlpipe({"server", "--port", "0"});
  EXPECT_EQ(out.exit_code, 2) << out.err;
  EXPECT_TRUE(Contains(out.err, "tiny.yaml:")) << out.err;
  EXPECT_TRUE(Contains(out.err, "hour")) << out.err;
  EXPECT_NE(Shell("test -e " + p.Path(".mlpipe")), 0);  // no workspace made
}

TEST(ServerE2e, TheEventsStreamReplaysAfterLastEventIdInOrder) {
  Project p("server_events");
  p.Write("data/in.csv", "a\n1\n");
  p.Write("tiny.yaml", TinyPipeline("  - webhook: retrain\n"));
  Server s(p);
  ASSERT_GT(s.proc().port(), 0) << s.proc().Err();
  ASSERT_EQ(s.Post("/api/v1/triggers/tiny/retrain").first, 202);
  ASSERT_TRUE(Eventually([&] { return AllEnded(s.Fires()) && CountState(s.Fires(), "finished") == 1; }));
  // Everything from the start, read until run.finished.
  std::vector<std::pair<int64_t, std::string>> events;
  std::string buffer;
  s.client().set_read_timeout(10);
  s.client().Get("/api/v1/events?after=0", [&](const char* data, size_t len) {
    buffer.append(data, len);
    size_t at;
    while ((at = buffer.find("\n\n")) != std::string::npos) {
      const std::string block = buffer.substr(0, at);
      buffer.erase(0, at + 2);
      if (block.rfind("id: ", 0) != 0) continue;
      const size_t nl = block.find('\n');
      const size_t kind_at = block.find("event: ");
      events.emplace_back(std::stoll(block.substr(4, nl - 4)),
                          block.substr(kind_at + 7, block.find('\n', kind_at) - kind_at - 7));
      if (events.back().second == "run.finished") return false;
    }
    return true;
  });
  ASSERT_FALSE(events.empty());
  std::vector<std::string> kinds;
  for (size_t i = 0; i < events.size(); ++i) {
    if (i > 0) {
      EXPECT_EQ(events[i].first, events[i - 1].first + 1);  // none dropped, none reordered
    }
    kinds.push_back(events[i].second);
  }
  auto pos = [&](const std::string& k) { return std::find(kinds.begin(), kinds.end(), k) - kinds.begin(); };
  EXPECT_LT(pos("trigger.fired"), pos("run.started"));
  EXPECT_LT(pos("run.started"), pos("step.started"));
  EXPECT_LT(pos("step.started"), pos("step.succeeded"));
  EXPECT_LT(pos("step.succeeded"), pos("run.finished"));
  EXPECT_LT(pos("run.finished"), static_cast<long>(kinds.size()));
}

}  // namespace
}  // namespace mlpipe::e2e
