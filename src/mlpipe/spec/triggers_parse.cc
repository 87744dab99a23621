// Reading the pipeline's triggers: list: each entry a map of one key, its
// kind (schedule, on_change, on_commit, on_model, webhook, on_drift, all,
// any; since_last_run inside all:), checked as far as the file can tell.
#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <system_error>

#include "mlpipe/spec/load_state.h"
#include "mlpipe/spec/units.h"

namespace mlpipe::spec {

namespace {

struct TriggerKindInfo {
  TriggerSpec::Kind kind;
  const char* name;
};
constexpr TriggerKindInfo kTriggerKinds[] = {
    {TriggerSpec::Kind::kSchedule, "schedule"},
    {TriggerSpec::Kind::kOnChange, "on_change"},
    {TriggerSpec::Kind::kOnCommit, "on_commit"},
    {TriggerSpec::Kind::kOnModel, "on_model"},
    {TriggerSpec::Kind::kWebhook, "webhook"},
    {TriggerSpec::Kind::kOnDrift, "on_drift"},
    {TriggerSpec::Kind::kSinceLastRun, "since_last_run"},
    {TriggerSpec::Kind::kAll, "all"},
    {TriggerSpec::Kind::kAny, "any"},
};

}  // namespace

const char* TriggerKindName(TriggerSpec::Kind kind) {
  for (const auto& k : kTriggerKinds) {
    if (k.kind == kind) return k.name;
  }
  return "schedule";
}

namespace internal {
namespace {

namespace fs = std::filesystem;
using Kind = TriggerSpec::Kind;

const std::vector<std::string> kOnCommitKeys = {"repo", "branch"};
const std::vector<std::string> kOnModelKeys = {"model", "alias"};
const std::vector<std::string> kOnDriftKeys = {"deployment", "psi", "ks_p", "min_rows"};
constexpr const char* kCronHint =
    "five fields: minute hour day-of-month month day-of-week (\"0 3 * * 1-5\": 03:00 on weekdays, local "
    "time), or @hourly, @daily, @weekly, @monthly, @yearly";

std::vector<std::string> KindNames() {
  std::vector<std::string> out;
  for (const auto& k : kTriggerKinds) out.push_back(k.name);
  return out;
}

// A git branch name as `git check-ref-format --branch` would mostly take it.
bool IsBranchName(std::string_view name) {
  if (name.empty() || name[0] == '-' || name[0] == '/' || name.back() == '/' || name.back() == '.')
    return false;
  if (name.find("..") != std::string_view::npos || name.find("//") != std::string_view::npos) return false;
  if (name.find("@{") != std::string_view::npos) return false;
  if (name.size() >= 5 && name.substr(name.size() - 5) == ".lock") return false;
  for (char c : name) {
    if (static_cast<unsigned char>(c) <= ' ' || c == '~' || c == '^' || c == ':' || c == '?' || c == '*' ||
        c == '[' || c == '\\' || c == 0x7f) {
      return false;
    }
  }
  return true;
}

// The project a pipeline belongs to: the nearest folder from `dir` up that
// holds the workspace (.mlpipe) or a git repository (.git); `dir` itself if
// none does.
std::string ProjectRoot(const std::string& dir) {
  std::error_code ec;
  for (fs::path p = dir; !p.empty(); p = p.parent_path()) {
    if (fs::exists(p / ".mlpipe", ec) || fs::exists(p / ".git", ec)) return p.string();
    if (p == p.parent_path()) break;
  }
  return dir;
}

class TriggerParser {
 public:
  TriggerParser(LoadState& st, PipelineSpec* spec) : st_(st), diags_(st.diags), spec_(spec) {}

  // Reads the items of `list` (a sequence) into *out; `parent` is the id of
  // the all:/any: holding them ("" at the top), `kind` its kind.
  void ParseList(const YamlNode& list, const std::string& parent, Kind parent_kind,
                 std::vector<TriggerSpec>* out) {
    const auto items = list.items();
    for (size_t i = 0; i < items.size(); ++i) {
      TriggerSpec t;
      if (ParseOne(*items[i], i + 1, parent, parent_kind, &t)) out->push_back(std::move(t));
    }
  }

