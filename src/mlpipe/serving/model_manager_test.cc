#include "mlpipe/serving/model_manager.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <mutex>

#include "mlpipe/ml/test_worker.h"
#include "mlpipe/serving/oip_codec.h"
#include "mlpipe/serving/test_fixture.h"

namespace mlpipe::serving {
namespace {

using testing::MakeBrokenPackage;
using testing::MakePackage;
using testing::TestDir;

// ---- The policy, as a pure function.

TEST(DecideLoadTest, LoadsWhenNothingIsLive) {
  auto d = DecideLoad({}, ResolvedModel{"3", "/p"}, false);
  EXPECT_EQ(d.action, LoadAction::kLoad);
  EXPECT_NE(d.reason.find("loading version 3"), std::string::npos) << d.reason;
}

TEST(DecideLoadTest, KeepsTheLiveVersion) {
  EXPECT_EQ(DecideLoad({"3", "", false}, ResolvedModel{"3", "/p"}, false).action, LoadAction::kKeep);
}

TEST(DecideLoadTest, LoadsWhenTheDesiredVersionMoves) {
  auto d = DecideLoad({"3", "", false}, ResolvedModel{"4", "/p"}, false);
  EXPECT_EQ(d.action, LoadAction::kLoad);
  EXPECT_NE(d.reason.find("3 -> 4"), std::string::npos) << d.reason;
}

TEST(DecideLoadTest, DoesNotRetryAFailedVersionUnlessForced) {
  auto d = DecideLoad({"3", "4", false}, ResolvedModel{"4", "/p"}, false);
  EXPECT_EQ(d.action, LoadAction::kKeep);
  EXPECT_NE(d.reason.find("failed to load before"), std::string::npos) << d.reason;
  EXPECT_EQ(DecideLoad({"3", "4", false}, ResolvedModel{"4", "/p"}, true).action, LoadAction::kLoad);
  // A newer version is tried at once.
  EXPECT_EQ(DecideLoad({"3", "4", false}, ResolvedModel{"5", "/p"}, false).action, LoadAction::kLoad);
}

TEST(DecideLoadTest, KeepsServingWhenTheSourceFails) {
  auto d = DecideLoad({"3", "", false}, StatusOr<ResolvedModel>(UnavailableError("db busy")), true);
  EXPECT_EQ(d.action, LoadAction::kKeep);
  EXPECT_NE(d.reason.find("db busy"), std::string::npos);
  EXPECT_NE(d.reason.find("keeping version 3"), std::string::npos);
}

TEST(DecideLoadTest, UnloadedStaysUnloadedUntilForced) {
  const LoadDecision kept = DecideLoad({"", "", true}, ResolvedModel{"3", "/p"}, false);
  EXPECT_EQ(kept.action, LoadAction::kKeep);  // even when the alias names a version not served before
  EXPECT_NE(kept.reason.find("until the next load call"), std::string::npos) << kept.reason;
  EXPECT_NE(kept.reason.find("the source now names version 3"), std::string::npos) << kept.reason;
  EXPECT_EQ(DecideLoad({"", "", true}, ResolvedModel{"3", "/p"}, true).action, LoadAction::kLoad);
}

// ---- The manager, stepped by hand with real packages.

class ModelManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TestDir();
    v1_ = MakePackage(dir_, "v1", 5);
    v2_ = MakePackage(dir_, "v2", 15);
    broken_ = MakeBrokenPackage(v1_, dir_, "broken");
    spec_.model_ref = "churn@champion";
    source_.Set(spec_.ToString(), {"1", v1_});
    ManagerOptions o;
    o.source = &source_;
    o.on_load = [this](const LoadEvent& ev) { events_.push_back(ev); };
    manager_ = std::make_unique<ModelManager>(std::move(o));
    manager_->AddServable("champion", "churn", spec_);
  }
  void TearDown() override {
    manager_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string dir_, v1_, v2_, broken_;
  ModelSpec spec_;
  FakeModelSource source_;
  std::vector<LoadEvent> events_;
  std::unique_ptr<ModelManager> manager_;
};

TEST_F(ModelManagerTest, LoadsPublishesAndSwapsWhenTheAliasMoves) {
  EXPECT_EQ(manager_->Get("champion"), nullptr);
  EXPECT_FALSE(manager_->AllAvailable());
  manager_->ReconcileOnce();
  auto first = manager_->Get("champion");
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->version(), "1");
  EXPECT_TRUE(manager_->AllAvailable());
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_TRUE(events_[0].ok);

