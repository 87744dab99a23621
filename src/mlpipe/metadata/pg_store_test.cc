// PgStore beyond the conformance suite: what a user sees when the database
// is unreachable, refuses the password or does not exist (one clear error,
// never the password), reconnection after the server ends the connection,
// a deadlock inside a Transaction, and concurrent first opens.
#include "mlpipe/metadata/pg_store.h"

#include <gtest/gtest.h>

#include <chrono>
#include <latch>
#include <thread>

#include "mlpipe/metadata/pg_migrations.h"
#include "mlpipe/metadata/pg_test_schema.h"

namespace mlpipe::metadata {
namespace {

TEST(RedactUrlTest, HidesEveryFormOfPassword) {
  EXPECT_EQ(RedactUrl("postgresql://mlpipe:s3cret@127.0.0.1:5433/mlpipe"),
            "postgresql://mlpipe:***@127.0.0.1:5433/mlpipe");
  EXPECT_EQ(RedactUrl("postgres://u:p%40ss@db.example/x?sslmode=require"), "postgres://u:***@db.example/x?sslmode=require");
  EXPECT_EQ(RedactUrl("postgresql://u@h/db?password=s3cret&sslmode=disable"),
            "postgresql://u@h/db?password=***&sslmode=disable");
  EXPECT_EQ(RedactUrl("host=h user=u password=s3cret dbname=d"), "host=h user=u password=*** dbname=d");
  EXPECT_EQ(RedactUrl("host=h password = 'a b\\' c' dbname=d"), "host=h password = *** dbname=d");
  EXPECT_EQ(RedactUrl("postgresql://u@h:1/db"), "postgresql://u@h:1/db");
  EXPECT_EQ(RedactUrl("/var/lib/mlpipe/metadata.db"), "/var/lib/mlpipe/metadata.db");
}

TEST(PgStoreErrorsTest, UnreachableServerIsInvalidArgumentNamingWhereButNotThePassword) {
  // Port 1 on the loopback: nothing listens, the kernel refuses at once.
  auto store = PgStore::Open("postgresql://mlpipe:n0t-the-pw-4711@127.0.0.1:1/mlpipe");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kInvalidArgument);
  const std::string m = store.status().message();
  EXPECT_NE(m.find("cannot connect to PostgreSQL at 127.0.0.1:1 database mlpipe as user mlpipe: "), std::string::npos)
      << m;
  EXPECT_NE(m.find("hint: is PostgreSQL running"), std::string::npos) << m;
  EXPECT_EQ(m.find("n0t-the-pw-4711"), std::string::npos) << m;
}

TEST(PgStoreErrorsTest, BadUrlIsInvalidArgumentWithThePasswordRedacted) {
  auto store = PgStore::Open("postgresql://mlpipe:n0t-the-pw-4711@127.0.0.1:5433/mlpipe?nonsense=1");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store.status().message().find("n0t-the-pw-4711"), std::string::npos) << store.status().message();
}

// The test database's URL with its password or database replaced
// ("" if it is not of the form postgresql://USER:PASSWORD@HOST:PORT/DB).
std::string PgUrlWith(const std::string& password, const std::string& database) {
  std::string url = PgTestUrl();
  const size_t start = url.find("://");
  const size_t at = url.find('@');
  if (start == std::string::npos || at == std::string::npos) return "";
  const size_t colon = url.find(':', start + 3);
  const size_t slash = url.find('/', at);
  if (colon == std::string::npos || colon > at || slash == std::string::npos) return "";
  const size_t query = url.find('?', slash);
  std::string db = database.empty() ? url.substr(slash + 1, query == std::string::npos ? query : query - slash - 1)
                                    : database;
  return url.substr(0, colon + 1) + (password.empty() ? url.substr(colon + 1, at - colon - 1) : password) +
         url.substr(at, slash - at + 1) + db + (query == std::string::npos ? "" : url.substr(query));
}

class PgStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = PgTestUnavailable(); !why.empty()) GTEST_SKIP() << why;
    options_.schema = PgTestSchemas::Get().New();
    auto admin = PgConn::Connect(PgTestUrl());
    ASSERT_TRUE(admin.ok()) << admin.status().ToString();
    admin_ = std::move(*admin);
  }
  std::unique_ptr<PgStore> Open() {
    auto store = PgStore::Open(PgTestUrl(), options_);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }
  // Ends the server process behind `store`'s connection and waits until it is gone.
  void KillBackend(PgStore& store) {
    const int pid = store.backend_pid();
    ASSERT_TRUE(admin_->Query("SELECT pg_terminate_backend($1)", PgParams().Add(pid)).ok());
    for (int i = 0; i < 500; ++i) {
      auto r = admin_->Query("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", PgParams().Add(pid));
      ASSERT_TRUE(r.ok());
      if (r->Int(0, 0) == 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    FAIL() << "backend " << pid << " did not end";
  }
  static metadata::Run NewRun(const std::string& pipeline) {
    metadata::Run r;
    r.pipeline = pipeline;
    return r;
  }

  PgStoreOptions options_;
  std::unique_ptr<PgConn> admin_;
};

TEST_F(PgStoreTest, WrongPasswordIsOneClearErrorWithoutThePassword) {
  const std::string url = PgUrlWith("wr0ng-passw0rd-917", "");
  if (url.empty()) GTEST_SKIP() << "MLPIPE_TEST_PG_URL is not postgresql://USER:PASSWORD@HOST:PORT/DB";
  auto store = PgStore::Open(url);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kInvalidArgument);
  const std::string m = store.status().message();
  EXPECT_NE(m.find("cannot connect to PostgreSQL at "), std::string::npos) << m;
  EXPECT_NE(m.find("password authentication failed"), std::string::npos) << m;
  EXPECT_NE(m.find("hint: check the user name and password"), std::string::npos) << m;
  EXPECT_EQ(m.find("wr0ng-passw0rd-917"), std::string::npos) << m;
}

TEST_F(PgStoreTest, MissingDatabaseIsOneClearErrorWithAHint) {
  const std::string url = PgUrlWith("", "no_such_mlpipe_db");
  if (url.empty()) GTEST_SKIP() << "MLPIPE_TEST_PG_URL is not postgresql://USER:PASSWORD@HOST:PORT/DB";
  auto store = PgStore::Open(url);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kInvalidArgument);
  const std::string m = store.status().message();
  EXPECT_NE(m.find("database no_such_mlpipe_db as user "), std::string::npos) << m;
  EXPECT_NE(m.find("hint: create it (createdb -O "), std::string::npos) << m;
  const size_t colon = url.find(':', url.find("://") + 3);
  const std::string password = url.substr(colon + 1, url.find('@') - colon - 1);
  EXPECT_EQ(m.find(":" + password + "@"), std::string::npos) << m;
}

TEST_F(PgStoreTest, ACallAfterTheServerEndedTheConnectionReconnectsAndSucceeds) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->CreateRun(NewRun("before")).ok());
  const int old_pid = store->backend_pid();
  KillBackend(*store);
  auto id = store->CreateRun(NewRun("after"));
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_NE(store->backend_pid(), old_pid);
  auto runs = store->ListRuns(0);
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[0].pipeline, "after");
}

TEST_F(PgStoreTest, ConnectionLostInsideATransactionFailsClearlyAndLosesOnlyThatTransaction) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->CreateRun(NewRun("committed")).ok());
  {
    Transaction txn(*store);
    ASSERT_TRUE(txn.status().ok());
    ASSERT_TRUE(store->CreateRun(NewRun("in-lost-txn")).ok());
    KillBackend(*store);
    auto id = store->CreateRun(NewRun("after-loss"));
    ASSERT_FALSE(id.ok());
    EXPECT_EQ(id.status().code(), StatusCode::kUnavailable);
    EXPECT_NE(id.status().message().find("lost the connection to PostgreSQL at "), std::string::npos)
        << id.status().message();
    Status commit = txn.Commit();
    EXPECT_EQ(commit.code(), StatusCode::kUnavailable) << commit.ToString();
  }
  auto runs = store->ListRuns(0);
  ASSERT_TRUE(runs.ok()) << runs.status().ToString();
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].pipeline, "committed");
}

