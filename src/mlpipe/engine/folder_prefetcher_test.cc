#include "mlpipe/engine/folder_prefetcher.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "mlpipe/base/testing/temp_dir.h"

namespace mlpipe::engine {
namespace {

using namespace std::chrono_literals;

// Records which jobs were made and unmade; make can be held back to test the
// in-between states.
struct Recorder {
  std::mutex mu;
  std::multiset<int> made, unmade;
  std::atomic<bool> hold{false};
  std::atomic<int> making{-1};
  FolderPrefetcher::FolderFn Make() {
    return [this](int job) {
      making = job;
      while (hold) std::this_thread::sleep_for(1ms);
      std::lock_guard<std::mutex> lock(mu);
      made.insert(job);
      return job == 13 ? InternalError("disk full") : OkStatus();
    };
  }
  FolderPrefetcher::FolderFn Unmake() {
    return [this](int job) {
      std::lock_guard<std::mutex> lock(mu);
      unmade.insert(job);
      return OkStatus();
    };
  }
};

template <typename Pred>
bool Eventually(Pred pred) {
  for (int i = 0; i < 1000 && !pred(); ++i) std::this_thread::sleep_for(10ms);
  return pred();
}

TEST(FolderPrefetcherTest, ARequestedJobIsMadeOnTheThreadAndTakenOnce) {
  Recorder r;
  FolderPrefetcher p(20, r.Make(), r.Unmake());
  p.Request(3);
  p.Request(3);  // once
  ASSERT_TRUE(Eventually([&] { return p.made() == 1; }));
  EXPECT_TRUE(p.Take(3));
  EXPECT_FALSE(p.Take(3)) << "taken already";
  EXPECT_EQ(r.made.count(3), 1u);
}

TEST(FolderPrefetcherTest, TakeWaitsForAJobBeingMade) {
  Recorder r;
  r.hold = true;
  FolderPrefetcher p(20, r.Make(), r.Unmake());
  p.Request(5);
  ASSERT_TRUE(Eventually([&] { return r.making == 5; }));
  std::thread release([&] {
    std::this_thread::sleep_for(50ms);
    r.hold = false;
  });
  EXPECT_TRUE(p.Take(5)) << "Take returned before the folders were made";
  release.join();
}

TEST(FolderPrefetcherTest, AJobTakenBeforeItsTurnIsNeverMade) {
  Recorder r;
  r.hold = true;
  FolderPrefetcher p(20, r.Make(), r.Unmake());
  p.Request(1);  // the thread holds on this one
  ASSERT_TRUE(Eventually([&] { return r.making == 1; }));
  p.Request(2);
  EXPECT_FALSE(p.Take(2)) << "still queued: the caller makes its folders itself";
  r.hold = false;
  ASSERT_TRUE(Eventually([&] { return p.made() == 1; }));
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(r.made.count(2), 0u);
  EXPECT_EQ(p.made(), 1);
}

TEST(FolderPrefetcherTest, AFailedMakeIsNotTaken) {
  Recorder r;
  FolderPrefetcher p(20, r.Make(), r.Unmake());
  p.Request(13);
  ASSERT_TRUE(Eventually([&] { return r.made.count(13) == 1; }));
  EXPECT_FALSE(p.Take(13));
}

TEST(FolderPrefetcherTest, DiscardAndDestructionRemoveWhatWasMadeAndNotTaken) {
  Recorder r;
  {
    FolderPrefetcher p(20, r.Make(), r.Unmake());
    p.Request(7);
    p.Request(8);
    p.Request(9);
    ASSERT_TRUE(Eventually([&] { return p.made() == 3; }));
    p.Discard(7);  // reused from the cache
    EXPECT_TRUE(p.Take(8));
    EXPECT_EQ(r.unmade, (std::multiset<int>{7}));
  }
  EXPECT_EQ(r.unmade, (std::multiset<int>{7, 9})) << "9 was made and never taken; 8 belongs to its step";
}

TEST(FolderPrefetcherTest, RemovesFoldersLaterOrAtTheLatestWhenDestroyed) {
  Recorder r;
  mlpipe::testing::TempDir tmp("engine");
  tmp.Write("a/x/file", "1");
  tmp.Write("b/file", "2");
  {
    FolderPrefetcher p(2, r.Make(), r.Unmake());
    p.RemoveLater(tmp.Sub("a"));
    EXPECT_TRUE(Eventually([&] { return !std::filesystem::exists(tmp.Sub("a")); }));
    r.hold = true;
    p.Request(0);  // the thread is busy with this one when the removal is asked for
    ASSERT_TRUE(Eventually([&] { return r.making == 0; }));
    p.RemoveLater(tmp.Sub("b"));
    EXPECT_TRUE(std::filesystem::exists(tmp.Sub("b")));
    r.hold = false;
  }
  EXPECT_FALSE(std::filesystem::exists(tmp.Sub("b")));
}

TEST(FolderPrefetcherTest, OutOfRangeJobsAreIgnored) {
  Recorder r;
  FolderPrefetcher p(2, r.Make(), r.Unmake());
  p.Request(-1);
  p.Request(2);
  EXPECT_FALSE(p.Take(5));
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(p.made(), 0);
}

}  // namespace
}  // namespace mlpipe::engine
