#include "mlpipe/server/pipeline_def.h"

namespace mlpipe::server {
namespace {

const TriggerDef* FindIn(const std::vector<TriggerDef>& triggers, const std::string& id) {
  for (const TriggerDef& t : triggers) {
    if (t.id == id) return &t;
    if (const TriggerDef* c = FindIn(t.children, id)) return c;
  }
  return nullptr;
}

}  // namespace

const char* KindName(TriggerDef::Kind kind) {
  switch (kind) {
    case TriggerDef::Kind::kSchedule:
      return "schedule";
    case TriggerDef::Kind::kOnChange:
      return "on_change";
    case TriggerDef::Kind::kOnCommit:
      return "on_commit";
    case TriggerDef::Kind::kOnModel:
      return "on_model";
    case TriggerDef::Kind::kWebhook:
      return "webhook";
    case TriggerDef::Kind::kOnDrift:
      return "on_drift";
    case TriggerDef::Kind::kSinceLastRun:
      return "since_last_run";
    case TriggerDef::Kind::kAll:
      return "all";
    case TriggerDef::Kind::kAny:
      return "any";
  }
  return "webhook";
}

const TriggerDef* FindTrigger(const PipelineDef& pipeline, const std::string& id) {
  return FindIn(pipeline.triggers, id);
}

}  // namespace mlpipe::server
