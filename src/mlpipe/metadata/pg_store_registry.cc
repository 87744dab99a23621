// PgStore: the model registry (registered models, versions, aliases and
// their history). Every change to one model's versions or aliases first
// locks the model's row (SELECT ... FOR UPDATE): writers of one model take
// turns, so version numbers never repeat and each alias move's `from` is the
// previous move's `to`.
#include <fmt/format.h>

#include "mlpipe/base/strings.h"
#include "mlpipe/metadata/model_names.h"
#include "mlpipe/metadata/pg_store.h"

namespace mlpipe::metadata {
namespace {

constexpr const char* kPgModelVersionColumns =
    "m.name, m.version, m.ref, m.source, m.run_id, m.execution_id, m.metrics_json, m.created_ns";

}  // namespace

StatusOr<std::vector<ModelVersion>> PgStore::QueryModelVersions(const std::string& sql_suffix,
                                                                const PgParams& params) {
  ASSIGN_OR_RETURN(PgResult r, Q(fmt::format("SELECT {} FROM model_versions m {}", kPgModelVersionColumns,
                                             sql_suffix),
                                 params));
  std::vector<ModelVersion> out;
  for (int i = 0; i < r.rows(); ++i) {
    ModelVersion v;
    v.name = r.Text(i, 0);
    v.version = r.Int(i, 1);
    v.ref = r.Text(i, 2);
    v.source = r.Text(i, 3);
    v.run_id = r.OptInt(i, 4);
    v.execution_id = r.OptInt(i, 5);
    v.metrics_json = r.Text(i, 6);
    v.created_ns = r.Int(i, 7);
    out.push_back(std::move(v));
  }
  return out;
}

StatusOr<std::vector<AliasChange>> PgStore::QueryAliasChanges(const std::string& sql_suffix,
                                                              const PgParams& params) {
  ASSIGN_OR_RETURN(PgResult r, Q(fmt::format("SELECT h.id, h.name, h.alias, h.from_version, h.to_version, "
                                             "h.changed_ns, h.reason FROM model_alias_history h {}",
                                             sql_suffix),
                                 params));
  std::vector<AliasChange> out;
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back(AliasChange{r.Int(i, 0), r.Text(i, 1), r.Text(i, 2), r.OptInt(i, 3), r.OptInt(i, 4), r.Int(i, 5),
                              r.Text(i, 6)});
  }
  return out;
}

Status PgStore::RequireModel(std::string_view name, bool lock) {
  RETURN_IF_ERROR(ValidateModelName(name));
  ASSIGN_OR_RETURN(PgResult r, Q(lock ? "SELECT 1 FROM registered_models WHERE name=$1 FOR UPDATE"
                                      : "SELECT 1 FROM registered_models WHERE name=$1",
                                 PgParams().Add(name)));
  if (r.rows() > 0) return OkStatus();
  ASSIGN_OR_RETURN(PgResult all, Q("SELECT name FROM registered_models ORDER BY name"));
  std::vector<std::string> names;
  for (int i = 0; i < all.rows(); ++i) names.push_back(all.Text(i, 0));
  std::string close = ClosestMatch(name, names);
  return NotFoundError(fmt::format("no registered model '{}'{}", name,
                                   close.empty() ? "" : fmt::format(" (did you mean '{}'?)", close)));
}

StatusOr<std::optional<int64_t>> PgStore::CurrentAlias(std::string_view name, std::string_view alias) {
  ASSIGN_OR_RETURN(PgResult r, Q("SELECT version FROM model_aliases WHERE name=$1 AND alias=$2",
                                 PgParams().Add(name).Add(alias)));
  std::optional<int64_t> out;
  if (r.rows() > 0) out = r.Int(0, 0);
  return out;
}

