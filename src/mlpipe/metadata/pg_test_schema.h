// Tests on PostgreSQL: the database comes from MLPIPE_TEST_PG_URL (set by
// scripts/services/with_services.sh); each store gets a fresh private
// schema, so ctest's parallel test processes never see each other's rows.
// The schemas a process made are dropped after its last test.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "mlpipe/metadata/pg_conn.h"

namespace mlpipe::metadata {

// Why PostgreSQL tests cannot run here, "" when they can.
inline std::string PgTestUnavailable() {
  const char* url = std::getenv("MLPIPE_TEST_PG_URL");
  if (url != nullptr && *url != '\0') return "";
  const char* why = std::getenv("MLPIPE_PG_UNAVAILABLE");
  if (why != nullptr && *why != '\0') return why;
  return "MLPIPE_TEST_PG_URL not set; run under scripts/services/with_services.sh";
}

inline std::string PgTestUrl() {
  const char* url = std::getenv("MLPIPE_TEST_PG_URL");
  return url != nullptr ? url : "";
}

// Remembers the schemas this process made; DropAll drops them (the test
// environment below calls it after the last test, before main returns:
// libpq cannot connect from a static destructor, after OpenSSL's cleanup).
class PgTestSchemas {
 public:
  static PgTestSchemas& Get() {
    static auto* schemas = new PgTestSchemas;
    return *schemas;
  }
  // A new schema name, t_<pid>_<n> (PgStore creates it when opening).
  std::string New() {
    std::lock_guard<std::mutex> lock(mu_);
    names_.push_back(fmt::format("t_{}_{}", getpid(), names_.size()));
    return names_.back();
  }
  void DropAll() {
    std::lock_guard<std::mutex> lock(mu_);
    if (names_.empty()) return;
    auto conn = PgConn::Connect(PgTestUrl());
    if (!conn.ok()) {
      fmt::print(stderr, "dropping the test schemas: {}\n", conn.status().ToString());
      return;
    }
    for (const std::string& name : names_) {
      Status dropped = (*conn)->Exec(fmt::format("DROP SCHEMA IF EXISTS {} CASCADE", name));
      if (!dropped.ok()) fmt::print(stderr, "dropping test schema {}: {}\n", name, dropped.ToString());
    }
    names_.clear();
  }

 private:
  std::mutex mu_;
  std::vector<std::string> names_;
};

class PgTestSchemaCleanup : public ::testing::Environment {
 public:
  void TearDown() override { PgTestSchemas::Get().DropAll(); }
};
inline ::testing::Environment* const kPgTestSchemaCleanup =
    ::testing::AddGlobalTestEnvironment(new PgTestSchemaCleanup);

}  // namespace mlpipe::metadata