 private:
  // "trigger 3" or "trigger 2 of all#3" for messages.
  static std::string Where(size_t position, const std::string& parent) {
    return parent.empty() ? fmt::format("trigger {}", position)
                          : fmt::format("trigger {} of {}", position, parent);
  }

  bool ParseOne(const YamlNode& node, size_t position, const std::string& parent, Kind parent_kind,
                TriggerSpec* t) {
    const std::string where = Where(position, parent);
    if (!node.IsMap() || node.size() != 1) {
      std::string got = NodeKindName(node);
      if (node.IsMap()) {
        std::vector<std::string> keys;
        for (const auto& pair : node.pairs()) keys.emplace_back(pair.key->Scalar());
        got = fmt::format("a map of {} keys ({})", keys.size(), fmt::join(keys, ", "));
      }
      diags_.Error(node, fmt::format("{} must be a map of one key, its kind, got {}", where, got),
                   node.IsMap() && node.size() > 1
                       ? "write each trigger as its own list item; all: [...] combines conditions"
                       : "write e.g. - schedule: \"0 3 * * *\" or - on_change: [data/]");
      return false;
    }
    const auto entries = MapEntries(node, diags_, nullptr, where);
    if (entries.empty()) return false;  // a key that is no scalar, reported
    const MapEntry& e = entries[0];
    const TriggerKindInfo* info = nullptr;
    for (const auto& k : kTriggerKinds) {
      if (e.name == k.name) info = &k;
    }
    if (info == nullptr) {
      diags_.Error(
          e.key_loc, fmt::format("unknown trigger kind '{}' in {}", e.name, where),
          DidYouMean(e.name, KindNames(),
                     "the kinds are schedule, on_change, on_commit, on_model, webhook, on_drift, all, "
                     "any (and since_last_run inside all:)"));
      return false;
    }
    t->kind = info->kind;
    t->loc = diags_.Loc(node);
    const std::string own = fmt::format("{}#{}", info->name, position);
    t->id = parent.empty() ? own : parent + "/" + own;
    const size_t errors = diags_.count();
    switch (t->kind) {
      case Kind::kSchedule:
        ParseSchedule(e, where, t);
        break;
      case Kind::kOnChange:
        ParseOnChange(e, where, t);
        break;
      case Kind::kOnCommit:
        ParseOnCommit(e, where, t);
        break;
      case Kind::kOnModel:
        ParseOnModel(e, where, t);
        break;
      case Kind::kWebhook:
        ParseWebhook(e, where, t);
        break;
      case Kind::kOnDrift:
        ParseOnDrift(e, where, t);
        break;
      case Kind::kSinceLastRun:
        ParseSinceLastRun(e, where, parent_kind, t);
        break;
      case Kind::kAll:
      case Kind::kAny:
        ParseCombination(e, where, t);
        break;
    }
    return diags_.count() == errors;
  }

  void ParseSchedule(const MapEntry& e, const std::string& where, TriggerSpec* t) {
    auto text = GetText(e, diags_, "schedule of " + where);
    if (!text) return;
    auto cron = CronSchedule::Parse(*text);
    if (!cron.ok()) {
      diags_.Error(FieldPos(*e.value, *text, cron.status().message(), e.loc),
                   fmt::format("bad schedule '{}' in {}: {}", *text, where, cron.status().message()),
                   kCronHint);
      return;
    }
    t->cron = *cron;
  }

  // Where the field a cron error names ("hour field '24': ...") starts, when
  // the schedule is written on one line; else `fallback`.
  static Pos FieldPos(const YamlNode& value, std::string_view text, std::string_view message, Pos fallback) {
    static constexpr const char* kFieldNames[] = {"minute", "hour", "day-of-month", "month", "day-of-week"};
    if (text.find('\n') != std::string_view::npos || fallback.line == 0) return fallback;
    int field = -1;
    for (int i = 0; i < 5; ++i) {
      if (message.rfind(fmt::format("{} field '", kFieldNames[i]), 0) == 0) field = i;
    }
    if (field < 0) return fallback;
    size_t at = 0;
    for (int i = 0; i <= field; ++i) {
      at = text.find_first_not_of(" \t", at);
      if (at == std::string_view::npos) return fallback;
      if (i < field) at = text.find_first_of(" \t", at);
    }
    const int quote = value.IsPlainScalar() ? 0 : 1;
    return Pos{fallback.line, fallback.column + quote + static_cast<int>(at)};
  }

