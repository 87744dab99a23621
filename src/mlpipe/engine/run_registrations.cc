#include "mlpipe/engine/run_registrations.h"

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "mlpipe/base/clock.h"
#include "mlpipe/base/strings.h"
#include "mlpipe/engine/model_registration.h"

namespace mlpipe::engine {
namespace {

using metadata::Event;
using metadata::ExecutionStatus;

// The output event of STEP.OUTPUT in the run, if the step wrote it.
StatusOr<std::optional<Event>> RunOutput(metadata::MetadataStore& db,
                                         const std::vector<metadata::Execution>& execs,
                                         const std::string& step, const std::string& output) {
  for (const auto& e : execs) {
    if (e.step != step) continue;
    ASSIGN_OR_RETURN(std::vector<Event> events, db.EventsForExecution(e.id));
    for (auto& ev : events) {
      if (ev.kind == metadata::EventKind::kOutput && ev.name == output) return std::optional<Event>(ev);
    }
  }
  return std::optional<Event>();
}

// "" when the blessing artifact says {"blessed": true}; else why not.
std::string NotBlessedReason(store::ObjectStore& objects, const Event& blessing, const std::string& label) {
  auto path = objects.Materialize(blessing.ref);
  if (!path.ok()) return fmt::format("{} cannot be read: {}", label, path.status().message());
  std::ifstream in(*path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("blessed") || !j["blessed"].is_boolean()) {
    return fmt::format("{} is not a blessing (want a JSON object with \"blessed\": true or false)", label);
  }
  if (j["blessed"].get<bool>()) return "";
  std::string why = j.contains("reason") && j["reason"].is_string() ? j["reason"].get<std::string>() : "";
  return fmt::format("{} is not blessed{}", label, why.empty() ? "" : ": " + why);
}

// The execution "register:MODEL" of the run, reading `inputs`.
Status RecordEntry(metadata::MetadataStore& db, int64_t run_id, const std::string& model,
                   ExecutionStatus status, const std::string& reason, const std::vector<Event>& inputs,
                   int64_t started_ns, Clock& clock) {
  metadata::Execution e;
  e.run_id = run_id;
  e.step = "register:" + model;
  e.status = status;
  e.attempt = status == ExecutionStatus::kSkipped ? 0 : 1;
  e.started_ns = started_ns;
  e.ended_ns = clock.WallNanos();
  e.wall_ns = e.ended_ns - started_ns;
  e.reason = reason;
  ASSIGN_OR_RETURN(int64_t id, db.CreateExecution(e));
  std::vector<Event> events;
  for (Event ev : inputs) {
    ev.id = 0;
    ev.execution_id = id;
    ev.kind = metadata::EventKind::kInput;
    events.push_back(std::move(ev));
  }
  return db.RecordEvents(events);
}

void PrintSkipped(std::ostream& out, bool json, const std::string& model, const std::string& reason) {
  if (json) {
    out << nlohmann::json{{"event", "register_skipped"}, {"model", model}, {"reason", reason}}.dump() << "\n";
  } else {
    out << fmt::format("not registering {}: {}\n", model, reason);
  }
}

// "registered lending-club v3 (alias candidate)", or for content already
// registered "lending-club v3 is already registered (same content) ...".
std::string RegisteredText(const RegisterResult& r, const std::vector<std::string>& at_version) {
  std::string text = r.created ? fmt::format("registered {} v{}", r.version.name, r.version.version)
                               : fmt::format("{} v{} is already registered (same content)", r.version.name,
                                             r.version.version);
  if (!at_version.empty()) {
    text += fmt::format(" (alias{} {})", at_version.size() == 1 ? "" : "es", Join(at_version, ", "));
  }
  for (const auto& [alias, version] : r.kept) {
    text += fmt::format("; alias {} stays at v{} (moved since)", alias, version);
  }
  return text;
}

Status RegisterEntry(metadata::MetadataStore& db, store::ObjectStore& objects, const spec::PipelineSpec& spec,
                     const spec::RegisterSpec& reg, const std::vector<metadata::Execution>& execs,
                     int64_t run_id, std::ostream& out, bool json, RegisterGate* gate, Clock& clock) {
  const int64_t started = clock.WallNanos();
  std::vector<Event> inputs;
  std::string skip;
  ASSIGN_OR_RETURN(std::optional<Event> model, RunOutput(db, execs, reg.from_step, reg.from_output));
  if (model) {
    model->name = "model";
    inputs.push_back(*model);
  } else {
    skip = fmt::format("{} was not written in this run", reg.From());
  }
  if (skip.empty() && !reg.when_step.empty()) {
    ASSIGN_OR_RETURN(std::optional<Event> blessing, RunOutput(db, execs, reg.when_step, reg.when_output));
    if (!blessing) {
      skip = fmt::format("{} was not written in this run", reg.When());
    } else {
      blessing->name = "when";
      inputs.push_back(*blessing);
      skip = NotBlessedReason(objects, *blessing, reg.When());
    }
  }
  std::optional<GateVerdict> verdict;
  if (skip.empty() && gate != nullptr) {
    ASSIGN_OR_RETURN(verdict, gate->Decide(db, objects, spec, reg, model->ref, run_id));
    if (verdict && !verdict->register_model) skip = verdict->reason;
  }
  if (!skip.empty()) {
    RETURN_IF_ERROR(
        RecordEntry(db, run_id, reg.model, ExecutionStatus::kSkipped, skip, inputs, started, clock));
    PrintSkipped(out, json, reg.model, skip);
    if (verdict) return gate->Registered(reg, 0, run_id);
    return OkStatus();
  }

  const std::vector<std::string>& aliases = verdict ? verdict->aliases : reg.aliases;
  RegisterRequest request;
  request.model = reg.model;
  request.artifact = model->version_ref.empty() ? model->ref : model->version_ref;
  request.aliases = aliases;
  request.description = reg.description;
  request.reason = [run_id](const metadata::ModelVersion&) {
    return fmt::format("registered by run {}", run_id);
  };
  request.keep_moved_aliases = true;
  request.metrics_run = run_id;
  std::vector<std::string> at_version;  // aliases pointing at the version afterwards
  request.in_transaction = [&](metadata::MetadataStore& txn_db, const RegisterResult& r) {
    for (const auto& alias : aliases) {
      if (!r.kept.count(alias)) at_version.push_back(alias);
    }
    return RecordEntry(txn_db, run_id, reg.model, ExecutionStatus::kSucceeded, RegisteredText(r, at_version),
                       inputs, started, clock);
  };
  auto result = RegisterModel(db, objects, request, started);
  if (!result.ok()) {
    Status failed = result.status().WithContext("register " + reg.model);
    (void)RecordEntry(db, run_id, reg.model, ExecutionStatus::kFailed, failed.message(), inputs, started,
                      clock);
    return failed;
  }
  const RegisterResult& r = *result;
  if (json) {
    nlohmann::json kept = nlohmann::json::object();
    for (const auto& [alias, version] : r.kept) kept[alias] = version;
    out << nlohmann::json{{"event", "registered"},
                          {"model", r.version.name},
                          {"version", r.version.version},
                          {"created", r.created},
                          {"source", r.version.source},
                          {"digest", r.version.ref},
                          {"aliases", at_version},
                          {"aliases_kept", kept},
                          {"run", run_id}}
               .dump()
        << "\n";
  } else {
    out << RegisteredText(r, at_version) << "\n";
  }
  if (verdict) return gate->Registered(reg, r.version.version, run_id);
  return OkStatus();
}

}  // namespace

Status RegisterRunModels(metadata::MetadataStore& db, store::ObjectStore& objects,
                         const spec::PipelineSpec& spec, int64_t run_id, std::ostream& out, bool json,
                         RegisterGate* gate, Clock& clock) {
  if (spec.registers.empty()) return OkStatus();
  ASSIGN_OR_RETURN(std::vector<metadata::Execution> execs, db.ListExecutions(run_id));
  for (const auto& reg : spec.registers) {
    RETURN_IF_ERROR(RegisterEntry(db, objects, spec, reg, execs, run_id, out, json, gate, clock));
  }
  return OkStatus();
}

}  // namespace mlpipe::engine
