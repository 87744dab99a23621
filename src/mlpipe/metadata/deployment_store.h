// DeploymentStore: deployments as stored state in the metadata database.
// A deployment is a named config (serving::DeploymentConfig: variants,
// weights, sticky routing, shadow) of one registered model; every change is
// a new revision and old revisions are kept, so its history is complete. A
// rollout moves a candidate version's traffic step by step; every automated
// or manual decision about a deployment (a gate, a rollout step, a promote, a
// rollback, a weight change) is a decision record with its inputs,
// thresholds, statistics and reason. An abstract interface, like
// ControlStore, with a SQLite backend (sqlite_deployment_store.h; schema v7
// of migrations.cc) and a PostgreSQL one (pg_deployment_store.h; v3 of
// pg_migrations.cc); docs/on-disk-format.md describes the tables.
//
// A change that spans tables (a revision and the decision behind it) is
// written between Begin() and Commit() so a crash leaves both or neither.
//
// Every field has a default, so designated initializers may name only some.
//
// Thread-safety: an instance is one connection; use one per thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mlpipe/base/status.h"

namespace mlpipe::metadata {

struct DeploymentRevision {
  std::string name = {};   // deployment name
  std::string model = {};  // registered model it serves
  int64_t revision = 0;    // 1, 2, ...: every change is a new revision; old ones are kept (history)
  // JSON text: serving::DeploymentConfig::ToJson() (variants, weights, sticky, shadow).
  std::string config = {};
  // What made it: "apply deploy/churn.yaml", "set-weights", "promote", "rollback", "rollout 4 step 2" ...
  std::string source = {};
  std::string actor = {};                   // "user" (CLI/API) or "server" (the rollout controller)
  std::string reason = {};                  // for people
  std::optional<int64_t> decision_id = {};  // the decision record behind it, if any
  int64_t created_ns = 0;                   // when this revision was written
};

struct Rollout {
  int64_t id = 0;
  std::string deployment = {}, model = {};
  int64_t candidate_version = 0;
  std::optional<int64_t> champion_version = {};
  std::optional<int64_t> run_id = {};
  std::string policy = "{}";  // JSON of the rollout policy it follows
  // "waiting" (an A/B until another rollout of its deployment ends), "infra_gate", "running", "paused",
  // "halted", "held", "promoting", "promoted", "rolled_back", "cancelled".
  std::string state = {};
  int step_index = 0;  // index into the policy's steps; -1 in the shadow phase (before step 0)
  int64_t step_started_ns = 0;
  std::string baseline = "{}";  // JSON: serve counters at the step's start
  std::string min_p = "{}";     // JSON: running minimum of always-valid p-values per check
  std::string detail = {};      // why paused/halted/held/rolled back
  int64_t created_ns = 0, updated_ns = 0;
  // infra_gate, running or paused: the rollout still owns the deployment's
  // weights (a manual rollback rolls the rollout back).
  bool Active() const;
  // Active, or promoting (alias champion has moved; the controller removes
  // the candidate arm once the serve process serves the new champion), or
  // waiting (an A/B that has not begun): the controller still has work to
  // do. Every other state is final.
  bool InFlight() const;
  // "infra_gate", "shadow" (step_index -1) or "steps": where the rollout is
  // (or, once final, where it ended).
  const char* Phase() const;
};

struct Decision {
  int64_t id = 0;
  int64_t time_ns = 0;
  // "gate", "infra_gate", "rollout.step", "rollout.shadow" (a shadow phase's look), "rollout.judge",
  // "promote", "rollback", "halt", "pause", "resume", "set_weights", "apply".
  std::string kind = {};
  std::string deployment = {}, model = {};
  std::optional<int64_t> model_version = {}, run_id = {}, rollout_id = {};
  std::string verdict = {};  // "pass", "fail", "wait", "pause", "halt", "done"
  // One line for people: "gate beats champion: delta roc_auc +0.0011 [-0.0020, +0.0043] ...".
  std::string reason = {};
  std::string inputs = "{}", thresholds = "{}", statistics = "{}";  // JSON objects' text
  std::optional<uint64_t> seed = {};                                // stored as INTEGER (bit-cast int64)
  std::string actor = "server";
};

// Filters of ListDecisions; empty / unset fields match anything.
struct DecisionQuery {
  std::string deployment = {};
  std::optional<int64_t> run_id = {}, rollout_id = {};
  std::string kind = {};
  int64_t before_id = 0;  // 0 = from the newest
  int limit = 100;        // <= 0 = all
};

class DeploymentStore {
 public:
  virtual ~DeploymentStore() = default;

  virtual Status Begin() = 0;
  virtual Status Commit() = 0;
  virtual Status Rollback() = 0;

  // ---- Deployments and their revisions.
  // A new revision of `r.name` (created with revision 1 when new); `r.revision`
  // is ignored, `r.created_ns` is the revision's time (0: now).
  // `expected_revision`: when set, Aborted (optimistic lock) if the current
  // revision differs (0 expects the deployment not to exist). Returns the
  // revision number written.
  virtual StatusOr<int64_t> PutDeployment(const DeploymentRevision& r,
                                          std::optional<int64_t> expected_revision) = 0;
  // The current revision; NotFound if there is no such deployment.
  virtual StatusOr<DeploymentRevision> GetDeployment(std::string_view name) = 0;
  // One revision; NotFound if absent.
  virtual StatusOr<DeploymentRevision> GetRevision(std::string_view name, int64_t revision) = 0;
  // The current revision of each deployment, by name.
  virtual StatusOr<std::vector<DeploymentRevision>> ListDeployments() = 0;
  // Every revision of `name`, oldest first (empty if there is no such deployment).
  virtual StatusOr<std::vector<DeploymentRevision>> Revisions(std::string_view name) = 0;
  // The current revision number: one indexed row, cheap enough for `mlpipe
  // serve` to poll. NotFound if there is no such deployment.
  virtual StatusOr<int64_t> CurrentRevision(std::string_view name) = 0;

  // ---- Rollouts.
  // Stores `r` (its id ignored; created_ns/updated_ns 0: now); returns its id.
  virtual StatusOr<int64_t> CreateRollout(const Rollout& r) = 0;
  // Overwrites every field of rollout `r.id` (updated_ns 0: now). NotFound if absent.
  virtual Status UpdateRollout(const Rollout& r) = 0;
  virtual StatusOr<Rollout> GetRollout(int64_t id) = 0;
  // Rollouts of `deployment` ("" = all), newest first; only Active() ones
  // when `active_only`.
  virtual StatusOr<std::vector<Rollout>> ListRollouts(std::string_view deployment, bool active_only) = 0;

  // ---- Decision records.
  // Stores `d` (its id ignored; time_ns 0: now); returns its id.
  virtual StatusOr<int64_t> RecordDecision(const Decision& d) = 0;
  virtual StatusOr<Decision> GetDecision(int64_t id) = 0;
  // Decisions matching `q`, newest first.
  virtual StatusOr<std::vector<Decision>> ListDecisions(const DecisionQuery& q) = 0;
  // How many decisions there are of each (deployment, kind, verdict), in
  // that order (Prometheus' mlpipe_decisions_total).
  struct DecisionCount {
    std::string deployment, kind, verdict;
    int64_t count = 0;
  };
  virtual StatusOr<std::vector<DecisionCount>> DecisionCounts() = 0;
};

}  // namespace mlpipe::metadata