  void ParseOnChange(const MapEntry& e, const std::string& where, TriggerSpec* t) {
    if (e.value->IsSequence() && e.value->size() == 0) {
      diags_.Error(e.loc, fmt::format("on_change of {} is an empty list", where),
                   "write on_change: [data/loans.csv, data/new/] (files and folders relative to the pipeline "
                   "file's folder)");
      return;
    }
    auto paths = GetPlacedTextList(e, diags_, "on_change of " + where);
    if (!paths) return;
    if (project_.empty()) project_ = NormalizePath(ProjectRoot(st_.dir));
    for (auto& [path, pos] : *paths) {
      const std::string full = NormalizePath(fs::path(path).is_absolute() ? path : st_.dir + "/" + path);
      if (full != project_ && full.rfind(project_ + "/", 0) != 0) {
        diags_.Error(
            pos, fmt::format("on_change path '{}' of {} is outside the project {}", path, where, project_),
            "watch files and folders inside the project, relative to the pipeline file's folder");
        continue;
      }
      const std::string workspace = project_ + "/.mlpipe";
      if (workspace == full || workspace.rfind(full + "/", 0) == 0 || full.rfind(workspace + "/", 0) == 0) {
        diags_.Error(
            pos,
            fmt::format("on_change path '{}' of {} watches the workspace .mlpipe/, which every run writes: "
                        "the pipeline would start itself again and again",
                        path, where),
            "watch the data folders and files the pipeline reads, e.g. data/");
        continue;
      }
      std::error_code ec;
      if (st_.options.check_files && !fs::exists(full, ec)) {
        diags_.Error(
            pos, fmt::format("on_change path '{}' of {} does not exist (resolved to {})", path, where, full),
            "create it or fix the path (relative to the pipeline file's folder)");
        continue;
      }
      t->paths.push_back(std::move(path));
    }
  }

  void ParseOnCommit(const MapEntry& e, const std::string& where, TriggerSpec* t) {
    t->repo = ".";
    if (e.value->IsNull()) return;
    if (!e.value->IsMap()) {
      diags_.Error(e.loc, fmt::format("on_commit of {} must be a map, got {}", where, NodeKindName(*e.value)),
                   "write on_commit: {repo: ., branch: main}");
      return;
    }
    for (const MapEntry& f : MapEntries(*e.value, diags_, &kOnCommitKeys, "on_commit of " + where)) {
      auto text = GetText(f, diags_, fmt::format("{} of on_commit in {}", f.name, where));
      if (!text) continue;
      if (f.name == "branch") {
        if (!IsBranchName(*text)) {
          diags_.Error(f.loc, fmt::format("bad branch name '{}' in on_commit of {}", *text, where),
                       "a git branch name such as main or release/2.x");
          continue;
        }
        t->branch = *text;
        continue;
      }
      const std::string full = NormalizePath(fs::path(*text).is_absolute() ? *text : st_.dir + "/" + *text);
      std::error_code ec;
      if (st_.options.check_files && !fs::is_directory(full, ec)) {
        diags_.Error(
            f.loc,
            fmt::format("repo '{}' of on_commit in {} is not a folder (resolved to {})", *text, where, full),
            "give the folder of the git repository (or one inside it), relative to the pipeline file's "
            "folder; . is the pipeline's own");
        continue;
      }
      t->repo = *text;
    }
  }

