// End-to-end: `artifacts gc --remote` and `artifacts verify --remote` on a
// workspace whose objects are shared through a real S3 store (Ceph RGW, as
// `make test` starts it: scripts/services/with_services.sh). The bucket is
// read back with curl (--aws-sigv4), a client that is not mlpipe's. Skips
// with the reason when RGW is not there.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "mlpipe/base/sha256.h"
#include "tests/e2e/e2e_util.h"
#include "tests/e2e/events.h"

namespace mlpipe::e2e {
namespace {

class SharedObjectsE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (EnvOf("MLPIPE_TEST_S3_ENDPOINT").empty()) {
      GTEST_SKIP() << "needs S3 ("
                   << (EnvOf("MLPIPE_S3_UNAVAILABLE").empty() ? "MLPIPE_TEST_S3_ENDPOINT not set"
                                                              : EnvOf("MLPIPE_S3_UNAVAILABLE"))
                   << "); run under scripts/services/with_services.sh";
    }
    prefix_ = fmt::format("shared_gc_{}", getpid());
    p_.Write(".mlpipe/config.yaml",
             fmt::format("objects:\n  s3:\n    endpoint: {}\n    bucket: {}\n    prefix: {}\n",
                         EnvOf("MLPIPE_TEST_S3_ENDPOINT"), EnvOf("MLPIPE_TEST_S3_BUCKET"), prefix_));
    // A file and a folder per run; the folder's `same` blob is the same in
    // every run, so a removed folder's blob that a kept one lists must stay.
    p_.Write("pipeline.yaml", fmt::format(R"y(pipeline: shared_gc_{}
params:
  word: one
steps:
  make:
    run: |
      echo ${{params.word}} > ${{outputs.text}}
      mkdir -p ${{outputs.dir}}
      echo ${{params.word}}-x > ${{outputs.dir}}/x
      echo same > ${{outputs.dir}}/same
    shell: true
    outputs: {{text: dataset, dir: dataset}}
  use:
    run: cat ${{inputs.dir}}/x ${{inputs.text}} > ${{outputs.out}}
    shell: true
    inputs: {{dir: make.dir, text: make.text}}
    outputs: {{out: dataset}}
)y",
                                          getpid()));
  }
  void TearDown() override {
    if (prefix_.empty()) return;
    for (const std::string& key : Keys()) (void)Curl("-X DELETE", key);
  }

  std::map<std::string, std::string> Credentials() const {
    return {{"AWS_ACCESS_KEY_ID", EnvOf("MLPIPE_TEST_S3_ACCESS_KEY")},
            {"AWS_SECRET_ACCESS_KEY", EnvOf("MLPIPE_TEST_S3_SECRET_KEY")}};
  }
  CommandOutput Mlpipe(const std::vector<std::string>& args) const {
    return p_.MlpipeIn(".", args, Credentials());
  }
  // curl on the bucket: `how` (e.g. "-X DELETE") on `key` under the prefix
  // ("" = the bucket, listed under the prefix). Its HTTP status.
  std::string Curl(const std::string& how, const std::string& key,
                   const std::string& out = "/dev/null") const {
    const std::string url =
        // (The prefix without a '/' after it, which curl's signature would need encoded.)
        key.empty() ? fmt::format("{}/{}?list-type=2&prefix={}", EnvOf("MLPIPE_TEST_S3_ENDPOINT"),
                                  EnvOf("MLPIPE_TEST_S3_BUCKET"), prefix_)
                    : fmt::format("{}/{}/{}/{}", EnvOf("MLPIPE_TEST_S3_ENDPOINT"),
                                  EnvOf("MLPIPE_TEST_S3_BUCKET"), prefix_, key);
    return ShellOutput(fmt::format(
        "curl -s {} -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' -o '{}' -w '%{{http_code}}' --aws-sigv4 "
        "aws:amz:us-east-1:s3 --user '{}:{}' '{}'",
        how, out, EnvOf("MLPIPE_TEST_S3_ACCESS_KEY"), EnvOf("MLPIPE_TEST_S3_SECRET_KEY"), url));
  }
  // Every key under the prefix (without it), read by curl.
  std::set<std::string> Keys() const {
    const std::string out = p_.Path("list.xml");
    EXPECT_EQ(Curl("", "", out), "200");
    std::set<std::string> keys;
    const std::string xml = p_.Read("list.xml");
    for (size_t at = xml.find("<Key>"); at != std::string::npos; at = xml.find("<Key>", at + 1)) {
      const size_t end = xml.find("</Key>", at);
      keys.insert(xml.substr(at + 6 + prefix_.size(), end - at - 6 - prefix_.size()));
    }
    return keys;
  }
  static std::string BlobKey(const std::string& ref) {
    return fmt::format("blobs/sha256/{}/{}", ref.substr(7, 2), ref.substr(7));
  }
  static std::string ManifestKey(const std::string& ref) {
    return fmt::format("manifests/sha256/{}/{}", ref.substr(7, 2), ref.substr(7));
  }
  std::string Digest(const std::string& name) const {
    CommandOutput show = Mlpipe({"artifacts", "show", name, "--json"});
    EXPECT_EQ(show.exit_code, 0) << show.err;
    return nlohmann::json::parse(show.out)["digest"].get<std::string>();
  }

  Project p_{"shared_objects"};
  std::string prefix_;
};