StatusOr<AliasChange> PgStore::MoveAlias(std::string_view name, std::string_view alias, std::optional<int64_t> from,
                                         std::optional<int64_t> to, std::string_view reason, int64_t changed_ns) {
  if (to) {
    RETURN_IF_ERROR(Q("INSERT INTO model_aliases(name, alias, version, updated_ns) VALUES ($1,$2,$3,$4) "
                      "ON CONFLICT (name, alias) DO UPDATE SET version=excluded.version, "
                      "updated_ns=excluded.updated_ns",
                      PgParams().Add(name).Add(alias).Add(*to).Add(changed_ns))
                        .status());
  } else {
    RETURN_IF_ERROR(
        Q("DELETE FROM model_aliases WHERE name=$1 AND alias=$2", PgParams().Add(name).Add(alias)).status());
  }
  ASSIGN_OR_RETURN(PgResult r, Q("INSERT INTO model_alias_history(name, alias, from_version, to_version, changed_ns, "
                                 "reason) VALUES ($1,$2,$3,$4,$5,$6) RETURNING id",
                                 PgParams().Add(name).Add(alias).Add(from).Add(to).Add(changed_ns).Add(reason)));
  return AliasChange{r.Int(0, 0), std::string(name), std::string(alias), from, to, changed_ns, std::string(reason)};
}

StatusOr<ModelVersion> PgStore::RegisterModelVersion(const ModelVersion& version, std::string_view description,
                                                     bool* created) {
  RETURN_IF_ERROR(ValidateModelName(version.name));
  ModelVersion result;
  bool inserted = false;
  RETURN_IF_ERROR(Call([&] {
    inserted = false;
    return InTxn([&]() -> Status {
      ASSIGN_OR_RETURN(PgResult artifact, Q("SELECT 1 FROM artifacts WHERE ref=$1", PgParams().Add(version.ref)));
      if (artifact.rows() == 0) {
        return FailedPreconditionError(
            fmt::format("cannot register {}: artifact not in the metadata store", version.ref));
      }
      RETURN_IF_ERROR(Q("INSERT INTO registered_models(name, description, created_ns) VALUES ($1,$2,$3) "
                        "ON CONFLICT (name) DO NOTHING",
                        PgParams().Add(version.name).Add(description).Add(version.created_ns))
                          .status());
      RETURN_IF_ERROR(RequireModel(version.name, /*lock=*/true));
      if (!description.empty()) {
        RETURN_IF_ERROR(Q("UPDATE registered_models SET description=$1 WHERE name=$2 AND description != $1",
                          PgParams().Add(description).Add(version.name))
                            .status());
      }
      ASSIGN_OR_RETURN(auto existing,
                       QueryModelVersions("WHERE m.name=$1 AND m.ref=$2", PgParams().Add(version.name).Add(version.ref)));
      if (!existing.empty()) {
        result = existing[0];
        return OkStatus();
      }
      const std::string metrics = version.metrics_json.empty() ? "{}" : version.metrics_json;
      PgParams p;
      p.Add(version.name).Add(version.ref).Add(version.source).Add(version.run_id).Add(version.execution_id);
      p.Add(metrics).Add(version.created_ns);
      ASSIGN_OR_RETURN(PgResult r,
                       Q("INSERT INTO model_versions(name, version, ref, source, run_id, execution_id, metrics_json, "
                         "created_ns) SELECT $1::text, COALESCE(MAX(version), 0) + 1, $2::text, $3::text, $4::bigint, "
                         "$5::bigint, $6::text, $7::bigint FROM model_versions WHERE name = $1::text RETURNING version",
                         p));
      result = version;
      result.version = r.Int(0, 0);
      result.metrics_json = metrics;
      inserted = true;
      return OkStatus();
    });
  }));
  if (created) *created = inserted;
  return result;
}

