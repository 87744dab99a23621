// SqliteControlStore: ControlStore on the workspace's SQLite metadata file
// (its own connection; SqliteStore::Open migrates the file first).
#pragma once

#include <memory>
#include <string>

#include "mlpipe/metadata/control_store.h"
#include "mlpipe/metadata/sqlite_db.h"

namespace mlpipe::metadata {

class SqliteControlStore : public ControlStore {
 public:
  // Opens (creating and migrating if needed) the database at `path`.
  static StatusOr<std::unique_ptr<SqliteControlStore>> Open(const std::string& path,
                                                            int busy_timeout_ms = 10'000);

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
  StatusOr<std::vector<SeriesPoint>> QuerySeries(std::string_view name,
                                                 const std::optional<std::string>& labels, int64_t from_ns,
                                                 int64_t to_ns) override;
  StatusOr<std::vector<SeriesPoint>> LatestPoints(std::string_view name) override;
  StatusOr<std::vector<Count>> RunCounts() override;
  StatusOr<std::vector<Count>> FireCounts() override;
  StatusOr<int64_t> CompactSeries(int64_t older_than_ns, int64_t bucket_ns, int64_t drop_before_ns) override;
  StatusOr<std::vector<int64_t>> AppendEvents(const std::vector<ServerEvent>& events) override;
  StatusOr<std::vector<ServerEvent>> EventsAfter(int64_t after_id, int limit) override;
  StatusOr<int64_t> LastEventId() override;

 private:
  StatusOr<std::vector<Count>> Counts(const std::string& sql);
  explicit SqliteControlStore(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}
  std::unique_ptr<SqliteDb> db_;
};

}  // namespace mlpipe::metadata
