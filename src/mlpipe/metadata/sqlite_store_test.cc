// SQLite-specific behaviour: migrations, the WAL/busy setup under concurrent
// writers, and insert speed.
#include "mlpipe/metadata/sqlite_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "mlpipe/base/testing/temp_dir.h"
#include "mlpipe/metadata/migrations.h"

namespace mlpipe::metadata {
namespace {

class SqliteStoreTest : public ::testing::Test {
 protected:
  mlpipe::testing::TempDir tmp_{"metadata"};
  const std::string dir_ = tmp_.path();
  const std::string path_ = tmp_.Sub("metadata.db");
};

TEST_F(SqliteStoreTest, FreshDatabaseIsAtLatestSchemaInWalMode) {
  auto store = SqliteStore::Open(path_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(*(*store)->schema_version(), LatestSchemaVersion());
  auto db = SqliteDb::Open(path_, 1000);
  auto st = (*db)->Prepare("PRAGMA journal_mode");
  ASSERT_TRUE((*st)->Step().ok());
  EXPECT_EQ((*st)->Text(0), "wal");
}

TEST_F(SqliteStoreTest, OpeningAnOlderDatabaseMigratesItAndKeepsItsData) {
  int64_t run_id = 0;
  {
    auto old = SqliteStore::Open(path_, {.schema_version = 1});
    ASSERT_TRUE(old.ok());
    EXPECT_EQ(*(*old)->schema_version(), 1);
    // A row as version 1's code wrote it (today's CreateRun names later columns).
    auto raw = SqliteDb::Open(path_, 1000);
    ASSERT_TRUE(raw.ok());
    ASSERT_TRUE((*raw)->Exec("INSERT INTO runs(pipeline, status) VALUES ('legacy', 'succeeded')").ok());
    run_id = (*raw)->LastInsertId();
    // v1 has no metrics table yet.
    EXPECT_FALSE((*old)->RecordMetrics({{run_id, std::nullopt, "m", 1, std::nullopt, 0}}).ok());
  }
  auto store = SqliteStore::Open(path_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(*(*store)->schema_version(), LatestSchemaVersion());
  EXPECT_EQ((*store)->GetRun(run_id)->pipeline, "legacy");
  EXPECT_TRUE((*store)->RecordMetrics({{run_id, std::nullopt, "m", 1, std::nullopt, 0}}).ok());
  // Each migration is recorded once.
  auto db = SqliteDb::Open(path_, 1000);
  auto st = (*db)->Prepare("SELECT COUNT(*) FROM schema_version");
  ASSERT_TRUE(*(*st)->Step());
  EXPECT_EQ((*st)->Int(0), static_cast<int64_t>(SqliteMigrations().size()));
}

TEST_F(SqliteStoreTest, AVersionTwoDatabaseGainsTheRegistryAndKeepsItsArtifacts) {
  const std::string ref = "sha256:" + std::string(64, 'a');
  {
    auto old = SqliteStore::Open(path_, {.schema_version = 2});
    ASSERT_TRUE(old.ok());
    ASSERT_TRUE((*old)->PutArtifact({ref, "model", 1, true, 1}).ok());
    EXPECT_FALSE((*old)->RegistryGeneration().ok());  // no registry tables yet
  }
  auto store = SqliteStore::Open(path_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(*(*store)->schema_version(), LatestSchemaVersion());
  EXPECT_EQ(*(*store)->RegistryGeneration(), 0);
  ModelVersion v;
  v.name = "m";
  v.ref = ref;
  auto registered = (*store)->RegisterModelVersion(v, "");
  ASSERT_TRUE(registered.ok()) << registered.status().ToString();
  EXPECT_EQ(registered->version, 1);
}

TEST_F(SqliteStoreTest, AVersionFourDatabaseNamesItsSourcesAsSourcesAndRecordsThemNotStored) {
  const std::string source = "sha256:" + std::string(64, 's');
  const std::string output = "sha256:" + std::string(64, 'o');
  {
    auto old = SqliteStore::Open(path_, {.schema_version = 4});
    ASSERT_TRUE(old.ok());
    ASSERT_TRUE((*old)->PutArtifact({source, "source", 1, false, 1}).ok());
    ASSERT_TRUE((*old)->PutArtifact({output, "dataset", 1, false, 1}).ok());
    ASSERT_TRUE((*old)->AssignVersion("textstats/data/extra.txt", source, std::nullopt, 1).ok());
    ASSERT_TRUE((*old)->AssignVersion("textstats.merge.merged", output, std::nullopt, 1).ok());
  }
  auto store = SqliteStore::Open(path_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto renamed = (*store)->ResolveArtifact("textstats.source.data/extra.txt:v1");
  ASSERT_TRUE(renamed.ok()) << renamed.status().ToString();
  EXPECT_EQ(renamed->artifact.ref, source);
  EXPECT_TRUE((*store)->ResolveArtifact("textstats.merge.merged:v1").ok()) << "outputs keep their names";
  auto removal = (*store)->LastObjectRemoval(source);
  ASSERT_TRUE(removal.ok() && removal->has_value());
  EXPECT_EQ((*removal)->reason, "not-stored");
  EXPECT_FALSE((*store)->LastObjectRemoval(output)->has_value());
}

TEST_F(SqliteStoreTest, AnotherConnectionSeesAliasMovesThroughTheGeneration) {
  const std::string ref = "sha256:" + std::string(64, 'a');
  auto writer = SqliteStore::Open(path_);
  auto reader = SqliteStore::Open(path_);  // as a model server would hold
  ASSERT_TRUE(writer.ok() && reader.ok());
  ASSERT_TRUE((*writer)->PutArtifact({ref, "model", 1, true, 1}).ok());
  ModelVersion v;
  v.name = "m";
  v.ref = ref;
  ASSERT_TRUE((*writer)->RegisterModelVersion(v, "").ok());
  int64_t seen = *(*reader)->RegistryGeneration();
  ASSERT_TRUE((*writer)->SetAlias("m", "champion", 1, "ship it", 1).ok());
  EXPECT_GT(*(*reader)->RegistryGeneration(), seen);
  EXPECT_EQ((*reader)->ResolveModel("m@champion")->version, 1);
}

TEST_F(SqliteStoreTest, DatabaseFromANewerMlpipeIsRefused) {
  ASSERT_TRUE(SqliteStore::Open(path_).ok());
  {
    auto db = SqliteDb::Open(path_, 1000);
    ASSERT_TRUE((*db)->Exec("INSERT INTO schema_version(version, description) VALUES (999, 'future')").ok());
  }
  auto store = SqliteStore::Open(path_);
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("upgrade mlpipe"), std::string::npos);
}

TEST_F(SqliteStoreTest, NotADatabaseIsDataLoss) {
  FILE* f = std::fopen(path_.c_str(), "w");
  std::fputs("this is not sqlite, just some text that is long enough to look like a header.........", f);
  std::fclose(f);
  auto store = SqliteStore::Open(path_);
  EXPECT_EQ(store.status().code(), StatusCode::kDataLoss) << store.status().ToString();
}

// Writes `n` runs, each with an execution and a metric, in small transactions.
Status WriteMany(const std::string& path, const std::string& who, int n) {
  ASSIGN_OR_RETURN(auto store, SqliteStore::Open(path));
  for (int i = 0; i < n; ++i) {
    Transaction txn(*store);
    RETURN_IF_ERROR(txn.status());
    metadata::Run r;
    r.pipeline = who;
    ASSIGN_OR_RETURN(int64_t run, store->CreateRun(r));
    Execution e;
    e.run_id = run;
    e.step = "s";
    ASSIGN_OR_RETURN(int64_t exec, store->CreateExecution(e));
    RETURN_IF_ERROR(store->RecordMetrics({{run, exec, "m", double(i), std::nullopt, 0}}));
    RETURN_IF_ERROR(txn.Commit());
    // Single-statement writes outside a transaction must cope too.
    Param p{run, exec, "i", std::to_string(i)};
    RETURN_IF_ERROR(store->RecordParams({p}));
  }
  return OkStatus();
}

TEST_F(SqliteStoreTest, TwoProcessesWriteConcurrentlyWithoutBusyErrors) {
  ASSERT_TRUE(SqliteStore::Open(path_).ok());  // create the schema first
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    Status s = WriteMany(path_, "child", 150);
    if (!s.ok()) std::fprintf(stderr, "child: %s\n", s.ToString().c_str());
    ::_exit(s.ok() ? 0 : 1);
  }
  Status parent = WriteMany(path_, "parent", 150);
  int wstatus = 0;
  ASSERT_EQ(::waitpid(child, &wstatus, 0), child);
  EXPECT_TRUE(parent.ok()) << parent.ToString();
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) << "child failed; see stderr";
  auto store = SqliteStore::Open(path_);
  EXPECT_EQ((*store)->ListRuns(0, "child")->size(), 150u);
  EXPECT_EQ((*store)->ListRuns(0, "parent")->size(), 150u);
}

TEST_F(SqliteStoreTest, TwoConnectionsRacingToAssignVersionsNeverDuplicate) {
  {
    auto store = SqliteStore::Open(path_);
    for (char c = 'a'; c <= 'z'; ++c) {
      ASSERT_TRUE(
          (*store)->PutArtifact({"sha256:" + std::string(64, c == 'z' ? '0' : c), "", 0, false, 0}).ok());
    }
  }
  std::vector<Status> results(2);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      auto store = SqliteStore::Open(path_);
      if (!store.ok()) {
        results[t] = store.status();
        return;
      }
      for (char c = 'a'; c < 'z'; ++c) {
        auto v = (*store)->AssignVersion("p.s.o", "sha256:" + std::string(64, c), std::nullopt, 0);
        if (!v.ok()) {
          results[t] = v.status();
          return;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& r : results) EXPECT_TRUE(r.ok()) << r.ToString();
  auto store = SqliteStore::Open(path_);
  auto versions = (*store)->ListArtifactVersions("p.s.o");
  ASSERT_EQ(versions->size(), 25u);  // one version per content, numbers 1..25
  EXPECT_EQ(versions->back().version, 25);
}

TEST_F(SqliteStoreTest, ThousandStepsOfInsertsCommitInOneTransaction) {
  auto opened = SqliteStore::Open(path_);
  ASSERT_TRUE(opened.ok());
  SqliteStore& store = **opened;
  metadata::Run r;
  r.pipeline = "bench";
  int64_t run = *store.CreateRun(r);
  ASSERT_TRUE(store.PutArtifact({"sha256:" + std::string(64, 'a'), "dataset", 1, false, 0}).ok());
  auto start = std::chrono::steady_clock::now();
  {
    Transaction txn(store);
    ASSERT_TRUE(txn.status().ok());
    for (int i = 0; i < 1000; ++i) {
      Execution e;
      e.run_id = run;
      e.step = "step" + std::to_string(i);
      e.status = ExecutionStatus::kSucceeded;
      e.cache_key = "sha256:" + std::to_string(i);
      auto id = store.CreateExecution(e);
      ASSERT_TRUE(id.ok());
      ASSERT_TRUE(
          store.RecordEvents({{0, *id, "sha256:" + std::string(64, 'a'), EventKind::kOutput, "o", ""}}).ok());
      ASSERT_TRUE(store.RecordMetrics({{run, *id, "seconds", 1.5, std::nullopt, 0}}).ok());
    }
    ASSERT_TRUE(txn.Commit().ok());
  }
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  // The time is printed, not asserted (a loaded machine makes any bound flaky):
  // bench/engine measures the metadata cost per step.
  std::printf("[ info ] 1,000 execution+event+metric inserts: %lld ms\n", static_cast<long long>(ms));
  EXPECT_EQ(store.ListExecutions(run)->size(), 1000u);
}

TEST_F(SqliteStoreTest, OpeningExpandsReusedRunsUnlessToldNot) {
  int64_t reused = 0;
  {
    auto store = SqliteStore::Open(path_);
    ASSERT_TRUE(store.ok());
    metadata::Run r;
    r.pipeline = "p";
    int64_t source = *(*store)->CreateRun(r);
    Execution e;
    e.run_id = source;
    e.step = "s";
    e.status = ExecutionStatus::kSucceeded;
    ASSERT_TRUE((*store)->CreateExecution(e).ok());
    r.status = RunStatus::kSucceeded;
    reused = *(*store)->CreateReusedRun(r, source);
  }
  {
    auto fast = SqliteStore::Open(path_, {.expand_reused_runs = false});
    ASSERT_TRUE(fast.ok());
    EXPECT_TRUE((*fast)->ListExecutions(reused)->empty());
  }
  auto store = SqliteStore::Open(path_);
  ASSERT_TRUE(store.ok());
  auto execs = (*store)->ListExecutions(reused);
  ASSERT_EQ(execs->size(), 1u);
  EXPECT_EQ((*execs)[0].status, ExecutionStatus::kCached);
}

TEST_F(SqliteStoreTest, AConnectionThatLeftALargeWalEmptiesItAtClose) {
  const std::string wal = path_ + "-wal";
  auto wal_size = [&] {
    struct stat st {};
    return ::stat(wal.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : int64_t{-1};
  };
  {
    auto store = SqliteStore::Open(path_);
    ASSERT_TRUE(store.ok());
    metadata::Run r;
    r.pipeline = "p";
    ASSERT_TRUE((*store)->CreateRun(r).ok());
  }
  EXPECT_GT(wal_size(), 0) << "a small WAL is kept (no checkpoint at close)";
  {
    auto store = SqliteStore::Open(path_);
    ASSERT_TRUE(store.ok());
    Transaction txn(**store);
    metadata::Run r;
    r.pipeline = "p";
    r.params_json = "\"" + std::string(3000, 'x') + "\"";  // about a page a run
    for (int i = 0; i < 400; ++i) ASSERT_TRUE((*store)->CreateRun(r).ok());
    ASSERT_TRUE(txn.Commit().ok());
  }
  EXPECT_EQ(wal_size(), 0) << "more than 256 pages: checkpointed and truncated at close";
  auto store = SqliteStore::Open(path_);
  EXPECT_EQ((*store)->ListRuns(0)->size(), 401u);
}

}  // namespace
}  // namespace mlpipe::metadata
