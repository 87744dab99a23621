// SqliteStore: the model registry (registered models, versions, aliases and
// their history). Schema v3 in migrations.cc.
#include <fmt/format.h>

#include "mlpipe/base/strings.h"
#include "mlpipe/metadata/model_names.h"
#include "mlpipe/metadata/sqlite_store.h"

namespace mlpipe::metadata {
namespace {

constexpr const char* kModelVersionColumns =
    "m.name, m.version, m.ref, m.source, m.run_id, m.execution_id, m.metrics_json, m.created_ns";
constexpr const char* kAliasChangeColumns =
    "h.id, h.name, h.alias, h.from_version, h.to_version, h.changed_ns, h.reason";

ModelVersion ReadModelVersion(Statement& st) {
  ModelVersion v;
  v.name = st.Text(0);
  v.version = st.Int(1);
  v.ref = st.Text(2);
  v.source = st.Text(3);
  v.run_id = st.OptInt(4);
  v.execution_id = st.OptInt(5);
  v.metrics_json = st.Text(6);
  v.created_ns = st.Int(7);
  return v;
}

}  // namespace

StatusOr<std::vector<ModelVersion>> SqliteStore::QueryModelVersions(
    const std::string& sql_suffix, const std::function<void(Statement&)>& bind) {
  ASSIGN_OR_RETURN(Statement * st, db_->Prepare(fmt::format("SELECT {} FROM model_versions m {}",
                                                            kModelVersionColumns, sql_suffix)));
  bind(*st);
  std::vector<ModelVersion> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    out.push_back(ReadModelVersion(*st));
  }
  return out;
}

StatusOr<std::vector<AliasChange>> SqliteStore::QueryAliasChanges(
    const std::string& sql_suffix, const std::function<void(Statement&)>& bind) {
  ASSIGN_OR_RETURN(Statement * st, db_->Prepare(fmt::format("SELECT {} FROM model_alias_history h {}",
                                                            kAliasChangeColumns, sql_suffix)));
  bind(*st);
  std::vector<AliasChange> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    out.push_back(AliasChange{st->Int(0), st->Text(1), st->Text(2), st->OptInt(3), st->OptInt(4), st->Int(5),
                              st->Text(6)});
  }
  return out;
}

Status SqliteStore::RequireModel(std::string_view name) {
  RETURN_IF_ERROR(ValidateModelName(name));
  ASSIGN_OR_RETURN(Statement * st, db_->Prepare("SELECT 1 FROM registered_models WHERE name=?"));
  st->Bind(1, name);
  ASSIGN_OR_RETURN(bool row, st->Step());
  st->Reset();
  if (row) return OkStatus();
  ASSIGN_OR_RETURN(auto models, ListRegisteredModels());
  std::vector<std::string> names;
  for (const auto& m : models) names.push_back(m.name);
  std::string close = ClosestMatch(name, names);
  return NotFoundError(fmt::format("no registered model '{}'{}", name,
                                   close.empty() ? "" : fmt::format(" (did you mean '{}'?)", close)));
}

StatusOr<std::optional<int64_t>> SqliteStore::CurrentAlias(std::string_view name, std::string_view alias) {
  ASSIGN_OR_RETURN(Statement * st,
                   db_->Prepare("SELECT version FROM model_aliases WHERE name=? AND alias=?"));
  st->Bind(1, name).Bind(2, alias);
  ASSIGN_OR_RETURN(bool row, st->Step());
  std::optional<int64_t> out;
  if (row) out = st->Int(0);
  st->Reset();
  return out;
}