TEST_F(SharedObjectsE2ETest, GcRemoteRemovesWhatNoKeptRunNamesFromTheBucketAfterItsGracePeriod) {
  ASSERT_EQ(Mlpipe({"run", "pipeline.yaml", "-p", "word=one"}).exit_code, 0);
  ASSERT_EQ(Mlpipe({"run", "pipeline.yaml", "-p", "word=two"}).exit_code, 0);
  const std::string pipeline = fmt::format("shared_gc_{}", getpid());
  const std::string old_text = Digest(pipeline + ".make.text:v1"),
                    old_dir = Digest(pipeline + ".make.dir:v1");
  const std::string new_text = Digest(pipeline + ".make.text:v2"),
                    new_dir = Digest(pipeline + ".make.dir:v2");
  ASSERT_NE(old_dir, new_dir);
  const std::set<std::string> before = Keys();
  for (const std::string& key :
       {BlobKey(old_text), ManifestKey(old_dir), BlobKey(new_text), ManifestKey(new_dir)})
    ASSERT_TRUE(before.count(key)) << key;
  ASSERT_EQ(Mlpipe({"runs", "delete", "1"}).exit_code, 0);

  // Within the grace period (the default hour) the bucket keeps everything.
  CommandOutput young = Mlpipe({"artifacts", "gc", "--remote", "--keep-versions", "0", "--json"});
  ASSERT_EQ(young.exit_code, 0) << young.out << young.err;
  const nlohmann::json y = nlohmann::json::parse(young.out);
  EXPECT_EQ(y["s3"]["removed"].size(), 0u) << young.out;
  EXPECT_GT(y["s3"]["kept_young"].get<int>(), 0) << young.out;
  EXPECT_EQ(Keys(), before);
  // The local copies went, but the bucket still has them: not recorded as
  // removed, and fetched again when asked for.
  EXPECT_GT(y["still_in_s3"].get<int>(), 0) << young.out;
  CommandOutput cat = Mlpipe({"artifacts", "cat", pipeline + ".make.text:v1"});
  EXPECT_EQ(cat.exit_code, 0) << cat.err;
  EXPECT_EQ(cat.out, "one\n");

  // Without a grace period: run 1's objects leave the bucket, run 2's stay,
  // and so does the blob both folders list.
  CommandOutput gc = Mlpipe({"artifacts", "gc", "--remote", "--keep-versions", "0", "--min-age", "0s"});
  ASSERT_EQ(gc.exit_code, 0) << gc.out << gc.err;
  EXPECT_TRUE(Contains(gc.out, "removed folder manifest " + old_dir + " from S3")) << gc.out;
  const std::set<std::string> after = Keys();
  EXPECT_FALSE(after.count(BlobKey(old_text))) << gc.out;
  EXPECT_FALSE(after.count(ManifestKey(old_dir))) << gc.out;
  EXPECT_FALSE(after.count(BlobKey("sha256:" + Sha256Hex("one-x\n")))) << gc.out;
  EXPECT_TRUE(after.count(BlobKey(new_text)));
  EXPECT_TRUE(after.count(ManifestKey(new_dir)));
  EXPECT_TRUE(after.count(BlobKey("sha256:" + Sha256Hex("same\n"))));
  EXPECT_TRUE(after.count(BlobKey("sha256:" + Sha256Hex("two-x\n"))));
  // What is named is all there, and the removal is on record.
  CommandOutput verify = Mlpipe({"artifacts", "verify", "--remote"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  CommandOutput gone = Mlpipe({"artifacts", "cat", old_text});
  EXPECT_NE(gone.exit_code, 0);
  EXPECT_TRUE(Contains(gone.err, "garbage-collected")) << gone.err;
  // The kept run is still reused from the bucket.
  CommandOutput again = Mlpipe({"run", "pipeline.yaml", "-p", "word=two", "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(FinalStates(ParseEvents(again.out))["make"], "cached");
}

TEST_F(SharedObjectsE2ETest, VerifyRemoteFindsAnObjectTheBucketLostAndRepairSendsItAgain) {
  ASSERT_EQ(Mlpipe({"run", "pipeline.yaml"}).exit_code, 0);
  const std::string pipeline = fmt::format("shared_gc_{}", getpid());
  const std::string text = Digest(pipeline + ".make.text:v1");
  ASSERT_EQ(Curl("-X DELETE", BlobKey(text)), "204");
  // A plain verify checks the workspace, which holds it.
  EXPECT_EQ(Mlpipe({"artifacts", "verify"}).exit_code, 0);
  CommandOutput found = Mlpipe({"artifacts", "verify", "--remote", "--json"});
  EXPECT_EQ(found.exit_code, 1) << found.out << found.err;
  const nlohmann::json f = nlohmann::json::parse(found.out);
  ASSERT_EQ(f["problems"].size(), 1u) << found.out;
  EXPECT_EQ(f["problems"][0]["ref"], text);
  EXPECT_EQ(f["problems"][0]["kind"], "missing");
  EXPECT_GT(f["s3_checked"].get<int>(), 0);
  CommandOutput repaired = Mlpipe({"artifacts", "verify", "--remote", "--repair"});
  EXPECT_TRUE(Contains(repaired.out, "sent again from this workspace")) << repaired.out;
  EXPECT_EQ(Curl("-I", BlobKey(text)), "200");
  EXPECT_EQ(Mlpipe({"artifacts", "verify", "--remote"}).exit_code, 0);
}

TEST_F(SharedObjectsE2ETest, ArgoExportSendsTheFilesAndFoldersItsWorkflowReadsToTheirKeys) {
  ASSERT_EQ(Mlpipe({"run", "pipeline.yaml"}).exit_code, 0);
  const std::string pipeline = fmt::format("shared_gc_{}", getpid());
  const std::string text = Digest(pipeline + ".make.text:v1"), dir = Digest(pipeline + ".make.dir:v1");
  // `use` changes: it runs in the Workflow, reading make's cached outputs.
  std::string spec = p_.Read("pipeline.yaml");
  spec.replace(spec.find("> ${outputs.out}"), 1, ">>");
  p_.Write("pipeline.yaml", spec);
  ASSERT_EQ(Curl("-X DELETE", BlobKey(text)), "204");  // lost from the bucket: sent again
  const std::string tree = "trees/" + dir.substr(7);
  EXPECT_EQ(Curl("-I", tree + "/x"), "404");
  const std::vector<std::string> export_args = {"export",
                                                "argo",
                                                "pipeline.yaml",
                                                "--image",
                                                "busybox",
                                                "--s3-endpoint",
                                                EnvOf("MLPIPE_TEST_S3_ENDPOINT"),
                                                "--s3-bucket",
                                                EnvOf("MLPIPE_TEST_S3_BUCKET"),
                                                "-o",
                                                "wf.yaml"};
  // Another prefix than the store's: nothing is sent, and it says so.
  std::vector<std::string> elsewhere = export_args;
  elsewhere.insert(elsewhere.end(), {"--s3-prefix", "elsewhere"});
  CommandOutput other = Mlpipe(elsewhere);
  ASSERT_EQ(other.exit_code, 0) << other.err;
  EXPECT_TRUE(Contains(other.err, "nothing sent to S3")) << other.err;
  EXPECT_TRUE(Contains(other.err, "--s3-prefix " + prefix_)) << other.err;
  EXPECT_EQ(Curl("-I", tree + "/x"), "404");

  std::vector<std::string> here = export_args;
  here.insert(here.end(), {"--s3-prefix", prefix_});
  CommandOutput sent = Mlpipe(here);
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_TRUE(Contains(sent.err, "1 file, 1 folder (2 files)")) << sent.err;
  EXPECT_TRUE(Contains(p_.Read("wf.yaml"), prefix_ + "/" + tree)) << p_.Read("wf.yaml");
  // At the keys the Workflow reads, with the content.
  ASSERT_EQ(Curl("", tree + "/x", p_.Path("x.got")), "200");
  EXPECT_EQ(p_.Read("x.got"), "one-x\n");
  ASSERT_EQ(Curl("", tree + "/same", p_.Path("same.got")), "200");
  EXPECT_EQ(p_.Read("same.got"), "same\n");
  ASSERT_EQ(Curl("", BlobKey(text), p_.Path("text.got")), "200");
  EXPECT_EQ(p_.Read("text.got"), "one\n");
  // Again: all there, nothing sent.
  CommandOutput again = Mlpipe(here);
  EXPECT_TRUE(Contains(again.err, "0 files, 0 folders (0 files)")) << again.err;
}

TEST_F(SharedObjectsE2ETest, RemoteFlagsWithoutAnS3StoreOrWithABadAgeAreExit2) {
  Project plain("shared_objects_plain");
  plain.Write("pipeline.yaml", "pipeline: plain\nsteps:\n  a:\n    run: 'true'\n");
  ASSERT_EQ(plain.Mlpipe({"run", "pipeline.yaml"}).exit_code, 0);
  CommandOutput gc = plain.Mlpipe({"artifacts", "gc", "--remote"});
  EXPECT_EQ(gc.exit_code, 2) << gc.err;
  EXPECT_TRUE(Contains(gc.err, "no S3 store")) << gc.err;
  CommandOutput verify = plain.Mlpipe({"artifacts", "verify", "--remote"});
  EXPECT_EQ(verify.exit_code, 2) << verify.err;
  CommandOutput age = Mlpipe({"artifacts", "gc", "--remote", "--min-age", "soon"});
  EXPECT_EQ(age.exit_code, 2) << age.err;
  EXPECT_TRUE(Contains(age.err, "--min-age")) << age.err;
}

}  // namespace
}  // namespace mlpipe::e2e
