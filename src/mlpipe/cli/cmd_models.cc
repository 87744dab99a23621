// mlpipe models list | show | register | alias | rollback: the model registry
// (docs/model-registry.md). The records live in the metadata store; this file
// only parses and prints (registering: engine/model_registration.h).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "mlpipe/base/clock.h"
#include "mlpipe/base/strings.h"
#include "mlpipe/cli/commands.h"
#include "mlpipe/cli/format.h"
#include "mlpipe/cli/workspace.h"
#include "mlpipe/engine/model_registration.h"
#include "mlpipe/engine/pipeline_lock.h"

namespace mlpipe::cli {
namespace {

using metadata::AliasChange;
using metadata::ModelVersion;
using nlohmann::json;

// Option storage for every models subcommand; outlives parsing.
struct ModelsArgs {
  std::string name;
  std::string ref;
  std::string alias = "champion";
  std::string version;  // "3" or "v3"
  std::vector<std::string> aliases;
  std::string description;
  std::string reason;
  bool remove = false;
  bool json = false;
};

std::string VersionText(const std::optional<int64_t>& v) { return v ? fmt::format("v{}", *v) : "-"; }

json MetricsOf(const ModelVersion& v) {
  json m = json::parse(v.metrics_json, nullptr, /*allow_exceptions=*/false);
  return m.is_object() ? m : json::object();
}

// The headline metrics for a table cell: model-quality ones first
// (roc_auc, accuracy, f1, rmse, ...; the shortest key of each), then the
// rest by name; at most `n`, then "+K more".
std::string MetricsSummary(const json& metrics, size_t n = 3) {
  static const char* kHeadline[] = {"roc_auc", "accuracy", "f1", "rmse", "mae", "r2", "log_loss"};
  std::vector<std::string> keys;
  for (const char* want : kHeadline) {
    std::string best;
    for (const auto& [k, v] : metrics.items()) {
      bool match = k == want || EndsWith(k, std::string(".") + want);
      if (match && (best.empty() || k.size() < best.size())) best = k;
    }
    if (!best.empty()) keys.push_back(best);
  }
  for (const auto& [k, v] : metrics.items()) {
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
  }
  std::vector<std::string> parts;
  for (const auto& k : keys) {
    if (parts.size() == n) {
      parts.push_back(fmt::format("+{} more", metrics.size() - n));
      break;
    }
    const json& v = metrics[k];
    parts.push_back(v.is_number() ? fmt::format("{}={:.4g}", k, v.get<double>()) : k + "=" + v.dump());
  }
  return Join(parts, ", ");
}

json VersionJson(const ModelVersion& v, const std::vector<std::string>& aliases) {
  return {{"name", v.name},
          {"version", v.version},
          {"label", v.Label()},
          {"digest", v.ref},
          {"source", v.source},
          {"run", v.run_id ? json(*v.run_id) : json()},
          {"execution", v.execution_id ? json(*v.execution_id) : json()},
          {"metrics", MetricsOf(v)},
          {"aliases", aliases},
          {"created", FormatTime(v.created_ns)},
          {"created_ns", v.created_ns}};
}

json ChangeJson(const AliasChange& c) {
  return {{"id", c.id},
          {"alias", c.alias},
          {"from", c.from_version ? json(*c.from_version) : json()},
          {"to", c.to_version ? json(*c.to_version) : json()},
          {"reason", c.reason},
          {"time", FormatTime(c.changed_ns)},
          {"changed_ns", c.changed_ns}};
}

// "NAME@ALIAS: v1 -> v3 (reason)".
std::string ChangeText(const AliasChange& c) {
  return fmt::format("{}@{}: {} -> {}{}", c.name, c.alias, VersionText(c.from_version),
                     VersionText(c.to_version), c.reason.empty() ? "" : " (" + c.reason + ")");
}

StatusOr<int64_t> ParseVersion(const std::string& text) {
  std::string_view digits = text;
  if (!digits.empty() && (digits[0] == 'v' || digits[0] == 'V')) digits.remove_prefix(1);
  int64_t n = 0;
  bool ok = !digits.empty() && digits.size() <= 15;
  for (char c : digits) {
    if (c < '0' || c > '9') ok = false;
    n = ok ? n * 10 + (c - '0') : 0;
  }
  if (!ok || n <= 0)
    return InvalidArgumentError(fmt::format("bad version '{}' (want a number: 3 or v3)", text));
  return n;
}

Status CmdModelsRegister(const ModelsArgs& args) {
  ASSIGN_OR_RETURN(auto s, OpenAll());
  // Shared with runs: `artifacts gc` must not remove the object being registered.
  engine::FileLock workspace_lock;
  RETURN_IF_ERROR(engine::LockWorkspaceShared(workspace_lock, s.ws, std::cerr));
  engine::RegisterRequest request;
  request.model = args.name;
  request.artifact = args.ref;
  request.aliases = args.aliases;
  request.description = args.description;
  request.reason = [&](const ModelVersion& v) {
    return args.reason.empty() ? fmt::format("registered {} with --alias", v.Label()) : args.reason;
  };
  ASSIGN_OR_RETURN(engine::RegisterResult r,
                   engine::RegisterModel(*s.db, *s.objects, request, RealClock().WallNanos()));
  const ModelVersion& v = r.version;
  const bool created = r.created;
  const std::vector<AliasChange>& changes = r.moved;
  if (args.json) {
    json out = VersionJson(v, args.aliases);
    out["created_now"] = created;
    json moved = json::array();
    for (const auto& c : changes) moved.push_back(ChangeJson(c));
    out["alias_changes"] = moved;
    std::cout << out.dump(2) << "\n";
    return OkStatus();
  }
  if (created) {
    std::cout << fmt::format("registered {} v{}\n", v.name, v.version);
  } else {
    std::cout << fmt::format("{} is already registered as {} v{} (from {})\n", args.ref, v.name, v.version,
                             v.source);
  }
  for (const auto& c : changes) std::cout << ChangeText(c) << "\n";
  return OkStatus();
}

Status CmdModelsList(const ModelsArgs& args) {
  ASSIGN_OR_RETURN(auto s, OpenAll());
  ASSIGN_OR_RETURN(auto models, s.db->ListRegisteredModels());
  json out = json::array();
  std::vector<std::vector<std::string>> rows = {
      {"NAME", "VERSIONS", "LATEST", "ALIASES", "DESCRIPTION", "CREATED"}};
  for (const auto& m : models) {
    ASSIGN_OR_RETURN(auto d, s.db->GetRegisteredModel(m.name));
    json aliases = json::object();
    std::vector<std::string> alias_text;
    for (const auto& a : d.aliases) {
      aliases[a.alias] = a.version;
      alias_text.push_back(fmt::format("{}=v{}", a.alias, a.version));
    }
    int64_t latest = d.versions.empty() ? 0 : d.versions.back().version;
    out.push_back({{"name", m.name},
                   {"description", m.description},
                   {"versions", d.versions.size()},
                   {"latest", latest},
                   {"aliases", aliases},
                   {"created", FormatTime(m.created_ns)}});
    rows.push_back({m.name, std::to_string(d.versions.size()), latest ? fmt::format("v{}", latest) : "-",
                    Join(alias_text, ", "), m.description, FormatTime(m.created_ns)});
  }
  if (args.json) {
    std::cout << out.dump(2) << "\n";
  } else if (models.empty()) {
    std::cout << "no registered models yet (`mlpipe models register NAME REF`)\n";
  } else {
    std::cout << FormatTable(rows);
  }
  return OkStatus();
}

Status CmdModelsShow(const ModelsArgs& args) {
  ASSIGN_OR_RETURN(auto s, OpenAll());
  ASSIGN_OR_RETURN(auto d, s.db->GetRegisteredModel(args.name));
  ASSIGN_OR_RETURN(auto history, s.db->AliasHistory(args.name));
  std::map<int64_t, std::vector<std::string>> aliases_of;
  json aliases = json::object();
  for (const auto& a : d.aliases) {
    aliases_of[a.version].push_back(a.alias);
    aliases[a.alias] = a.version;
  }
  if (args.json) {
    json versions = json::array();
    for (const auto& v : d.versions) versions.push_back(VersionJson(v, aliases_of[v.version]));
    json hist = json::array();
    for (const auto& c : history) hist.push_back(ChangeJson(c));
    std::cout << json{{"name", d.model.name},
                      {"description", d.model.description},
                      {"created", FormatTime(d.model.created_ns)},
                      {"versions", versions},
                      {"aliases", aliases},
                      {"alias_history", hist}}
                     .dump(2)
              << "\n";
    return OkStatus();
  }
  std::cout << d.model.name << (d.model.description.empty() ? "" : "  " + d.model.description) << "\n";
  std::cout << "  created  " << FormatTime(d.model.created_ns) << "\n\nversions:\n";
  std::vector<std::vector<std::string>> rows = {
      {"VERSION", "ALIASES", "SOURCE", "RUN", "METRICS", "CREATED"}};
  for (auto it = d.versions.rbegin(); it != d.versions.rend(); ++it) {
    rows.push_back({fmt::format("v{}", it->version), Join(aliases_of[it->version], ", "), it->source,
                    it->run_id ? std::to_string(*it->run_id) : "-", MetricsSummary(MetricsOf(*it)),
                    FormatTime(it->created_ns)});
  }
  std::cout << FormatTable(rows);
  if (!history.empty()) {
    std::cout << "\nalias history (newest first):\n";
    std::vector<std::vector<std::string>> hrows = {{"TIME", "ALIAS", "FROM", "TO", "REASON"}};
    for (const auto& c : history) {
      hrows.push_back({FormatTime(c.changed_ns), c.alias, VersionText(c.from_version),
                       VersionText(c.to_version), c.reason});
    }
    std::cout << FormatTable(hrows);
  }
  return OkStatus();
}

Status PrintChange(const AliasChange& c, bool as_json) {
  if (as_json) {
    json out = ChangeJson(c);
    out["name"] = c.name;
    out["moved"] = c.id != 0;
    std::cout << out.dump(2) << "\n";
  } else if (c.id == 0) {
    std::cout << fmt::format("{}@{} already points at {}; nothing changed\n", c.name, c.alias,
                             VersionText(c.to_version));
  } else {
    std::cout << ChangeText(c) << "\n";
  }
  return OkStatus();
}

Status CmdModelsAlias(const ModelsArgs& args) {
  if (args.remove == !args.version.empty()) {
    return InvalidArgumentError("give either a VERSION to point the alias at, or --delete");
  }
  ASSIGN_OR_RETURN(auto s, OpenAll());
  int64_t now = RealClock().WallNanos();
  if (args.remove) {
    ASSIGN_OR_RETURN(
        AliasChange c,
        s.db->DeleteAlias(args.name, args.alias, args.reason.empty() ? "deleted by hand" : args.reason, now));
    return PrintChange(c, args.json);
  }
  ASSIGN_OR_RETURN(int64_t version, ParseVersion(args.version));
  ASSIGN_OR_RETURN(AliasChange c, s.db->SetAlias(args.name, args.alias, version,
                                                 args.reason.empty() ? "set by hand" : args.reason, now));
  return PrintChange(c, args.json);
}

Status CmdModelsRollback(const ModelsArgs& args) {
  ASSIGN_OR_RETURN(auto s, OpenAll());
  ASSIGN_OR_RETURN(AliasChange c, s.db->RollbackAlias(args.name, args.alias, RealClock().WallNanos()));
  return PrintChange(c, args.json);
}

}  // namespace

void AddModelsCommands(CLI::App& app, Action* action) {
  // One heap-owned args struct per subcommand, alive for the whole program.
  auto* models = app.add_subcommand("models", "Model registry: list, show, register, alias, rollback");
  models->require_subcommand(1);
  auto bind = [action](CLI::App* cmd, ModelsArgs* args, Status (*fn)(const ModelsArgs&)) {
    cmd->callback([action, args, fn] { *action = [args, fn] { return fn(*args); }; });
  };

  static auto* list_args = new ModelsArgs;
  auto* list = models->add_subcommand("list", "Registered models with their versions and aliases");
  list->add_flag("--json", list_args->json, "Output as JSON");
  bind(list, list_args, CmdModelsList);

  static auto* show_args = new ModelsArgs;
  auto* show =
      models->add_subcommand("show", "A model's versions (source, run, metrics, aliases) and alias history");
  show->add_option("name", show_args->name, "Registered model name")->required();
  show->add_flag("--json", show_args->json, "Output as JSON");
  bind(show, show_args, CmdModelsShow);

  static auto* reg_args = new ModelsArgs;
  auto* reg =
      models->add_subcommand("register", "Register a model package artifact as the model's next version");
  reg->add_option("name", reg_args->name, "Registered model name (created if new)")->required();
  reg->add_option("ref", reg_args->ref, "The model package: PIPELINE.STEP.OUTPUT, ...:vN or sha256:HEX")
      ->required();
  reg->add_option("--alias", reg_args->aliases, "Point this alias at the new version (repeatable)");
  reg->add_option("--description", reg_args->description, "The model's description");
  reg->add_option("--reason", reg_args->reason, "Why (recorded with the alias moves)");
  reg->add_flag("--json", reg_args->json, "Output as JSON");
  bind(reg, reg_args, CmdModelsRegister);

  static auto* alias_args = new ModelsArgs;
  alias_args->alias.clear();
  auto* alias =
      models->add_subcommand("alias", "Point an alias at a version (create or move), or --delete it");
  alias->add_option("name", alias_args->name, "Registered model name")->required();
  alias->add_option("alias", alias_args->alias, "Alias: champion, challenger, staging, ...")->required();
  alias->add_option("version", alias_args->version, "Version: 3 or v3");
  alias->add_option("--reason", alias_args->reason, "Why (recorded in the alias history)");
  alias->add_flag("--delete", alias_args->remove, "Remove the alias (recorded in the history)");
  alias->add_flag("--json", alias_args->json, "Output as JSON");
  bind(alias, alias_args, CmdModelsAlias);

  static auto* rollback_args = new ModelsArgs;
  auto* rollback =
      models->add_subcommand("rollback", "Move an alias back to where it pointed before its last move");
  rollback->add_option("name", rollback_args->name, "Registered model name")->required();
  rollback->add_option("alias", rollback_args->alias, "Alias (default: champion)");
  rollback->add_flag("--json", rollback_args->json, "Output as JSON");
  bind(rollback, rollback_args, CmdModelsRollback);
}

}  // namespace mlpipe::cli
