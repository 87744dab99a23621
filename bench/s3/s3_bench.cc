// Upload and download through RemoteObjects (bench/s3/run.sh compares them
// with curl on the same file and endpoint). Usage: mlpipe_s3_bench FILE REPS;
// the endpoint and credentials come from MLPIPE_TEST_S3_* as in the tests.
// Prints per repetition "upload SECONDS", "download SECONDS" and "get SECONDS"
// (the client's GetObject alone: transport and hashing, no store).
// An upload is RemoteObjects::Push of the stored file under a fresh key
// prefix; a download is Fetch into an empty workspace (GET, re-hash, store
// with fsync), so both are the whole cost a step sees.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "mlpipe/store/object_store.h"
#include "mlpipe/store/remote_objects.h"
#include "mlpipe/store/s3_client.h"

namespace mlpipe::store {
namespace {

std::string BenchEnv(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int Fail(const Status& s) {
  fmt::print(stderr, "mlpipe_s3_bench: {}\n", s.ToString());
  return 1;
}

std::unique_ptr<ObjectStore> OpenStoreIn(const std::string& dir) {
  auto ws = Workspace::OpenOrCreate(dir, dir + "/.mlpipe");
  if (!ws.ok()) return nullptr;
  auto store = ObjectStore::Open(*ws);
  return store.ok() ? std::move(*store) : nullptr;
}

int Main(int argc, char** argv) {
  if (argc != 3) {
    fmt::print(stderr, "usage: mlpipe_s3_bench FILE REPS\n");
    return 2;
  }
  const std::string file = argv[1];
  const int reps = std::atoi(argv[2]);
  S3Config base;
  base.endpoint = BenchEnv("MLPIPE_TEST_S3_ENDPOINT");
  base.bucket = BenchEnv("MLPIPE_TEST_S3_BUCKET");
  base.access_key = BenchEnv("MLPIPE_TEST_S3_ACCESS_KEY");
  base.secret_key = BenchEnv("MLPIPE_TEST_S3_SECRET_KEY");
  // Knobs to try other multipart shapes (defaults: S3Config's).
  if (std::string v = BenchEnv("MLPIPE_S3_BENCH_PART_MIB"); !v.empty()) base.part_size = std::stoull(v) << 20;
  if (std::string v = BenchEnv("MLPIPE_S3_BENCH_PARALLEL"); !v.empty()) base.upload_parallelism = std::stoi(v);
  if (std::string v = BenchEnv("MLPIPE_S3_BENCH_RANGE_MIB"); !v.empty()) base.download_chunk_size = std::stoull(v) << 20;
  if (std::string v = BenchEnv("MLPIPE_S3_BENCH_RANGES"); !v.empty()) base.download_parallelism = std::stoi(v);
  if (std::string v = BenchEnv("MLPIPE_S3_BENCH_THRESHOLD_MIB"); !v.empty())
    base.multipart_threshold = std::stoull(v) << 20;
  const std::string root = fmt::format("{}/mlpipe-s3-bench-{}", std::filesystem::temp_directory_path().string(),
                                       ::getpid());
  // Removed however the run ends (the stores' files are read-only).
  struct RemoveRoot {
    std::string path;
    ~RemoveRoot() {
      std::error_code ec;
      for (auto it = std::filesystem::recursive_directory_iterator(path, ec); !ec && it != decltype(it)(); ++it)
        std::filesystem::permissions(it->path(), std::filesystem::perms::owner_all,
                                     std::filesystem::perm_options::add, ec);
      std::filesystem::remove_all(path, ec);
    }
  } remove_root{root};
  auto a = OpenStoreIn(fmt::format("{}/a", root));
  if (a == nullptr) return Fail(InternalError(fmt::format("cannot open a store in {}", root)));
  auto stored = a->Put(file, PutMode::kCopy);
  if (!stored.ok()) return Fail(stored.status());
  // The fetching node's store, emptied after each download: its shard
  // folders stay, as on a node that has fetched before.
  const std::string bdir = fmt::format("{}/b", root);
  auto b = OpenStoreIn(bdir);
  if (b == nullptr) return Fail(InternalError(fmt::format("cannot open a store in {}", bdir)));
  for (int i = 0; i < reps; ++i) {
    S3Config config = base;
    config.prefix = fmt::format("bench-{}-{}/", ::getpid(), i);
    auto client = NewCurlS3Client(config);
    RemoteObjects up(*client, *a);
    auto t0 = std::chrono::steady_clock::now();
    if (Status s = up.Push(stored->ref); !s.ok()) return Fail(s);
    fmt::print("upload {:.4f}\n", SecondsSince(t0));

    RemoteObjects down(*client, *b);
    t0 = std::chrono::steady_clock::now();
    if (Status s = down.Fetch(stored->ref); !s.ok()) return Fail(s);
    fmt::print("download {:.4f}\n", SecondsSince(t0));
    std::fflush(stdout);
    // The client alone: one GET into a file, hashed, no store.
    const std::string raw = bdir + "/raw";
    t0 = std::chrono::steady_clock::now();
    if (auto got = client->GetObject(RemoteBlobKey(stored->ref.substr(kRefPrefix.size())), raw); !got.ok())
      return Fail(got.status());
    fmt::print("get {:.4f}\n", SecondsSince(t0));
    std::fflush(stdout);
    if (Status s = up.Remove(stored->ref); !s.ok()) return Fail(s);
    if (Status s = b->Remove(stored->ref); !s.ok()) return Fail(s);
    std::filesystem::remove(raw);
  }
  return 0;
}

}  // namespace
}  // namespace mlpipe::store

int main(int argc, char** argv) { return mlpipe::store::Main(argc, argv); }