  void ParseOnModel(const MapEntry& e, const std::string& where, TriggerSpec* t) {
    Pos model_pos = e.loc;
    Pos alias_pos = e.loc;
    if (e.value->IsScalar()) {  // NAME or NAME@ALIAS
      std::string_view text = e.value->Scalar();
      const size_t at = text.find('@');
      t->model = text.substr(0, at);
      if (at != std::string_view::npos) t->alias = text.substr(at + 1);
      if (at != std::string_view::npos && t->alias.empty()) {
        diags_.Error(e.loc, fmt::format("on_model of {} is '{}': the alias after '@' is empty", where, text),
                     "write on_model: NAME@ALIAS, or NAME alone for any alias");
        return;
      }
    } else if (e.value->IsMap()) {
      auto fields = MapEntries(*e.value, diags_, &kOnModelKeys, "on_model of " + where);
      for (const MapEntry& f : fields) {
        auto text = GetText(f, diags_, fmt::format("{} of on_model in {}", f.name, where));
        if (!text) return;
        (f.name == "model" ? t->model : t->alias) = *text;
        (f.name == "model" ? model_pos : alias_pos) = f.loc;
      }
      if (FindEntry(fields, "model") == nullptr) {
        diags_.Error(e.loc, fmt::format("on_model of {} has no model:", where),
                     "write on_model: {model: NAME, alias: champion} (the registered model watched)");
        return;
      }
    } else {
      diags_.Error(e.loc, fmt::format("on_model of {} must be a map, got {}", where, NodeKindName(*e.value)),
                   "write on_model: {model: NAME, alias: champion}");
      return;
    }
    CheckName(st_.options.check_model_name, t->model, model_pos, "model", where);
    if (!t->alias.empty()) CheckName(st_.options.check_alias_name, t->alias, alias_pos, "alias", where);
    for (const auto& reg : spec_->registers) {
      if (reg.model != t->model) continue;
      diags_.Error(
          model_pos,
          fmt::format("on_model '{}' of {} would start this pipeline in a loop: pipeline '{}' registers "
                      "model '{}' itself (register: at line {})",
                      t->model, where, spec_->name, t->model, reg.loc.line),
          "trigger on a model another pipeline registers; to retrain regularly use schedule: or "
          "on_change:");
    }
  }

  void CheckName(const std::function<Status(std::string_view)>& check, const std::string& name, Pos pos,
                 const char* what, const std::string& where) {
    if (name.empty()) {
      diags_.Error(pos, fmt::format("{} of on_model in {} is empty", what, where));
      return;
    }
    if (!check) return;
    Status s = check(name);
    if (!s.ok()) diags_.Error(pos, fmt::format("{} of on_model in {}: {}", what, where, s.message()));
  }

  void ParseWebhook(const MapEntry& e, const std::string& where, TriggerSpec* t) {
    auto name = GetText(e, diags_, "webhook of " + where);
    if (!name) return;
    if (!IsUrlName(*name)) {
      diags_.Error(e.loc, fmt::format("bad webhook name '{}' in {}", *name, where),
                   "use 1-128 letters, digits, '.', '_' and '-': it is the last part of "
                   "POST /api/v1/triggers/PIPELINE/NAME");
      return;
    }
    auto [it, inserted] = webhooks_.emplace(*name, e.loc.line);
    if (!inserted) {
      diags_.Error(e.loc, fmt::format("webhook '{}' is declared twice (first at line {})", *name, it->second),
                   "give each webhook its own name");
      return;
    }
    t->webhook = *name;
    t->id = *name;
  }

