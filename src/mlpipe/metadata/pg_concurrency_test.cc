// Several processes writing one PostgreSQL database at once, as two runners
// and a server do: each numbers versions, registers models, moves an alias,
// records cache entries and creates runs on the SAME names. Every call must
// succeed (no failed transaction), and the numbers come out unique and
// contiguous, with an alias history in which every move starts where the
// previous one ended.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>

#include <fmt/format.h>

#include "mlpipe/metadata/pg_store.h"
#include "mlpipe/metadata/pg_test_schema.h"

namespace mlpipe::metadata {
namespace {

constexpr int kWriters = 4;
constexpr int kRounds = 40;

std::string WriterRef(int writer, int round) { return fmt::format("sha256:{:064x}", writer * 1000 + round + 1); }

// One round of a writer's calls; every other round inside one Transaction,
// as the engine's recorder batches them.
Status WriterRound(PgStore& store, int writer, int round) {
  const bool batched = round % 2 == 0;
  std::optional<Transaction> txn;
  if (batched) {
    txn.emplace(store);
    RETURN_IF_ERROR(txn->status());
  }
  Run run;
  run.pipeline = "shared";
  ASSIGN_OR_RETURN(int64_t run_id, store.CreateRun(run));
  Execution e;
  e.run_id = run_id;
  e.step = "train";
  e.status = ExecutionStatus::kSucceeded;
  ASSIGN_OR_RETURN(int64_t exec, store.CreateExecution(e));
  const std::string ref = WriterRef(writer, round);
  RETURN_IF_ERROR(store.PutArtifact({ref, "model", 1, false, 1}));
  RETURN_IF_ERROR(store.AssignVersion("shared.train.model", ref, exec, 1).status());
  ModelVersion mv;
  mv.name = "shared-model";
  mv.ref = ref;
  mv.run_id = run_id;
  ASSIGN_OR_RETURN(ModelVersion registered, store.RegisterModelVersion(mv, ""));
  RETURN_IF_ERROR(
      store.SetAlias("shared-model", "champion", registered.version, fmt::format("writer {} round {}", writer, round), 1)
          .status());
  RETURN_IF_ERROR(store.RecordCacheEntry("shared-key", exec, 1));
  if (batched) RETURN_IF_ERROR(txn->Commit());
  return OkStatus();
}

// In a forked child: its own connection, then _exit (no destructors: the
// parent's connection is the parent's).
[[noreturn]] void RunWriter(const PgStoreOptions& options, int writer) {
  auto store = PgStore::Open(PgTestUrl(), options);
  if (!store.ok()) {
    fmt::print(stderr, "writer {}: {}\n", writer, store.status().ToString());
    _exit(2);
  }
  for (int round = 0; round < kRounds; ++round) {
    Status s = WriterRound(**store, writer, round);
    if (!s.ok()) {
      fmt::print(stderr, "writer {} round {}: {}\n", writer, round, s.ToString());
      _exit(1);
    }
  }
  _exit(0);
}

TEST(PgConcurrencyTest, FourProcessesOnTheSameNamesLoseNothingAndDuplicateNothing) {
  if (std::string why = PgTestUnavailable(); !why.empty()) GTEST_SKIP() << why;
  PgStoreOptions options;
  options.schema = PgTestSchemas::Get().New();
  auto opened = PgStore::Open(PgTestUrl(), options);  // migrated before the writers start
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  PgStore& store = **opened;

  std::vector<pid_t> children;
  for (int w = 0; w < kWriters; ++w) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) RunWriter(options, w);
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "a writer failed (see its stderr)";
  }

  constexpr int kTotal = kWriters * kRounds;
  auto versions = store.ListArtifactVersions("shared.train.model");
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->size(), static_cast<size_t>(kTotal));
  std::set<std::string> refs;
  for (int i = 0; i < kTotal; ++i) {
    EXPECT_EQ((*versions)[i].version, i + 1);  // 1..N, sorted by version: contiguous, no duplicate
    refs.insert((*versions)[i].ref);
  }
  EXPECT_EQ(refs.size(), static_cast<size_t>(kTotal));

  auto model = store.GetRegisteredModel("shared-model");
  ASSERT_TRUE(model.ok());
  ASSERT_EQ(model->versions.size(), static_cast<size_t>(kTotal));
  for (int i = 0; i < kTotal; ++i) EXPECT_EQ(model->versions[i].version, i + 1);

  // Newest first; walked oldest first, each move starts where the last ended.
  auto history = store.AliasHistory("shared-model", "champion");
  ASSERT_TRUE(history.ok());
  ASSERT_FALSE(history->empty());
  std::optional<int64_t> at;
  for (auto it = history->rbegin(); it != history->rend(); ++it) {
    EXPECT_EQ(it->from_version, at) << "alias move " << it->id;
    EXPECT_NE(it->to_version, it->from_version);
    at = it->to_version;
  }
  ASSERT_EQ(model->aliases.size(), 1u);
  EXPECT_EQ(std::optional<int64_t>(model->aliases[0].version), at);

  auto hits = store.CacheCandidates("shared-key", 0);
  ASSERT_TRUE(hits.ok());
  EXPECT_EQ(hits->size(), static_cast<size_t>(kTotal));

  auto runs = store.ListRuns(0, "shared");
  ASSERT_TRUE(runs.ok());
  std::set<int64_t> ids;
  for (const metadata::Run& r : *runs) ids.insert(r.id);
  EXPECT_EQ(ids.size(), static_cast<size_t>(kTotal));
  EXPECT_EQ(runs->size(), static_cast<size_t>(kTotal));
}

}  // namespace
}  // namespace mlpipe::metadata