StatusOr<std::vector<RegisteredModel>> PgStore::ListRegisteredModels() {
  return CallFor<std::vector<RegisteredModel>>([&]() -> StatusOr<std::vector<RegisteredModel>> {
    ASSIGN_OR_RETURN(PgResult r, Q("SELECT name, description, created_ns FROM registered_models ORDER BY name"));
    std::vector<RegisteredModel> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(RegisteredModel{r.Text(i, 0), r.Text(i, 1), r.Int(i, 2)});
    return out;
  });
}

StatusOr<RegisteredModelDetail> PgStore::GetRegisteredModel(std::string_view name) {
  return CallFor<RegisteredModelDetail>([&]() -> StatusOr<RegisteredModelDetail> {
    RETURN_IF_ERROR(RequireModel(name));
    RegisteredModelDetail out;
    ASSIGN_OR_RETURN(PgResult m, Q("SELECT name, description, created_ns FROM registered_models WHERE name=$1",
                                   PgParams().Add(name)));
    if (m.rows() == 0) return NotFoundError(fmt::format("no registered model '{}'", name));
    out.model = RegisteredModel{m.Text(0, 0), m.Text(0, 1), m.Int(0, 2)};
    ASSIGN_OR_RETURN(out.versions, QueryModelVersions("WHERE m.name=$1 ORDER BY m.version", PgParams().Add(name)));
    ASSIGN_OR_RETURN(PgResult a, Q("SELECT name, alias, version, updated_ns FROM model_aliases WHERE name=$1 "
                                   "ORDER BY alias",
                                   PgParams().Add(name)));
    for (int i = 0; i < a.rows(); ++i) {
      out.aliases.push_back(ModelAlias{a.Text(i, 0), a.Text(i, 1), a.Int(i, 2), a.Int(i, 3)});
    }
    return out;
  });
}

StatusOr<ModelVersion> PgStore::ResolveModel(std::string_view text) {
  ASSIGN_OR_RETURN(ModelRefText parsed, ParseModelRef(text));
  return CallFor<ModelVersion>([&]() -> StatusOr<ModelVersion> {
    RETURN_IF_ERROR(RequireModel(parsed.name));
    std::vector<ModelVersion> found;
    if (parsed.alias) {
      ASSIGN_OR_RETURN(found, QueryModelVersions("JOIN model_aliases a ON a.name = m.name AND a.version = m.version "
                                                 "WHERE a.name=$1 AND a.alias=$2",
                                                 PgParams().Add(parsed.name).Add(*parsed.alias)));
      if (found.empty()) {
        ASSIGN_OR_RETURN(PgResult a, Q("SELECT alias FROM model_aliases WHERE name=$1 ORDER BY alias",
                                       PgParams().Add(parsed.name)));
        std::vector<std::string> names;
        for (int i = 0; i < a.rows(); ++i) names.push_back(a.Text(i, 0));
        return NotFoundError(fmt::format("model '{}' has no alias '{}' (aliases: {})", parsed.name, *parsed.alias,
                                         names.empty() ? "none" : Join(names, ", ")));
      }
    } else if (parsed.version) {
      ASSIGN_OR_RETURN(found, QueryModelVersions("WHERE m.name=$1 AND m.version=$2",
                                                 PgParams().Add(parsed.name).Add(*parsed.version)));
      if (found.empty()) {
        ASSIGN_OR_RETURN(auto all,
                         QueryModelVersions("WHERE m.name=$1 ORDER BY m.version", PgParams().Add(parsed.name)));
        return NotFoundError(fmt::format("model '{}' has no version {} (versions: {})", parsed.name,
                                         *parsed.version, VersionRangeText(all)));
      }
    } else {
      ASSIGN_OR_RETURN(found, QueryModelVersions("WHERE m.name=$1 ORDER BY m.version DESC LIMIT 1",
                                                 PgParams().Add(parsed.name)));
      if (found.empty()) return NotFoundError(fmt::format("model '{}' has no versions", parsed.name));
    }
    return found[0];
  });
}