  void ParseOnDrift(const MapEntry& e, const std::string& where, TriggerSpec* t) {
    if (!e.value->IsMap()) {
      diags_.Error(e.loc, fmt::format("on_drift of {} must be a map, got {}", where, NodeKindName(*e.value)),
                   "write on_drift: {deployment: NAME, psi: 0.2, min_rows: 1000}");
      return;
    }
    auto fields = MapEntries(*e.value, diags_, &kOnDriftKeys, "on_drift of " + where);
    for (const MapEntry& f : fields) {
      const std::string what = fmt::format("{} of on_drift in {}", f.name, where);
      if (f.name == "deployment") {
        auto name = GetText(f, diags_, what);
        if (name && !IsUrlName(*name)) {
          diags_.Error(f.loc, fmt::format("bad deployment name '{}' in on_drift of {}", *name, where),
                       "a deployment's name: letters, digits, '.', '_' and '-'");
        } else if (name) {
          t->deployment = *name;
        }
      } else if (f.name == "min_rows") {
        auto n = GetInt(f, diags_, what);
        if (n && *n < 1) {
          diags_.Error(f.loc, fmt::format("{} must be at least 1, got {}", what, *n),
                       "the fewest predictions in a window before drift is judged");
        } else if (n) {
          t->min_rows = *n;
        }
      } else {
        auto v = GetNumber(f, diags_, what);
        if (!v) continue;
        const bool psi = f.name == "psi";
        if (psi ? !(*v > 0) : !(*v > 0 && *v < 1)) {
          diags_.Error(f.loc,
                       fmt::format("{} must be {}, got {}", what, psi ? "above 0" : "between 0 and 1", *v),
                       psi ? "a population stability index: 0.1 is a moderate shift, 0.25 a large one"
                           : "a KS test's p-value below which a feature has drifted, e.g. 0.05");
        } else {
          (psi ? t->psi : t->ks_p) = *v;
        }
      }
    }
    if (FindEntry(fields, "deployment") == nullptr) {
      diags_.Error(e.loc, fmt::format("on_drift of {} has no deployment:", where),
                   "name the deployment whose live traffic is watched: deployment: NAME");
    }
  }

  void ParseSinceLastRun(const MapEntry& e, const std::string& where, Kind parent_kind, TriggerSpec* t) {
    if (parent_kind != Kind::kAll) {
      diags_.Error(e.key_loc, fmt::format("since_last_run in {} is only a condition inside all:", where),
                   "combine it with an event: - all: [{on_change: [data/]}, {since_last_run: 7d}]");
      return;
    }
    auto text = GetText(e, diags_, "since_last_run of " + where);
    if (!text) return;
    auto ns = ParseDuration(*text);
    if (!ns.ok() || *ns <= 0) {
      diags_.Error(
          e.loc,
          fmt::format("since_last_run of {}: {}", where,
                      ns.ok() ? fmt::format("must be above 0, got '{}'", *text) : ns.status().message()),
          "write a duration like 12h, 7d or 90m");
      return;
    }
    t->since_ns = *ns;
  }

  void ParseCombination(const MapEntry& e, const std::string& where, TriggerSpec* t) {
    const char* name = TriggerKindName(t->kind);
    if (!e.value->IsSequence() || e.value->size() == 0) {
      diags_.Error(e.loc,
                   e.value->IsSequence() || e.value->IsNull()
                       ? fmt::format("{}: of {} is empty", name, where)
                       : fmt::format("{}: of {} must be a list of triggers, got {}", name, where,
                                     NodeKindName(*e.value)),
                   fmt::format("write {}: [{{on_change: [data/]}}, {}]", name,
                               t->kind == Kind::kAll ? "{since_last_run: 7d}" : "{schedule: \"@weekly\"}"));
      return;
    }
    const size_t errors = diags_.count();
    ParseList(*e.value, t->id, t->kind, &t->children);
    if (diags_.count() != errors || t->kind != Kind::kAll) return;
    for (const auto& c : t->children) {
      if (c.kind != Kind::kSinceLastRun) return;
    }
    diags_.Error(
        e.loc, fmt::format("all: of {} has only since_last_run conditions: nothing starts it", where),
        "add an event beside it: a schedule:, on_change:, on_commit:, on_model:, webhook: or on_drift:");
  }

  LoadState& st_;
  Diagnostics& diags_;
  PipelineSpec* spec_;
  std::string project_;                  // absolute, found at the first on_change
  std::map<std::string, int> webhooks_;  // name -> line
};

}  // namespace

void ParseTriggers(const MapEntry& entry, LoadState& st, PipelineSpec* spec) {
  if (entry.value->IsNull()) return;
  if (!entry.value->IsSequence()) {
    st.diags.Error(entry.loc, fmt::format("triggers: must be a list, got {}", NodeKindName(*entry.value)),
                   "write triggers:\n    - schedule: \"0 3 * * *\"\n    - on_change: [data/]");
    return;
  }
  TriggerParser(st, spec).ParseList(*entry.value, "", Kind::kAny, &spec->triggers);
}

}  // namespace internal
}  // namespace mlpipe::spec