StatusOr<AliasChange> SqliteStore::MoveAlias(std::string_view name, std::string_view alias,
                                             std::optional<int64_t> from, std::optional<int64_t> to,
                                             std::string_view reason, int64_t changed_ns) {
  if (to) {
    ASSIGN_OR_RETURN(
        Statement * st,
        db_->Prepare("INSERT INTO model_aliases(name, alias, version, updated_ns) VALUES (?,?,?,?) "
                     "ON CONFLICT(name, alias) DO UPDATE SET version=excluded.version, "
                     "updated_ns=excluded.updated_ns"));
    RETURN_IF_ERROR(st->Bind(1, name).Bind(2, alias).Bind(3, *to).Bind(4, changed_ns).Run());
  } else {
    ASSIGN_OR_RETURN(Statement * st, db_->Prepare("DELETE FROM model_aliases WHERE name=? AND alias=?"));
    RETURN_IF_ERROR(st->Bind(1, name).Bind(2, alias).Run());
  }
  ASSIGN_OR_RETURN(Statement * st, db_->Prepare("INSERT INTO model_alias_history(name, alias, from_version, "
                                                "to_version, changed_ns, reason) VALUES (?,?,?,?,?,?)"));
  st->Bind(1, name).Bind(2, alias).Bind(3, from).Bind(4, to).Bind(5, changed_ns).Bind(6, reason);
  RETURN_IF_ERROR(st->Run());
  return AliasChange{db_->LastInsertId(), std::string(name),  std::string(alias), from, to,
                     changed_ns,          std::string(reason)};
}

StatusOr<ModelVersion> SqliteStore::RegisterModelVersion(const ModelVersion& version,
                                                         std::string_view description, bool* created) {
  RETURN_IF_ERROR(ValidateModelName(version.name));
  ModelVersion result;
  bool inserted = false;
  RETURN_IF_ERROR(InWriteTxn([&]() -> Status {
    auto artifact = GetArtifact(version.ref);
    if (artifact.status().code() == StatusCode::kNotFound) {
      return FailedPreconditionError(
          fmt::format("cannot register {}: artifact not in the metadata store", version.ref));
    }
    RETURN_IF_ERROR(artifact.status());
    ASSIGN_OR_RETURN(Statement * st,
                     db_->Prepare("INSERT OR IGNORE INTO registered_models(name, description, "
                                  "created_ns) VALUES (?,?,?)"));
    RETURN_IF_ERROR(st->Bind(1, version.name).Bind(2, description).Bind(3, version.created_ns).Run());
    if (!description.empty()) {
      ASSIGN_OR_RETURN(Statement * up,
                       db_->Prepare("UPDATE registered_models SET description=?1 WHERE name=?2 AND "
                                    "description != ?1"));
      RETURN_IF_ERROR(up->Bind(1, description).Bind(2, version.name).Run());
    }
    ASSIGN_OR_RETURN(auto existing, QueryModelVersions("WHERE m.name=? AND m.ref=?", [&](Statement& q) {
                       q.Bind(1, version.name).Bind(2, version.ref);
                     }));
    if (!existing.empty()) {
      result = existing[0];
      return OkStatus();
    }
    ASSIGN_OR_RETURN(
        Statement * ins,
        db_->Prepare("INSERT INTO model_versions(name, version, ref, source, run_id, execution_id, "
                     "metrics_json, created_ns) SELECT ?1, COALESCE(MAX(version), 0) + 1, ?2, ?3, ?4, "
                     "?5, ?6, ?7 FROM model_versions WHERE name = ?1 RETURNING version"));
    ins->Bind(1, version.name).Bind(2, version.ref).Bind(3, version.source).Bind(4, version.run_id);
    ins->Bind(5, version.execution_id).Bind(6, version.metrics_json.empty() ? "{}" : version.metrics_json);
    ins->Bind(7, version.created_ns);
    ASSIGN_OR_RETURN(bool row, ins->Step());
    if (!row) return InternalError("insert of a model version returned nothing");
    result = version;
    result.version = ins->Int(0);
    if (result.metrics_json.empty()) result.metrics_json = "{}";
    inserted = true;
    return ins->Run();
  }));
  if (created) *created = inserted;
  return result;
}

