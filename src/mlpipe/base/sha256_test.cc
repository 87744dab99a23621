#include "mlpipe/base/sha256.h"

#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>

namespace mlpipe {
namespace {

TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, IncrementalEqualsOneShot) {
  Sha256 h;
  h.Update("a");
  h.Update("bc");
  EXPECT_EQ(DigestRef(h.Finish()), "sha256:" + Sha256Hex("abc"));
}

TEST(Sha256Test, HashesFilesAndReportsMissing) {
  std::string path = testing::TempDir() + "/sha_file.txt";
  std::ofstream(path) << "abc";
  auto hex = Sha256FileHex(path);
  ASSERT_TRUE(hex.ok());
  EXPECT_EQ(*hex, Sha256Hex("abc"));
  EXPECT_EQ(Sha256FileHex(path + ".missing").status().code(), StatusCode::kNotFound);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace mlpipe
