// The backends the conformance suites of ControlStore
// (control_store_conformance_test.cc) and DeploymentStore
// (deployment_store_conformance_test.cc) run on: a SQLite file, and a
// private schema of the PostgreSQL database MLPIPE_TEST_PG_URL names (its
// cases skip, saying why, when there is none; pg_test_schema.h drops the
// schemas). A new backend adds itself to ControlBackends().
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mlpipe/base/clock.h"
#include "mlpipe/base/testing/temp_dir.h"
#include "mlpipe/metadata/control_store.h"
#include "mlpipe/metadata/deployment_store.h"
#include "mlpipe/metadata/metadata_store.h"
#include "mlpipe/metadata/pg_control_store.h"
#include "mlpipe/metadata/pg_deployment_store.h"
#include "mlpipe/metadata/pg_store.h"
#include "mlpipe/metadata/pg_test_schema.h"
#include "mlpipe/metadata/sqlite_control_store.h"
#include "mlpipe/metadata/sqlite_deployment_store.h"
#include "mlpipe/metadata/sqlite_store.h"

namespace mlpipe::metadata {

struct ControlBackend {
  std::string name;
  // A fresh, empty database's location: a file in `scratch` (a private
  // folder), or a new schema. Every store below opened on one location
  // sees the same tables, each through a connection of its own.
  std::function<std::string(const std::string& scratch)> fresh;
  std::function<StatusOr<std::unique_ptr<ControlStore>>(const std::string& where)> control;
  std::function<StatusOr<std::unique_ptr<DeploymentStore>>(const std::string& where, Clock& clock)> deployments;
  // The MetadataStore (runs, registry) of the same database, and a
  // DeploymentStore joining its transactions.
  std::function<StatusOr<std::unique_ptr<MetadataStore>>(const std::string& where)> registry;
  std::function<std::unique_ptr<DeploymentStore>(MetadataStore& registry, Clock& clock)> sharing;
  // Why the backend cannot be tested here ("" or unset: it can).
  std::function<std::string()> unavailable;
};

inline std::vector<ControlBackend> ControlBackends() {
  ControlBackend sqlite{
      .name = "SqliteFile",
      .fresh = [](const std::string& scratch) { return scratch + "/metadata.db"; },
      .control = [](const std::string& path) -> StatusOr<std::unique_ptr<ControlStore>> {
        ASSIGN_OR_RETURN(auto s, SqliteControlStore::Open(path));
        return std::unique_ptr<ControlStore>(std::move(s));
      },
      .deployments = [](const std::string& path, Clock& clock) -> StatusOr<std::unique_ptr<DeploymentStore>> {
        ASSIGN_OR_RETURN(auto s, SqliteDeploymentStore::Open(path, 10'000, clock));
        return std::unique_ptr<DeploymentStore>(std::move(s));
      },
      .registry = [](const std::string& path) -> StatusOr<std::unique_ptr<MetadataStore>> {
        ASSIGN_OR_RETURN(auto s, SqliteStore::Open(path));
        return std::unique_ptr<MetadataStore>(std::move(s));
      },
      .sharing = [](MetadataStore& registry, Clock& clock) -> std::unique_ptr<DeploymentStore> {
        return SqliteDeploymentStore::Sharing(dynamic_cast<SqliteStore&>(registry), clock);
      },
      .unavailable = {}};
  const auto pg_options = [](const std::string& schema) {
    PgStoreOptions options;
    options.schema = schema;
    return options;
  };
  ControlBackend pg{
      .name = "Postgres",
      .fresh = [](const std::string&) { return PgTestSchemas::Get().New(); },
      .control = [pg_options](const std::string& schema) -> StatusOr<std::unique_ptr<ControlStore>> {
        ASSIGN_OR_RETURN(auto s, PgControlStore::Open(PgTestUrl(), pg_options(schema)));
        return std::unique_ptr<ControlStore>(std::move(s));
      },
      .deployments = [pg_options](const std::string& schema,
                                  Clock& clock) -> StatusOr<std::unique_ptr<DeploymentStore>> {
        ASSIGN_OR_RETURN(auto s, PgDeploymentStore::Open(PgTestUrl(), pg_options(schema), clock));
        return std::unique_ptr<DeploymentStore>(std::move(s));
      },
      .registry = [pg_options](const std::string& schema) -> StatusOr<std::unique_ptr<MetadataStore>> {
        ASSIGN_OR_RETURN(auto s, PgStore::Open(PgTestUrl(), pg_options(schema)));
        return std::unique_ptr<MetadataStore>(std::move(s));
      },
      .sharing = [](MetadataStore& registry, Clock& clock) -> std::unique_ptr<DeploymentStore> {
        return PgDeploymentStore::Sharing(dynamic_cast<PgStore&>(registry), clock);
      },
      .unavailable = PgTestUnavailable};
  return {sqlite, pg};
}

// A test on one backend: skips, saying why, when it cannot run here;
// where_ is a fresh database's location.
class ControlBackendTest : public ::testing::TestWithParam<ControlBackend> {
 protected:
  void SetUp() override {
    if (GetParam().unavailable) {
      if (std::string why = GetParam().unavailable(); !why.empty()) GTEST_SKIP() << why;
    }
    where_ = GetParam().fresh(tmp_.path());
  }
  mlpipe::testing::TempDir tmp_{"control"};
  std::string where_;
};

inline std::string ControlBackendName(const ::testing::TestParamInfo<ControlBackend>& info) {
  return info.param.name;
}

}  // namespace mlpipe::metadata
