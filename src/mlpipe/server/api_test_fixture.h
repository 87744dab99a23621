// Test fixture of the record routes (tests only): a real workspace in a temp
// folder, its SQLite metadata store and object store, and a Get() that calls
// HandleRecordRoute as the server's handler does.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "mlpipe/base/testing/temp_dir.h"
#include "mlpipe/metadata/sqlite_store.h"
#include "mlpipe/server/api_query.h"
#include "mlpipe/server/api_routes.h"
#include "mlpipe/store/object_store.h"

namespace mlpipe::server {

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ws_ = std::make_unique<store::Workspace>(dir_.Sub(".mlpipe"));
    auto objects = store::ObjectStore::Open(*ws_);
    ASSERT_TRUE(objects.ok()) << objects.status().ToString();
    objects_ = std::move(*objects);
    auto db = metadata::SqliteStore::Open(ws_->MetadataDbPath());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    ctx_ = ApiContext{db_.get(), ws_.get()};
  }

  // The answer to `method target`; fails the test if no record route took it.
  serving::HttpResponse Call(const std::string& method, const std::string& target) {
    serving::HttpRequest request;
    request.method = method;
    request.target = target;
    auto path = PercentDecode(target.substr(0, target.find('?')), false);
    request.path = path.ok() ? *path : target;
    serving::HttpResponse response;
    EXPECT_TRUE(HandleRecordRoute(ctx_, request, response)) << target;
    return response;
  }
  serving::HttpResponse Get(const std::string& target) { return Call("GET", target); }
  // The JSON body of a GET that must answer `status`.
  nlohmann::json GetJson(const std::string& target, int status = 200) {
    serving::HttpResponse r = Get(target);
    EXPECT_EQ(r.status, status) << target << ": " << r.body;
    EXPECT_EQ(r.content_type, "application/json") << target;
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.body;
    return j;
  }
  // The error of a GET that must fail with `status`: {"code", "message"}.
  nlohmann::json GetError(const std::string& target, int status) {
    nlohmann::json j = GetJson(target, status);
    EXPECT_TRUE(j.contains("error") && j["error"].contains("code") && j["error"].contains("message"))
        << j.dump();
    return j.value("error", nlohmann::json::object());
  }

  int64_t AddRun(const std::string& pipeline, metadata::RunStatus status = metadata::RunStatus::kSucceeded,
                 const std::string& trigger = "") {
    metadata::Run r;
    r.pipeline = pipeline;
    r.spec_path = pipeline + ".yaml";
    r.status = status;
    r.trigger = trigger;
    r.started_ns = 1'700'000'000'000'000'000;
    r.ended_ns = status == metadata::RunStatus::kRunning ? 0 : r.started_ns + 2'000'000'000;
    r.host = "elsewhere";
    auto id = db_->CreateRun(r);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return *id;
  }
  int64_t AddExecution(int64_t run, const std::string& step,
                       metadata::ExecutionStatus status = metadata::ExecutionStatus::kSucceeded) {
    metadata::Execution e;
    e.run_id = run;
    e.step = step;
    e.status = status;
    e.attempt = status == metadata::ExecutionStatus::kCached ? 0 : 1;
    e.exit_code = 0;
    auto id = db_->CreateExecution(e);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return *id;
  }
  // Stores `content` as a file artifact named `name` (version 1, 2, ...)
  // written by `execution`; returns its ref.
  std::string AddFile(const std::string& name, const std::string& content, std::optional<int64_t> execution,
                      const std::string& type = "dataset") {
    const std::string path = dir_.Write("in/" + std::to_string(++files_), content);
    auto stored = objects_->Put(path, store::PutMode::kCopy);
    EXPECT_TRUE(stored.ok()) << stored.status().ToString();
    EXPECT_TRUE(db_->PutArtifact({stored->ref, type, stored->size, false, 5}).ok());
    EXPECT_TRUE(db_->AssignVersion(name, stored->ref, execution, 7).ok());
    return stored->ref;
  }

  mlpipe::testing::TempDir dir_{"api"};
  std::unique_ptr<store::Workspace> ws_;
  std::unique_ptr<store::ObjectStore> objects_;
  std::unique_ptr<metadata::SqliteStore> db_;
  ApiContext ctx_{nullptr, nullptr};
  int files_ = 0;
};

}  // namespace mlpipe::server