StatusOr<std::vector<ModelVersion>> PgStore::ModelVersionsOf(std::string_view ref) {
  return CallFor<std::vector<ModelVersion>>(
      [&] { return QueryModelVersions("WHERE m.ref=$1 ORDER BY m.name, m.version", PgParams().Add(ref)); });
}

StatusOr<AliasChange> PgStore::SetAlias(std::string_view name, std::string_view alias, int64_t version,
                                        std::string_view reason, int64_t changed_ns) {
  RETURN_IF_ERROR(ValidateAliasName(alias));
  AliasChange change;
  RETURN_IF_ERROR(Call([&] {
    return InTxn([&]() -> Status {
      RETURN_IF_ERROR(RequireModel(name, /*lock=*/true));
      ASSIGN_OR_RETURN(auto target,
                       QueryModelVersions("WHERE m.name=$1 AND m.version=$2", PgParams().Add(name).Add(version)));
      if (target.empty()) {
        ASSIGN_OR_RETURN(auto all, QueryModelVersions("WHERE m.name=$1 ORDER BY m.version", PgParams().Add(name)));
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
    });
  }));
  return change;
}

StatusOr<AliasChange> PgStore::DeleteAlias(std::string_view name, std::string_view alias, std::string_view reason,
                                           int64_t changed_ns) {
  AliasChange change;
  RETURN_IF_ERROR(Call([&] {
    return InTxn([&]() -> Status {
      RETURN_IF_ERROR(RequireModel(name, /*lock=*/true));
      ASSIGN_OR_RETURN(auto current, CurrentAlias(name, alias));
      if (!current) return NotFoundError(fmt::format("model '{}' has no alias '{}'", name, alias));
      ASSIGN_OR_RETURN(change, MoveAlias(name, alias, current, std::nullopt, reason, changed_ns));
      return OkStatus();
    });
  }));
  return change;
}

StatusOr<AliasChange> PgStore::RollbackAlias(std::string_view name, std::string_view alias, int64_t changed_ns) {
  AliasChange change;
  RETURN_IF_ERROR(Call([&] {
    return InTxn([&]() -> Status {
      RETURN_IF_ERROR(RequireModel(name, /*lock=*/true));
      ASSIGN_OR_RETURN(auto last, QueryAliasChanges("WHERE h.name=$1 AND h.alias=$2 ORDER BY h.id DESC LIMIT 1",
                                                    PgParams().Add(name).Add(alias)));
      if (last.empty()) {
        return FailedPreconditionError(fmt::format("{}@{} was never set: nothing to roll back", name, alias));
      }
      if (!last[0].from_version) {
        return FailedPreconditionError(
            fmt::format("{}@{} was created by its last move (at v{}): there is no earlier version to roll back to",
                        name, alias, last[0].to_version.value_or(0)));
      }
      ASSIGN_OR_RETURN(auto current, CurrentAlias(name, alias));
      ASSIGN_OR_RETURN(change, MoveAlias(name, alias, current, last[0].from_version, "rollback", changed_ns));
      return OkStatus();
    });
  }));
  return change;
}

StatusOr<std::vector<AliasChange>> PgStore::AliasHistory(std::string_view name, std::string_view alias) {
  return CallFor<std::vector<AliasChange>>([&]() -> StatusOr<std::vector<AliasChange>> {
    RETURN_IF_ERROR(RequireModel(name));
    return QueryAliasChanges("WHERE h.name=$1 AND ($2 = '' OR h.alias=$2) ORDER BY h.id DESC",
                             PgParams().Add(name).Add(alias));
  });
}

StatusOr<int64_t> PgStore::RegistryGeneration() {
  return CallFor<int64_t>([&]() -> StatusOr<int64_t> {
    ASSIGN_OR_RETURN(PgResult r, Q("SELECT generation FROM registry_generation WHERE id=1"));
    return r.rows() > 0 ? r.Int(0, 0) : 0;
  });
}

}  // namespace mlpipe::metadata
