// End-to-end: `metadata:` naming a PostgreSQL database (metadata/pg_store.h).
// A database that cannot be used stops every command before anything runs,
// exit 2, saying where and never the password; two workspaces naming one
// database see each other's runs, and each other's deployments (a deploy:
// block gates into them); a server on it keeps its run queue there, so a
// restart after kill -9 reads it back. The database comes from
// MLPIPE_TEST_PG_URL (scripts/services/with_services.sh); each test writes
// into a schema of its own.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/e2e/command_package_util.h"
#include "tests/e2e/e2e_util.h"
#include "tests/e2e/serve_util.h"
#include "tests/e2e/server_util.h"

namespace mlpipe::e2e {
namespace {

constexpr const char* kPgPipeline = R"y(pipeline: shared-pg
steps:
  make:
    run: echo made > ${outputs.out}
    shell: true
    outputs: {out: dataset}
)y";

std::string PgE2EUrl() {
  const char* url = std::getenv("MLPIPE_TEST_PG_URL");
  return url != nullptr ? url : "";
}

TEST(PgMetadataE2ETest, AnUnreachableDatabaseStopsTheRunWithExit2AndNoPassword) {
  Project p("pg-unreachable");
  p.Write("pipeline.yaml", kPgPipeline);
  // Port 1 on the loopback: nothing listens.
  p.Write(".mlpipe/config.yaml", "metadata: postgresql://mlpipe:n0t-sh0wn-pw@127.0.0.1:1/mlpipe\n");
  CommandOutput r = p.Mlpipe({"run", "pipeline.yaml"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(Contains(r.err, "cannot connect to PostgreSQL at 127.0.0.1:1 database mlpipe as user mlpipe"))
      << r.err;
  EXPECT_FALSE(Contains(r.err + r.out, "n0t-sh0wn-pw")) << r.err;
  EXPECT_NE(Shell("test -e " + p.Path(".mlpipe/runs/1")), 0) << "nothing may run";
}

class PgMetadataWorkspacesE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (PgE2EUrl().empty()) {
      const char* why = std::getenv("MLPIPE_PG_UNAVAILABLE");
      GTEST_SKIP() << (why != nullptr
                           ? why
                           : "MLPIPE_TEST_PG_URL not set; run under scripts/services/with_services.sh");
    }
    schema_ = "e2e_" + std::to_string(getpid());
    ASSERT_EQ(Shell("psql -q '" + PgE2EUrl() + "' -c 'CREATE SCHEMA IF NOT EXISTS " + schema_ + "'"), 0);
    const std::string url = PgE2EUrl();
    url_ = url + (url.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + schema_;
  }
  void TearDown() override {
    if (!schema_.empty())
      (void)Shell("psql -q '" + PgE2EUrl() + "' -c 'DROP SCHEMA " + schema_ + " CASCADE' >/dev/null 2>&1");
  }
  // `sql`'s one value in this test's schema.
  std::string PgValue(const std::string& sql) {
    int rc = 0;
    std::string out = ShellOutput("psql -Atq '" + url_ + "' -c \"" + sql + "\"", &rc);
    EXPECT_EQ(rc, 0) << sql;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }
  std::string schema_, url_;
};

TEST_F(PgMetadataWorkspacesE2ETest, TwoWorkspacesOnOneDatabaseSeeTheSameRuns) {
  Project p("pg-shared");
  ExpectTwoWorkspacesShareOneMetadataStore(p, kPgPipeline, "shared-pg", url_);
  // Versions are numbered in the one database.
  CommandOutput versions = p.MlpipeIn("bob", {"artifacts", "list"});
  EXPECT_EQ(versions.exit_code, 0) << versions.err;
  EXPECT_TRUE(Contains(versions.out, "shared-pg.make.out")) << versions.out;
}

TEST_F(PgMetadataWorkspacesE2ETest, FourRunnersOfOnePipelineAtOnceAllSucceedWithOneVersionPerContent) {
  // Four workspaces run the same 100-step fan-out into one database at once:
  // the same names are versioned by all four in whatever order their steps
  // finish. Each step's records commit on their own (PgStore's
  // MaxBatchAgeNs), so no run's transaction can deadlock another's.
  Project p("pg-four");
  std::string yaml = "pipeline: four-at-once\nsteps:\n";
  for (int i = 0; i < 100; ++i) {
    yaml += "  s" + std::to_string(i) + ":\n    run: echo " + std::to_string(i) +
            " > ${outputs.o}\n    shell: true\n    outputs: {o: dataset}\n";
  }
  std::vector<int> pids;
  for (int w = 0; w < 4; ++w) {
    const std::string dir = "w" + std::to_string(w);
    p.Write(dir + "/pipeline.yaml", yaml);
    p.Write(dir + "/.mlpipe/config.yaml", "metadata: " + url_ + "\n");
  }
  for (int w = 0; w < 4; ++w) {
    const std::string dir = "w" + std::to_string(w);
    pids.push_back(p.StartMlpipeIn(dir, {"run", "pipeline.yaml", "-j", "4"}, p.Path(dir + "/run.out"),
                                   p.Path(dir + "/run.err")));
  }
  for (int w = 0; w < 4; ++w) {
    const std::string dir = "w" + std::to_string(w);
    EXPECT_EQ(WaitFor(pids[w]), 0) << p.Read(dir + "/run.out") << p.Read(dir + "/run.err");
  }
  CommandOutput runs = p.MlpipeIn("w0", {"runs", "list", "--json"});
  EXPECT_EQ(CountLines(runs.out, "\"succeeded\""), 4) << runs.out;
  // The same content under the same name is one version, whoever stored it.
  CommandOutput v = p.MlpipeIn("w3", {"artifacts", "list", "four-at-once.s42.o"});
  EXPECT_EQ(CountLines(v.out, "four-at-once.s42.o "), 1) << v.out;
  EXPECT_TRUE(Contains(v.out, " v1 ")) << v.out;
}

// A model package copied into the registry, gated by a deploy: block with no
// gates: the first version becomes the champion, a later one the candidate
// (strategy manual: `mlpipe deployments promote` moves it).
const std::string kPgGatedPipeline = fmt::format("pipeline: pg-gated\n{}{}", kChurnPackageSteps, R"y(deploy:
  model: churn
  gates: []
  rollout: {strategy: manual}
)y");

TEST_F(PgMetadataWorkspacesE2ETest, ADeployBlockGatesIntoDeploymentsEveryWorkspaceOnTheDatabaseSees) {
  Project p("pg-deploy");
  for (const std::string ws : {"alice", "bob"}) {
    p.Write(ws + "/pipeline.yaml", kPgGatedPipeline);
    p.Write(ws + "/.mlpipe/config.yaml", "metadata: " + url_ + "\n");
  }
  WriteShiftPackage(p, "alice/pkg", 0.0, 1);
  CommandOutput first = p.MlpipeIn("alice", {"run", "pipeline.yaml"});
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_TRUE(Contains(first.out, "gates passed")) << first.out;
  EXPECT_TRUE(Contains(first.out, "v1 is the first model: it becomes the champion")) << first.out;
  CommandOutput list = p.MlpipeIn("alice", {"deployments", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_TRUE(Contains(list.out, "churn")) << list.out;

  // bob never ran it, yet sees the deployment, what it serves, and why it exists.
  CommandOutput listed = p.MlpipeIn("bob", {"deployments", "list", "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  nlohmann::json deployments = nlohmann::json::parse(listed.out, nullptr, false);
  ASSERT_EQ(deployments.size(), 1u) << listed.out;
  EXPECT_EQ(deployments[0]["name"], "churn");
  EXPECT_EQ(deployments[0]["revision"], 1);
  CommandOutput shown = p.MlpipeIn("bob", {"deployments", "show", "churn", "--json"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  nlohmann::json show = nlohmann::json::parse(shown.out, nullptr, false);
  EXPECT_EQ(show["variants"][0]["version"], 1) << shown.out;

  // bob's model is gated against alice's champion, in the same database.
  WriteShiftPackage(p, "bob/pkg", 1.0, 1);
  CommandOutput second = p.MlpipeIn("bob", {"run", "pipeline.yaml"});
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  EXPECT_TRUE(Contains(second.out, "v2 is the candidate")) << second.out;
  CommandOutput model = p.MlpipeIn("alice", {"models", "show", "churn", "--json"});
  nlohmann::json aliases = nlohmann::json::parse(model.out, nullptr, false)["aliases"];
  EXPECT_EQ(aliases["champion"], 1) << model.out;
  EXPECT_EQ(aliases["candidate"], 2) << model.out;
  // One decision per gated run, both in the database.
  EXPECT_EQ(PgValue("SELECT count(*) FROM decisions WHERE deployment = 'churn'"), "2");
  // Nothing was kept in a workspace's own SQLite file.
  EXPECT_NE(Shell("test -e " + p.Path("alice/.mlpipe/metadata.db")), 0);
  EXPECT_NE(Shell("test -e " + p.Path("bob/.mlpipe/metadata.db")), 0);
}

TEST_F(PgMetadataWorkspacesE2ETest, AServerKeepsItsRunQueueInTheDatabaseAndReadsItBackAfterKill9) {
  Project p("pg-server");
  p.Write("data/in.csv", "a\n1\n");
  p.Write("tiny.yaml", R"y(pipeline: tiny
steps:
  copy:
    run: sh -c 'sleep 2; cat ${inputs.data} > ${outputs.copy}'
    inputs: {data: data/in.csv}
    outputs: {copy: dataset}
    cache: false
triggers:
  - webhook: retrain
)y");
  p.Write(".mlpipe/config.yaml", "metadata: " + url_ + "\n");
  const auto fires = [](Server& s) { return s.Fires(); };
  {
    Server s(p);
    ASSERT_GT(s.proc().port(), 0) << s.proc().Err();
    ASSERT_EQ(s.Post("/api/v1/triggers/tiny/retrain").first, 202);
    // Its run is running when the server dies; a second fire is queued.
    ASSERT_TRUE(Eventually([&] {
      nlohmann::json f = fires(s);
      return f.size() == 1 && f[0]["run"].is_number();
    })) << fires(s).dump(2);
    ASSERT_EQ(s.Post("/api/v1/triggers/tiny/retrain", R"({"force": true})").first, 202);
    kill(s.proc().pid(), SIGKILL);
  }
  // The fires are rows of the database, not of a workspace file.
  EXPECT_EQ(PgValue("SELECT count(*) FROM trigger_fires"), "2");
  EXPECT_NE(Shell("test -e " + p.Path(".mlpipe/metadata.db")), 0);
  Server s(p);
  ASSERT_GT(s.proc().port(), 0) << s.proc().Err();
  ASSERT_TRUE(Eventually([&] {
    nlohmann::json f = fires(s);
    if (f.size() != 2) return false;
    for (const auto& one : f) {
      if (one["state"] != "finished") return false;
    }
    return true;
  })) << fires(s).dump(2);
  nlohmann::json f = fires(s);
  EXPECT_EQ(f[1]["run"], 1) << f.dump(2);  // followed after the restart, not started again
  CommandOutput runs = p.Mlpipe({"runs", "list", "--json"});
  EXPECT_EQ(CountLines(runs.out, "\"succeeded\""), 2) << runs.out;
  // The events of both servers are in one sequence.
  EXPECT_EQ(PgValue("SELECT count(*) FROM server_events WHERE kind = 'server.started'"), "2");
}

}  // namespace
}  // namespace mlpipe::e2e
