// End-to-end: `metadata:` naming a PostgreSQL database (metadata/pg_store.h).
// A database that cannot be used stops every command before anything runs,
// exit 2, saying where and never the password; two workspaces naming one
// database see each other's runs. The database comes from
// MLPIPE_TEST_PG_URL (scripts/services/with_services.sh); each test writes
// into a schema of its own.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "tests/e2e/e2e_util.h"

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

}  // namespace
}  // namespace mlpipe::e2e
