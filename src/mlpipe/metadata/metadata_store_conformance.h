// The conformance fixture shared by every MetadataStore test file: each
// TEST_P(MetadataStoreConformanceTest, ...) runs against every backend listed
// in INSTANTIATE_TEST_SUITE_P (metadata_store_conformance_test.cc).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <memory>
#include <string>

#include "mlpipe/base/testing/temp_dir.h"
#include "mlpipe/metadata/metadata_store.h"

namespace mlpipe::metadata {

struct BackendFactory {
  std::string name;
  // Makes a fresh, empty store; `scratch` is a private folder for files.
  std::function<StatusOr<std::unique_ptr<MetadataStore>>(const std::string& scratch)> make;
  // Why the backend cannot be tested here ("" or unset: it can); its cases
  // skip with this reason (a server the tests need was not started).
  std::function<std::string()> unavailable;
};

inline std::string Ref(char c) { return "sha256:" + std::string(64, c); }

class MetadataStoreConformanceTest : public ::testing::TestWithParam<BackendFactory> {
 protected:
  void SetUp() override {
    if (GetParam().unavailable) {
      if (std::string why = GetParam().unavailable(); !why.empty()) GTEST_SKIP() << why;
    }
    auto s = GetParam().make(scratch_.path());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }
  void TearDown() override { store_.reset(); }

  int64_t NewRun(const std::string& pipeline = "p") {
    // Initialized, not assigned: GCC 12's -Werror=restrict misreads the
    // inlined string assignments in the Release unity build.
    const metadata::Run r{.id = 0,
                          .pipeline = pipeline,
                          .spec_path = "pipeline.yaml",
                          .status = RunStatus::kRunning,
                          .params_json = "{}",
                          .started_ns = 100,
                          .ended_ns = 0,
                          .host = "h",
                          .pid = 42,
                          .exit_reason = "",
                          .reuses_run = std::nullopt,
                          .trigger = ""};
    auto id = store_->CreateRun(r);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return *id;
  }
  int64_t NewExecution(int64_t run, const std::string& step,
                       ExecutionStatus status = ExecutionStatus::kSucceeded, const std::string& key = "") {
    Execution e;
    e.run_id = run;
    e.step = step;
    e.status = status;
    e.cache_key = key;
    auto id = store_->CreateExecution(e);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return *id;
  }
  // A cached execution of `step` in `run`, reusing execution `reused_from`.
  int64_t NewCachedExecution(int64_t run, const std::string& step, int64_t reused_from) {
    Execution e;
    e.run_id = run;
    e.step = step;
    e.status = ExecutionStatus::kCached;
    e.reused_from = reused_from;
    auto id = store_->CreateExecution(e);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return *id;
  }
  void PutArtifact(const std::string& ref, const std::string& type = "dataset") {
    ASSERT_TRUE(store_->PutArtifact({ref, type, 10, false, 5}).ok());
  }
  void AddEvent(int64_t exec, const std::string& ref, EventKind kind, const std::string& name) {
    ASSERT_TRUE(store_->RecordEvents({Event{0, exec, ref, kind, name, ""}}).ok());
  }

  mlpipe::testing::TempDir scratch_{"metadata"};
  std::unique_ptr<MetadataStore> store_;
};

}  // namespace mlpipe::metadata
