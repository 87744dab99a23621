// SqliteStore: a page of runs for a paginated list (ListRunsPage).
#include <fmt/format.h>

#include <cstdint>
#include <variant>

#include "mlpipe/metadata/run_condition_sql.h"
#include "mlpipe/metadata/sqlite_store.h"

namespace mlpipe::metadata {

// Newest first by id, the primary key: the page is a range scan that stops
// after `limit` matches, or with a pipeline a walk of runs_by_pipeline
// (pipeline, id). Only the filters asked for are in the statement, so the
// planner sees plain conditions; the connection's statement cache keeps one
// statement per combination. Conditions on params and metrics are EXISTS
// probes per run (run_condition_sql.h), so a page still stops after `limit`
// matches; their statement is prepared for the one call, since their shapes
// are the client's to choose and would grow the cache without end.
StatusOr<std::vector<Run>> SqliteStore::ListRunsPage(const RunPage& query) {
  std::string sql = "WHERE id < ?1";
  if (!query.pipeline.empty()) sql += " AND pipeline = ?2";
  if (!query.trigger.empty()) {
    sql += " AND (triggered_by = ?3 OR substr(triggered_by, 1, length(?3) + 1) = ?3 || ' '";
    sql += query.trigger == "manual" ? " OR triggered_by = '')" : ")";
  }
  if (!query.statuses.empty()) {
    sql += " AND status IN (";
    for (size_t i = 0; i < query.statuses.size(); ++i) sql += fmt::format("{}?{}", i ? "," : "", i + 5);
    sql += ")";
  }
  // Condition values are numbered after the statuses'.
  std::vector<SqlValue> values;
  sql += RunConditionsSql(query.conditions, SqlDialect::kSqlite, [&](const SqlValue& v) {
    values.push_back(v);
    return fmt::format("?{}", 4 + query.statuses.size() + values.size());
  });
  sql += " ORDER BY id DESC LIMIT ?4";
  return QueryRuns(
      sql,
      [&](Statement& st) {
        st.Bind(1, query.before_id.value_or(INT64_MAX));
        if (!query.pipeline.empty()) st.Bind(2, query.pipeline);
        if (!query.trigger.empty()) st.Bind(3, query.trigger);
        st.Bind(4, static_cast<int64_t>(query.limit > 0 ? query.limit : -1));
        for (size_t i = 0; i < query.statuses.size(); ++i) {
          st.Bind(static_cast<int>(i + 5), ToString(query.statuses[i]));
        }
        for (size_t i = 0; i < values.size(); ++i) {
          const int index = static_cast<int>(5 + query.statuses.size() + i);
          std::visit([&](const auto& v) { st.Bind(index, v); }, values[i]);
        }
      },
      /*once=*/!query.conditions.empty());
}

}  // namespace mlpipe::metadata
