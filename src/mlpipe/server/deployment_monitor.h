// DeploymentMonitor: the monitoring record of the deployments `mlpipe serve`
// runs in this workspace (each writes .mlpipe/serving/<deployment>/
// endpoint.json: its URL and what each variant serves). Every `scrape_ns`
// it reads each live deployment's /metrics (requests, errors, latency
// quantiles per variant); every `window_ns` it compares the window's
// prediction log with the served model's reference statistics (PSI per
// feature, KS; monitor/drift_window.h), raises a drift alert after K
// alerting windows in a row (monitor/drift_monitor.h), records an `alert`
// event and fires the deployment's on_drift triggers; and estimates a binary
// classifier's accuracy and ROC AUC from its own scores (CBPE) beside the
// realised figures from feedback labels.
//
// Not thread-safe: the server's loop thread calls Tick.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "mlpipe/base/clock.h"
#include "mlpipe/base/status.h"
#include "mlpipe/data/stats.h"
#include "mlpipe/metadata/control_store.h"
#include "mlpipe/metadata/metadata_store.h"
#include "mlpipe/monitor/drift_monitor.h"
#include "mlpipe/server/event_bus.h"
#include "mlpipe/server/trigger_engine.h"
#include "mlpipe/store/layout.h"

namespace mlpipe::server {

struct DeploymentMonitorOptions {
  int64_t scrape_ns = 15'000'000'000;   // --scrape
  int64_t window_ns = 300'000'000'000;  // --drift-window
  size_t min_rows = 200;                // windows with fewer rows are skipped
  size_t consecutive = 3;               // K alerting windows before an alert
};

class DeploymentMonitor {
 public:
  DeploymentMonitor(const store::Workspace& ws, metadata::MetadataStore& db, metadata::ControlStore& control,
                    EventBus& bus, TriggerEngine& engine, Clock& clock, DeploymentMonitorOptions options);
  // Scrapes and judges what is due. Problems with one deployment are events,
  // not errors: the others are still watched.
  void Tick();
  // When the next scrape or window is due (wall ns).
  int64_t NextDueNs() const;

 private:
  struct Watched {
    std::string url;
    std::string model_ref;  // the first variant's (the reference statistics' source)
    std::string package;
    std::optional<data::TableStats> reference;
    std::string reference_of;  // the model ref / package the reference was read for
    monitor::DriftMonitor drift;
    int64_t next_scrape_ns = 0;
    int64_t window_start_ns = 0;
    // The latency histogram's cumulative buckets at the last scrape, per variant.
    std::map<std::string, std::map<double, double>> last_buckets;
    std::string last_problem;
  };
  void Discover();
  void Scrape(const std::string& name, Watched& w);
  void JudgeWindow(const std::string& name, Watched& w, int64_t from, int64_t to);
  Status LoadReference(Watched& w);
  void Problem(const std::string& name, Watched& w, const std::string& what);

  const store::Workspace& ws_;
  metadata::MetadataStore& db_;
  metadata::ControlStore& control_;
  EventBus& bus_;
  TriggerEngine& engine_;
  Clock& clock_;
  DeploymentMonitorOptions options_;
  std::map<std::string, Watched> deployments_;
  int64_t next_discover_ns_ = 0;
};

}  // namespace mlpipe::server
