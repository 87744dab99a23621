#include "mlpipe/engine/cache_key.h"

#include <fmt/format.h>

#include <algorithm>

#include "mlpipe/base/sha256.h"
#include "mlpipe/spec/notebook_file.h"

namespace mlpipe::engine {

using nlohmann::json;

json BuildKeyRecord(const KeyInputs& in) {
  const spec::StepSpec& step = *in.step;
  json impl = json::object();
  if (!step.builtin().empty()) {
    impl["builtin"] = step.builtin();
    impl["engine_version"] = in.engine_version;
  } else {
    impl["command"] = step.command;
    impl["shell"] = step.shell;
  }
  impl["env"] = step.env;
  impl["workdir"] = step.workdir;
  if (step.component && !step.component->digest.empty()) impl["component"] = step.component->digest;
  json outputs = json::object();
  for (const auto& o : step.outputs) outputs[o.name] = o.type;
  impl["outputs"] = outputs;

  json inputs = json::object();
  for (const auto& [name, fp] : in.inputs) {
    inputs[name] = {{"ref", fp.ref}, {"from", fp.from}, {"version", fp.version}};
    if (!fp.kind.empty()) inputs[name]["kind"] = fp.kind;
  }
  json code = json::object();
  for (const auto& [path, digest] : in.code) code[path] = digest;
  return json{{"v", 1}, {"impl", impl}, {"params", in.params}, {"inputs", inputs}, {"code", code}};
}

std::string CacheKeyOf(const json& record) {
  auto inputs = record.find("inputs");
  if (inputs == record.end() || inputs->empty()) return "sha256:" + Sha256Hex(record.dump());
  json stripped = record;
  if (stripped.contains("inputs")) {
    for (auto& [name, fp] : stripped["inputs"].items()) {
      fp.erase("from");
      fp.erase("version");
      fp.erase("kind");
    }
  }
  return "sha256:" + Sha256Hex(stripped.dump());
}

namespace {

std::string Short(const json& v) {
  std::string s = v.is_string() ? v.get<std::string>() : v.dump();
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return s;
}

const json& Field(const json& obj, const char* key) {
  static const json kEmpty = json::object();
  auto it = obj.find(key);
  return it == obj.end() ? kEmpty : *it;
}

// An input fingerprint's version ("v3"), or "" when it has none: a source,
// or an output whose content has no version yet (status shows a cached
// upstream result that was never recorded under this name as "v0").
std::string VersionOf(const json& fingerprint) {
  std::string v = fingerprint.value("version", "");
  return v == "v0" ? "" : v;
}

// "train.model v3 -> v4" when both contents have versions; otherwise no
// version is made up: "train.model, was v3", "train.model, now v4", or the
// name alone (a source).
std::string InputChange(const std::string& from, const std::string& before, const std::string& now) {
  if (!before.empty() && !now.empty()) return fmt::format("{} {} -> {}", from, before, now);
  if (!before.empty()) return fmt::format("{}, was {}", from, before);
  if (!now.empty()) return fmt::format("{}, now {}", from, now);
  return from;
}

// Calls fn(name, before_or_null, now_or_null) for every key present in either.
template <typename Fn>
void DiffObjects(const json& a, const json& b, Fn fn) {
  for (const auto& [k, v] : a.items()) {
    auto it = b.find(k);
    if (it == b.end()) {
      fn(k, &v, nullptr);
    } else if (*it != v) {
      fn(k, &v, &*it);
    }
  }
  for (const auto& [k, v] : b.items()) {
    if (!a.contains(k)) fn(k, nullptr, &v);
  }
}

}  // namespace

std::vector<std::string> ExplainChange(const json& before, const json& now) {
  std::vector<std::string> reasons;
  const json& ia = Field(before, "impl");
  const json& ib = Field(now, "impl");
  DiffObjects(ia, ib, [&](const std::string& k, const json* a, const json* b) {
    if (k == "command" || k == "shell") {
      reasons.push_back("command changed");
    } else if (k == "builtin") {
      reasons.push_back(fmt::format("implementation changed ({} -> {})", a ? Short(*a) : "command",
                                    b ? Short(*b) : "command"));
    } else if (k == "engine_version") {
      reasons.push_back(
          fmt::format("built-in changed (mlpipe {} -> {})", a ? Short(*a) : "?", b ? Short(*b) : "?"));
    } else if (k == "component") {
      reasons.push_back("component file changed");
    } else if (k == "env") {
      reasons.push_back("env changed");
    } else if (k == "workdir") {
      reasons.push_back("workdir changed");
    } else if (k == "outputs") {
      reasons.push_back("declared outputs changed");
    }
  });
  // "command changed" may be reported twice (command and shell): keep one.
  reasons.erase(std::unique(reasons.begin(), reasons.end()), reasons.end());

  DiffObjects(Field(before, "code"), Field(now, "code"),
              [&](const std::string& k, const json* a, const json* b) {
                const char* what = spec::IsNotebookPath(k) ? "notebook" : "script";
                if (!a) {
                  reasons.push_back(fmt::format("{} {} added", what, k));
                } else if (!b) {
                  reasons.push_back(fmt::format("{} {} removed", what, k));
                } else {
                  reasons.push_back(fmt::format("{} {} changed", what, k));
                }
              });
  DiffObjects(
      Field(before, "params"), Field(now, "params"), [&](const std::string& k, const json* a, const json* b) {
        reasons.push_back(
            fmt::format("param {} {} -> {}", k, a ? Short(*a) : "(unset)", b ? Short(*b) : "(unset)"));
      });
  DiffObjects(Field(before, "inputs"), Field(now, "inputs"),
              [&](const std::string& k, const json* a, const json* b) {
                if (!a) {
                  reasons.push_back(fmt::format("input {} added", k));
                  return;
                }
                if (!b) {
                  reasons.push_back(fmt::format("input {} removed", k));
                  return;
                }
                if (a->value("ref", "") == b->value("ref", "")) return;  // only presentation changed
                std::string from = b->value("from", "");
                if (b->value("kind", "") == "model") {  // a registered model: its alias moved, or another ref
                  std::string va = a->value("version", "");
                  std::string vb = b->value("version", "");
                  std::string was = a->value("from", "");
                  reasons.push_back(was == from
                                        ? fmt::format("input {}: {} moved {} -> {}", k, from, va, vb)
                                        : fmt::format("input {}: {} ({}) -> {} ({})", k, was, va, from, vb));
                  return;
                }
                reasons.push_back(
                    fmt::format("input {} changed ({})", k, InputChange(from, VersionOf(*a), VersionOf(*b))));
              });
  return reasons;
}

}  // namespace mlpipe::engine