StatusOr<std::vector<RegisteredModel>> SqliteStore::ListRegisteredModels() {
  ASSIGN_OR_RETURN(Statement * st,
                   db_->Prepare("SELECT name, description, created_ns FROM registered_models ORDER BY name"));
  std::vector<RegisteredModel> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    out.push_back(RegisteredModel{st->Text(0), st->Text(1), st->Int(2)});
  }
  return out;
}

StatusOr<RegisteredModelDetail> SqliteStore::GetRegisteredModel(std::string_view name) {
  RETURN_IF_ERROR(RequireModel(name));
  RegisteredModelDetail out;
  ASSIGN_OR_RETURN(Statement * st,
                   db_->Prepare("SELECT name, description, created_ns FROM registered_models WHERE name=?"));
  st->Bind(1, name);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return NotFoundError(fmt::format("no registered model '{}'", name));
  out.model = RegisteredModel{st->Text(0), st->Text(1), st->Int(2)};
  st->Reset();
  ASSIGN_OR_RETURN(out.versions, QueryModelVersions("WHERE m.name=? ORDER BY m.version",
                                                    [&](Statement& q) { q.Bind(1, name); }));
  ASSIGN_OR_RETURN(Statement * al, db_->Prepare("SELECT name, alias, version, updated_ns FROM model_aliases "
                                                "WHERE name=? ORDER BY alias"));
  al->Bind(1, name);
  while (true) {
    ASSIGN_OR_RETURN(bool more, al->Step());
    if (!more) break;
    out.aliases.push_back(ModelAlias{al->Text(0), al->Text(1), al->Int(2), al->Int(3)});
  }
  return out;
}

StatusOr<ModelVersion> SqliteStore::ResolveModel(std::string_view text) {
  ASSIGN_OR_RETURN(ModelRefText parsed, ParseModelRef(text));
  RETURN_IF_ERROR(RequireModel(parsed.name));
  std::vector<ModelVersion> found;
  if (parsed.alias) {
    ASSIGN_OR_RETURN(
        found, QueryModelVersions("JOIN model_aliases a ON a.name = m.name AND a.version = m.version "
                                  "WHERE a.name=? AND a.alias=?",
                                  [&](Statement& q) { q.Bind(1, parsed.name).Bind(2, *parsed.alias); }));
    if (found.empty()) {
      ASSIGN_OR_RETURN(auto detail, GetRegisteredModel(parsed.name));
      std::vector<std::string> names;
      for (const auto& a : detail.aliases) names.push_back(a.alias);
      return NotFoundError(fmt::format("model '{}' has no alias '{}' (aliases: {})", parsed.name,
                                       *parsed.alias, names.empty() ? "none" : Join(names, ", ")));
    }
  } else if (parsed.version) {
    ASSIGN_OR_RETURN(found, QueryModelVersions("WHERE m.name=? AND m.version=?", [&](Statement& q) {
                       q.Bind(1, parsed.name).Bind(2, *parsed.version);
                     }));
    if (found.empty()) {
      ASSIGN_OR_RETURN(auto all, QueryModelVersions("WHERE m.name=? ORDER BY m.version",
                                                    [&](Statement& q) { q.Bind(1, parsed.name); }));
      return NotFoundError(fmt::format("model '{}' has no version {} (versions: {})", parsed.name,
                                       *parsed.version, VersionRangeText(all)));
    }
  } else {
    ASSIGN_OR_RETURN(found, QueryModelVersions("WHERE m.name=? ORDER BY m.version DESC LIMIT 1",
                                               [&](Statement& q) { q.Bind(1, parsed.name); }));
    if (found.empty()) return NotFoundError(fmt::format("model '{}' has no versions", parsed.name));
  }
  return found[0];
}

StatusOr<std::vector<ModelVersion>> SqliteStore::ModelVersionsOf(std::string_view ref) {
  return QueryModelVersions("WHERE m.ref=? ORDER BY m.name, m.version",
                            [&](Statement& q) { q.Bind(1, ref); });
}