  // Nothing changed: no load.
  manager_->ReconcileOnce();
  EXPECT_EQ(events_.size(), 1u);
  EXPECT_EQ(manager_->Get("champion"), first);

  // The alias moves: the new version is published; a request still holding
  // the old one keeps it alive until it lets go.
  std::weak_ptr<const ServedModel> old_weak = first;
  std::weak_ptr<const ml::LoadedModel> old_model = first->model_ptr();
  source_.Set(spec_.ToString(), {"2", v2_});
  auto d = manager_->ReconcileOnce();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_NE(d[0].reason.find("1 -> 2"), std::string::npos) << d[0].reason;
  EXPECT_EQ(manager_->Get("champion")->version(), "2");
  EXPECT_FALSE(old_weak.expired());  // `first` is an in-flight request
  first.reset();
  EXPECT_TRUE(old_weak.expired());
  EXPECT_TRUE(old_model.expired());
}

TEST_F(ModelManagerTest, ABrokenVersionNeverReplacesTheWorkingOne) {
  manager_->ReconcileOnce();
  source_.Set(spec_.ToString(), {"2", broken_});
  manager_->ReconcileOnce();
  auto live = manager_->Get("champion");
  ASSERT_NE(live, nullptr);
  EXPECT_EQ(live->version(), "1");
  auto st = manager_->Statuses();
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0].state, ServableState::kAvailable);
  EXPECT_EQ(st[0].failed_version, "2");
  EXPECT_EQ(st[0].load_failures, 1);
  EXPECT_NE(st[0].last_error.find("version 2 failed to load"), std::string::npos) << st[0].last_error;
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_FALSE(events_[1].ok);

  // Not retried on the next poll; retried when forced (and fails again).
  manager_->ReconcileOnce();
  EXPECT_EQ(manager_->Statuses()[0].load_failures, 1);
  Status forced = manager_->Reload("churn");
  EXPECT_EQ(forced.code(), StatusCode::kDataLoss) << forced.ToString();
  EXPECT_EQ(manager_->Statuses()[0].load_failures, 2);
  EXPECT_EQ(manager_->Get("champion")->version(), "1");

  // A good version after the broken one goes live.
  source_.Set(spec_.ToString(), {"3", v2_});
  manager_->ReconcileOnce();
  EXPECT_EQ(manager_->Get("champion")->version(), "3");
  EXPECT_EQ(manager_->Statuses()[0].failed_version, "");
}

TEST_F(ModelManagerTest, AFailedFirstLoadLeavesTheServableInError) {
  source_.Set(spec_.ToString(), {"1", broken_});
  manager_->ReconcileOnce();
  EXPECT_EQ(manager_->Get("champion"), nullptr);
  EXPECT_EQ(manager_->Statuses()[0].state, ServableState::kError);
  source_.SetError(spec_.ToString(), NotFoundError("no alias champion"));
  manager_->ReconcileOnce();
  EXPECT_NE(manager_->Statuses()[0].last_error.find("no alias champion"), std::string::npos);
}

TEST_F(ModelManagerTest, UnloadDropsTheModelUntilAForcedLoad) {
  manager_->ReconcileOnce();
  std::weak_ptr<const ServedModel> w = manager_->Get("champion");
  ASSERT_TRUE(manager_->Unload("churn").ok());
  EXPECT_TRUE(w.expired());
  EXPECT_EQ(manager_->Statuses()[0].state, ServableState::kUnloaded);
  manager_->ReconcileOnce();
  EXPECT_EQ(manager_->Get("champion"), nullptr);
  EXPECT_TRUE(manager_->Reload("churn").ok());
  EXPECT_NE(manager_->Get("champion"), nullptr);
  EXPECT_EQ(manager_->Reload("nope").code(), StatusCode::kNotFound);
  EXPECT_EQ(manager_->Unload("nope").code(), StatusCode::kNotFound);
}

