// RegistrySource against a real workspace: SQLite registry + object store.
#include <gtest/gtest.h>

#include "mlpipe/metadata/sqlite_store.h"
#include "mlpipe/serving/model_manager.h"
#include "mlpipe/serving/model_source.h"
#include "mlpipe/serving/test_fixture.h"
#include "mlpipe/store/object_store.h"

namespace mlpipe::serving {
namespace {

class RegistrySourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TestDir();
    auto ws = store::Workspace::OpenOrCreate(dir_, std::nullopt);
    ASSERT_TRUE(ws.ok()) << ws.status().ToString();
    ws_ = std::make_unique<store::Workspace>(*ws);
    auto db = metadata::SqliteStore::Open(ws_->MetadataDbPath());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    auto objects = store::ObjectStore::Open(*ws_);
    ASSERT_TRUE(objects.ok()) << objects.status().ToString();
    objects_ = std::move(objects).value();
  }
  void TearDown() override {
    objects_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  // Stores a package and registers it as the next version of "churn".
  int64_t Register(const std::string& package) {
    auto stored = objects_->Put(package, store::PutMode::kCopy);
    EXPECT_TRUE(stored.ok()) << stored.status().ToString();
    metadata::Artifact a;
    a.ref = stored->ref;
    a.type = "model";
    a.is_dir = true;
    a.size = stored->size;
    EXPECT_TRUE(db_->PutArtifact(a).ok());
    metadata::ModelVersion mv;
    mv.name = "churn";
    mv.ref = stored->ref;
    mv.source = stored->ref;
    auto v = db_->RegisterModelVersion(mv, "");
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? v->version : 0;
  }

  std::string dir_;
  std::unique_ptr<store::Workspace> ws_;
  std::unique_ptr<metadata::MetadataStore> db_;
  std::unique_ptr<store::ObjectStore> objects_;
};

TEST_F(RegistrySourceTest, ResolvesAliasesAndVersionsToMaterialisedPackages) {
  int64_t v1 = Register(testing::MakePackage(dir_, "p1", 5));
  int64_t v2 = Register(testing::MakePackage(dir_, "p2", 15));
  ASSERT_TRUE(db_->SetAlias("churn", "champion", v1, "first", 1).ok());
  RegistrySource source(db_.get(), objects_.get());
  ModelSpec alias;
  alias.model_ref = "churn@champion";
  auto r = source.Resolve(alias);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->version, "1");
  EXPECT_TRUE(ml::LoadModelPackage(r->package_dir).ok());

  // The manager follows the alias.
  ManagerOptions o;
  o.source = &source;
  ModelManager m(std::move(o));
  m.AddServable("champion", "churn", alias);
  m.ReconcileOnce();
  ASSERT_NE(m.Get("champion"), nullptr);
  EXPECT_EQ(m.Get("champion")->version(), "1");
  ASSERT_TRUE(db_->SetAlias("churn", "champion", v2, "better auc", 2).ok());
  m.ReconcileOnce();
  EXPECT_EQ(m.Get("champion")->version(), "2");

  ModelSpec pinned;
  pinned.model_ref = "churn:v1";
  EXPECT_EQ(source.Resolve(pinned)->version, "1");
  ModelSpec missing;
  missing.model_ref = "churn@staging";
  EXPECT_EQ(source.Resolve(missing).status().code(), StatusCode::kNotFound);
  RegistrySource no_workspace(nullptr, nullptr);
  EXPECT_EQ(no_workspace.Resolve(alias).status().code(), StatusCode::kFailedPrecondition);
}

int FilesIn(const std::string& dir) {
  int n = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) n += e.is_regular_file();
  return n;
}

// The server resolves a package path every poll: an unchanged package is
// not read again, a changed file is.
TEST(PackagePathSourceTest, RehashesOnlyWhatChanged) {
  std::string dir = testing::TestDir();
  std::string pkg = testing::MakePackage(dir, "p", 5);
  // The package was just written: within HashCache's racy window its files
  // would be read again at every Resolve; this test is about the stat check.
  PackagePathSource source(store::HashCacheOptions{.racy_window_ns = 0});
  ModelSpec spec;
  spec.package_path = pkg;
  auto first = source.Resolve(spec);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  const int hashed = source.hashes();
  EXPECT_EQ(hashed, FilesIn(pkg));  // every file of the package, once
  auto again = source.Resolve(spec);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->version, first->version);
  EXPECT_EQ(source.hashes(), hashed) << "an unchanged package was hashed again";
  // A new model file (another inode, as a writer that renames into place makes).
  std::string other = testing::MakePackage(dir, "q", 7);
  std::filesystem::rename(other + "/" + ml::kXgboostModelFile, pkg + "/" + ml::kXgboostModelFile);
  auto changed = source.Resolve(spec);
  ASSERT_TRUE(changed.ok());
  EXPECT_NE(changed->version, first->version);
  EXPECT_EQ(source.hashes(), hashed + 1);
  // Any file of the package counts, not only the model: the transform too.
  {
    std::ifstream in(pkg + "/transform.json");
    std::ofstream out(dir + "/transform.json.new");
    out << in.rdbuf() << "\n";
  }
  std::filesystem::rename(dir + "/transform.json.new", pkg + "/transform.json");
  auto transform_changed = source.Resolve(spec);
  ASSERT_TRUE(transform_changed.ok());
  EXPECT_NE(transform_changed->version, changed->version);
  std::filesystem::remove_all(dir);
}

// A link flipped between two packages (a blue/green deployment): each flip
// resolves to the package the link names now, and nothing is hashed twice.
TEST(PackagePathSourceTest, ALinkFlippedBetweenTwoPackagesResolvesToTheRealFolder) {
  namespace fs = std::filesystem;
  std::string dir = testing::TestDir();
  const std::string a = fs::canonical(testing::MakePackage(dir, "a", 5)).string();
  const std::string b = fs::canonical(testing::MakePackage(dir, "b", 7)).string();
  const std::string link = dir + "/current";
  PackagePathSource source(store::HashCacheOptions{.racy_window_ns = 0});
  ModelSpec spec;
  spec.package_path = link;
  std::string version_a, version_b;
  for (int flip = 0; flip < 4; ++flip) {
    const std::string& target = flip % 2 == 0 ? a : b;
    fs::remove(link);
    fs::create_directory_symlink(target, link);
    auto r = source.Resolve(spec);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->package_dir, target);
    (flip % 2 == 0 ? version_a : version_b) = r->version;
  }
  EXPECT_NE(version_a, version_b);
  EXPECT_EQ(source.hashes(), FilesIn(a) + FilesIn(b)) << "each package's files, once";
  fs::remove_all(dir);
}

}  // namespace
}  // namespace mlpipe::serving