StatusOr<AliasChange> SqliteStore::SetAlias(std::string_view name, std::string_view alias, int64_t version,
                                            std::string_view reason, int64_t changed_ns) {
  RETURN_IF_ERROR(ValidateAliasName(alias));
  AliasChange change;
  RETURN_IF_ERROR(InWriteTxn([&]() -> Status {
    RETURN_IF_ERROR(RequireModel(name));
    ASSIGN_OR_RETURN(auto target, QueryModelVersions("WHERE m.name=? AND m.version=?", [&](Statement& q) {
                       q.Bind(1, name).Bind(2, version);
                     }));
    if (target.empty()) {
      ASSIGN_OR_RETURN(auto all, QueryModelVersions("WHERE m.name=? ORDER BY m.version",
                                                    [&](Statement& q) { q.Bind(1, name); }));
      return NotFoundError(
          fmt::format("model '{}' has no version {} (versions: {})", name, version, VersionRangeText(all)));
    }
    ASSIGN_OR_RETURN(auto current, CurrentAlias(name, alias));
    if (current == version) {
      change = AliasChange{0, std::string(name), std::string(alias), current, current, changed_ns, ""};
      return OkStatus();
    }
    ASSIGN_OR_RETURN(change, MoveAlias(name, alias, current, version, reason, changed_ns));
    return OkStatus();
  }));
  return change;
}

StatusOr<AliasChange> SqliteStore::DeleteAlias(std::string_view name, std::string_view alias,
                                               std::string_view reason, int64_t changed_ns) {
  AliasChange change;
  RETURN_IF_ERROR(InWriteTxn([&]() -> Status {
    RETURN_IF_ERROR(RequireModel(name));
    ASSIGN_OR_RETURN(auto current, CurrentAlias(name, alias));
    if (!current) return NotFoundError(fmt::format("model '{}' has no alias '{}'", name, alias));
    ASSIGN_OR_RETURN(change, MoveAlias(name, alias, current, std::nullopt, reason, changed_ns));
    return OkStatus();
  }));
  return change;
}

StatusOr<AliasChange> SqliteStore::RollbackAlias(std::string_view name, std::string_view alias,
                                                 int64_t changed_ns) {
  AliasChange change;
  RETURN_IF_ERROR(InWriteTxn([&]() -> Status {
    RETURN_IF_ERROR(RequireModel(name));
    ASSIGN_OR_RETURN(auto last, QueryAliasChanges("WHERE h.name=? AND h.alias=? ORDER BY h.id DESC LIMIT 1",
                                                  [&](Statement& q) { q.Bind(1, name).Bind(2, alias); }));
    if (last.empty()) {
      return FailedPreconditionError(fmt::format("{}@{} was never set: nothing to roll back", name, alias));
    }
    if (!last[0].from_version) {
      return FailedPreconditionError(fmt::format(
          "{}@{} was created by its last move (at v{}): there is no earlier version to roll back to", name,
          alias, last[0].to_version.value_or(0)));
    }
    ASSIGN_OR_RETURN(auto current, CurrentAlias(name, alias));
    ASSIGN_OR_RETURN(change, MoveAlias(name, alias, current, last[0].from_version, "rollback", changed_ns));
    return OkStatus();
  }));
  return change;
}

StatusOr<std::vector<AliasChange>> SqliteStore::AliasHistory(std::string_view name, std::string_view alias) {
  RETURN_IF_ERROR(RequireModel(name));
  return QueryAliasChanges("WHERE h.name=?1 AND (?2 = '' OR h.alias=?2) ORDER BY h.id DESC",
                           [&](Statement& q) { q.Bind(1, name).Bind(2, alias); });
}

StatusOr<int64_t> SqliteStore::RegistryGeneration() {
  ASSIGN_OR_RETURN(Statement * st, db_->Prepare("SELECT generation FROM registry_generation WHERE id=1"));
  ASSIGN_OR_RETURN(bool row, st->Step());
  int64_t out = row ? st->Int(0) : 0;
  st->Reset();
  return out;
}

}  // namespace mlpipe::metadata