TEST_F(PgStoreTest, ADeadlockInsideTransactionsAbortsOneWithAClearErrorAndCommitsTheOther) {
  auto first = Open();
  auto second = Open();
  ASSERT_TRUE(first && second);
  for (char c : {'a', 'b', 'c', 'd'}) {
    ASSERT_TRUE(first->PutArtifact({"sha256:" + std::string(64, c), "dataset", 1, false, 1}).ok());
  }
  // Each takes one name's version lock, then wants the other's.
  std::latch both_hold_one(2);
  auto writer = [&](PgStore& store, const std::string& one, const std::string& other, char a, char b) -> Status {
    Transaction txn(store);
    RETURN_IF_ERROR(txn.status());
    RETURN_IF_ERROR(store.AssignVersion(one, "sha256:" + std::string(64, a), std::nullopt, 1).status());
    both_hold_one.arrive_and_wait();
    RETURN_IF_ERROR(store.AssignVersion(other, "sha256:" + std::string(64, b), std::nullopt, 1).status());
    return txn.Commit();
  };
  Status s1, s2;
  std::thread t1([&] { s1 = writer(*first, "x", "y", 'a', 'b'); });
  std::thread t2([&] { s2 = writer(*second, "y", "x", 'c', 'd'); });
  t1.join();
  t2.join();
  ASSERT_NE(s1.ok(), s2.ok()) << s1.ToString() << " / " << s2.ToString();
  const Status& failed = s1.ok() ? s2 : s1;
  EXPECT_EQ(failed.code(), StatusCode::kAborted) << failed.ToString();
  EXPECT_NE(failed.message().find("deadlock"), std::string::npos) << failed.ToString();
  auto versions = first->ListArtifactVersions();
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->size(), 2u);  // the winner's two, each v1
  EXPECT_EQ((*versions)[0].version, 1);
  EXPECT_EQ((*versions)[1].version, 1);
}

TEST_F(PgStoreTest, ConcurrentFirstOpensMigrateOnce) {
  constexpr int kOpeners = 4;
  std::vector<Status> results(kOpeners);
  std::vector<std::thread> threads;
  for (int i = 0; i < kOpeners; ++i) {
    threads.emplace_back([&, i] { results[i] = PgStore::Open(PgTestUrl(), options_).status(); });
  }
  for (auto& t : threads) t.join();
  for (const Status& s : results) EXPECT_TRUE(s.ok()) << s.ToString();
  auto rows = admin_->Query(fmt::format("SELECT count(*), max(version) FROM {}.schema_version", options_.schema));
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->Int(0, 0), static_cast<int64_t>(PgMigrations().size()));
  EXPECT_EQ(rows->Int(0, 1), LatestPgSchemaVersion());
}

TEST_F(PgStoreTest, CheckIntegrityIsEmptyOnAFreshSchemaAndNamesAMissingTable) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto clean = store->CheckIntegrity();
  ASSERT_TRUE(clean.ok()) << clean.status().ToString();
  EXPECT_TRUE(clean->empty());
  ASSERT_TRUE(admin_->Exec(fmt::format("DROP TABLE {}.object_removals", options_.schema)).ok());
  auto damaged = store->CheckIntegrity();
  ASSERT_TRUE(damaged.ok());
  EXPECT_EQ(*damaged, std::vector<std::string>{"table object_removals is missing"});
}

}  // namespace
}  // namespace mlpipe::metadata
