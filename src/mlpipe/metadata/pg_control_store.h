// PgControlStore: ControlStore on PostgreSQL, beside PgStore's tables in the
// same database and schema (pg_migrations.cc v2), so a server on a shared
// database keeps its run queue, trigger state, series and events there, and
// a server started anywhere on that database reads them back.
//
// One connection per instance (like SqliteControlStore: use one per
// thread), with PgSession's transactions and retry policy. Ids come from
// identity columns; an event stored with its id (the server's event bus
// numbers them) moves the identity past it, so an event stored without one
// never collides.
#pragma once

#include <memory>
#include <string>

#include "mlpipe/metadata/control_store.h"
#include "mlpipe/metadata/pg_session.h"
#include "mlpipe/metadata/pg_store.h"

namespace mlpipe::metadata {

class PgControlStore : public ControlStore {
 public:
  // Connects to `url` and migrates the schema (PgStore::Open's errors);
  // `options.schema` and `options.max_retries` apply.
  static StatusOr<std::unique_ptr<PgControlStore>> Open(const std::string& url, const PgStoreOptions& options = {});

  Status Begin() override;
  Status Commit() override;
  Status Rollback() override;
  StatusOr<int64_t> RecordFire(const TriggerFire& fire) override;
  Status UpdateFire(const TriggerFire& fire) override;
  StatusOr<TriggerFire> GetFire(int64_t id) override;
  StatusOr<std::vector<TriggerFire>> ListFires(const FireQuery& query) override;
  StatusOr<int> CountStartedSince(std::string_view pipeline, int64_t since_ns) override;
  StatusOr<int64_t> LastStartNs(std::string_view pipeline) override;
  StatusOr<std::optional<std::string>> GetTriggerState(std::string_view pipeline, std::string_view trigger_id,
                                                       std::string_view key) override;
  Status SetTriggerState(std::string_view pipeline, std::string_view trigger_id, std::string_view key,
                         std::string_view value, int64_t now_ns) override;
  Status AppendSeries(const std::vector<SeriesPoint>& points) override;
  StatusOr<std::vector<SeriesPoint>> QuerySeries(std::string_view name, const std::optional<std::string>& labels,
                                                 int64_t from_ns, int64_t to_ns) override;
  StatusOr<std::vector<SeriesPoint>> LatestPoints(std::string_view name) override;
  StatusOr<int64_t> CompactSeries(int64_t older_than_ns, int64_t bucket_ns, int64_t drop_before_ns) override;
  StatusOr<std::vector<Count>> RunCounts() override;
  StatusOr<std::vector<Count>> FireCounts() override;
  StatusOr<std::vector<int64_t>> AppendEvents(const std::vector<ServerEvent>& events) override;
  StatusOr<std::vector<ServerEvent>> EventsAfter(int64_t after_id, int limit) override;
  StatusOr<int64_t> LastEventId() override;

 private:
  PgControlStore(std::unique_ptr<PgConn> conn, int max_retries) : session_(std::move(conn), max_retries) {}
  StatusOr<std::vector<TriggerFire>> QueryFires(const std::string& sql_suffix, const PgParams& params);
  StatusOr<std::vector<SeriesPoint>> QueryPoints(const std::string& sql, const PgParams& params);
  StatusOr<std::vector<Count>> Counts(const std::string& sql);

  PgSession session_;
};

}  // namespace mlpipe::metadata