TEST_F(ModelManagerTest, BackgroundPollingSwapsWithinThePollInterval) {
  ManagerOptions o;
  o.source = &source_;
  o.poll_interval_ns = 50'000'000;  // 50 ms
  ModelManager m(std::move(o));
  m.AddServable("champion", "churn", spec_);
  m.ReconcileOnce();
  m.Start();
  source_.Set(spec_.ToString(), {"2", v2_});
  // Generous deadline; the swap itself is expected within ~50 ms + load time.
  for (int i = 0; i < 400 && m.Get("champion")->version() != "2"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(m.Get("champion")->version(), "2");
  // A forced reload goes through the thread and waits for the pass.
  source_.Set(spec_.ToString(), {"3", v1_});
  EXPECT_TRUE(m.Reload("churn").ok());
  EXPECT_EQ(m.Get("champion")->version(), "3");
  m.Stop();
}

TEST_F(ModelManagerTest, PrepareServableAddsANewServableOnlyOnceItIsLive) {
  manager_->ReconcileOnce();
  ModelSpec candidate;
  candidate.model_ref = "churn@candidate";
  source_.Set(candidate.ToString(), {"2", v2_});
  ASSERT_TRUE(manager_->PrepareServable("candidate", "churn", candidate).ok());
  EXPECT_TRUE(manager_->HasServable("candidate"));
  auto live = manager_->Get("candidate");
  ASSERT_NE(live, nullptr);
  EXPECT_EQ(live->version(), "2");
  EXPECT_EQ(manager_->Statuses().size(), 2u);
  // Already live with the same spec: nothing is loaded again.
  const size_t loads = events_.size();
  ASSERT_TRUE(manager_->PrepareServable("candidate", "churn", candidate).ok());
  EXPECT_EQ(events_.size(), loads);
  EXPECT_EQ(manager_->Get("candidate"), live);
}

TEST_F(ModelManagerTest, PrepareServableThatFailsAddsNothing) {
  manager_->ReconcileOnce();
  ModelSpec broken;
  broken.model_ref = "churn@broken";
  source_.Set(broken.ToString(), {"3", broken_});
  Status s = manager_->PrepareServable("candidate", "churn", broken);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
  EXPECT_NE(s.message().find("candidate"), std::string::npos) << s.ToString();
  EXPECT_FALSE(manager_->HasServable("candidate"));
  EXPECT_EQ(manager_->Statuses().size(), 1u);
  // An alias that does not resolve: the same.
  ModelSpec missing;
  missing.model_ref = "churn@nowhere";
  source_.SetError(missing.ToString(), NotFoundError("no alias nowhere"));
  EXPECT_EQ(manager_->PrepareServable("candidate", "churn", missing).code(), StatusCode::kNotFound);
  EXPECT_FALSE(manager_->HasServable("candidate"));
}

TEST_F(ModelManagerTest, PrepareServableWithANewSpecSwapsOnlyOnSuccess) {
  manager_->ReconcileOnce();
  ModelSpec broken;
  broken.package_path = broken_;
  source_.Set(broken.ToString(), {"9", broken_});
  EXPECT_FALSE(manager_->PrepareServable("champion", "churn", broken).ok());
  EXPECT_EQ(manager_->Get("champion")->version(), "1");
  EXPECT_EQ(manager_->Statuses()[0].spec, spec_.ToString());
  // The next poll follows the old spec (still version 1): nothing changes.
  manager_->ReconcileOnce();
  EXPECT_EQ(manager_->Get("champion")->version(), "1");

  ModelSpec pinned;
  pinned.model_ref = "churn:v2";
  source_.Set(pinned.ToString(), {"2", v2_});
  ASSERT_TRUE(manager_->PrepareServable("champion", "churn", pinned).ok());
  EXPECT_EQ(manager_->Get("champion")->version(), "2");
  EXPECT_EQ(manager_->Statuses()[0].spec, "churn:v2");
  // Polls now resolve the new spec: moving the old alias changes nothing.
  source_.Set(spec_.ToString(), {"3", v1_});
  manager_->ReconcileOnce();
  EXPECT_EQ(manager_->Get("champion")->version(), "2");
}

TEST_F(ModelManagerTest, RemoveServableLetsInFlightRequestsFinish) {
  manager_->ReconcileOnce();
  auto held = manager_->Get("champion");  // an in-flight request
  std::weak_ptr<const ServedModel> weak = held;
  manager_->RemoveServable("champion");
  EXPECT_FALSE(manager_->HasServable("champion"));
  EXPECT_EQ(manager_->Get("champion"), nullptr);
  EXPECT_TRUE(manager_->Statuses().empty());
  ASSERT_FALSE(weak.expired());
  EXPECT_EQ(held->version(), "1");
  held.reset();
  EXPECT_TRUE(weak.expired());
  manager_->RemoveServable("champion");  // unknown now: no-op
}

TEST(WarmUpTest, WarmsARealPackageFromItsStatistics) {
  std::string dir = TestDir();
  auto m = ml::LoadModelPackage(MakePackage(dir, "p", 5));
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(WarmUp(**m, 5).ok());
  std::filesystem::remove_all(dir);
}

TEST(WarmUpTest, WarmsARealPackageFromItsSchemaAsTheServerLoadsIt) {
  std::string dir = TestDir();
  const std::string pkg = MakePackage(dir, "p", 5);
  auto m = PackageLoader().Load(pkg);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ((*m)->stats(), nullptr) << "the server's loader reads no statistics";
  ASSERT_NE((*m)->schema(), nullptr);
  EXPECT_TRUE(WarmUp(**m, 5).ok());
  std::filesystem::remove_all(dir);
}

// A package that brings its own predictor: a version whose workers do not
// start never replaces the live one; one that starts does, and the replaced
// version's workers end when it is released.
TEST(CommandPackageManagerTest, AVersionWhoseWorkersFailToStartNeverReplacesTheLiveOne) {
  namespace fs = std::filesystem;
  const fs::path dir = TestDir();
  auto package = [&](const std::string& name, const std::string& mode) {
    ml::testing::WriteTestWorker(dir / name);
    std::ofstream(dir / name / ml::kManifestFile)
        << R"({"task": "binary", "target": "y", "features": [{"name": "x", "type": "numeric"}],
               "class_labels": ["no", "yes"], "predictor": {"command": ["python3", "worker.py", ")"
        << mode << R"("]}})";
    return (dir / name).string();
  };
  const std::string good = package("good", "ok");
  const std::string broken = package("broken", "fail_start");
  const std::string labels = package("labels", "labels");
  FakeModelSource source;
  ml::testing::FaultyLauncher launcher;
  std::vector<std::string> log;
  std::mutex log_mu;
  PackageLoader loader(
      [&](const std::string& line) {
        std::lock_guard<std::mutex> lock(log_mu);
        log.push_back(line);
      },
      &launcher);
  ManagerOptions o;
  o.source = &source;
  o.loader = &loader;
  ModelManager m(o);
  ModelSpec spec;
  spec.model_ref = "m@champion";
  m.AddServable("champion", "m", spec);
  source.Set(spec.ToString(), {"1", good});
  m.ReconcileOnce();
  auto v1 = m.Get("champion");
  ASSERT_NE(v1, nullptr);
  EXPECT_EQ(v1->MetadataJson("m")["platform"], "mlpipe_command");
  ParsedRequest req;
  req.rows = 1;
  req.columns = {{2.0}};
  auto p = PredictRows(*v1, req);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ((*p)[0].label, "yes");

  source.Set(spec.ToString(), {"2", broken});
  m.ReconcileOnce();
  EXPECT_EQ(m.Get("champion")->version(), "1");
  auto status = m.Statuses()[0];
  EXPECT_EQ(status.failed_version, "2");
  EXPECT_NE(status.last_error.find("cannot load model.pkl"), std::string::npos) << status.last_error;

  source.Set(spec.ToString(), {"3", labels});
  m.ReconcileOnce();
  EXPECT_EQ(m.Get("champion")->version(), "3");
  const std::vector<pid_t> started = launcher.pids();  // good, broken, labels: one worker each
  ASSERT_EQ(started.size(), 3u);
  EXPECT_EQ(::kill(started[0], 0), 0) << "v1 is still held by this test";
  v1.reset();
  EXPECT_NE(::kill(started[0], 0), 0) << "the released version's worker still runs";
  EXPECT_EQ(::kill(started[2], 0), 0);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace mlpipe::serving
