// ServeClient: how the rollout controller talks to a deployment's
// `mlpipe serve` process (the data plane): read its live counters, ask it to
// follow a changed deployment record now, and replay requests to one version
// (the infrastructure gate). The real one finds the process through the
// endpoint.json it writes (.mlpipe/serving/<deployment>/endpoint.json) and
// speaks HTTP on loopback; tests of the controller's logic use a fake.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/store/layout.h"

namespace mlpipe::server {

// One replayed request's answer: HTTP status and seconds.
struct ReplayAnswer {
  int code = 0;
  double seconds = 0;
};

class ServeClient {
 public:
  virtual ~ServeClient() = default;
  // GET /v2/deployments/NAME/stats. Unavailable when no serve process of the
  // deployment answers.
  virtual StatusOr<nlohmann::json> Stats(const std::string& deployment) = 0;
  // POST /v2/deployments/NAME/reload: follow the record now (the poll is the
  // fallback). Unavailable as Stats.
  virtual Status Reload(const std::string& deployment) = 0;
  // Each body to POST /v2/models/MODEL/versions/VERSION/infer, in order.
  virtual StatusOr<std::vector<ReplayAnswer>> Replay(const std::string& deployment, const std::string& model,
                                                     const std::string& version,
                                                     const std::vector<std::string>& bodies) = 0;
};

class HttpServeClient : public ServeClient {
 public:
  // `token`: the bearer token sent with the reload request (a serve
  // process that binds beyond loopback asks for it; the same file's by default).
  HttpServeClient(const store::Workspace& ws, std::string token) : ws_(ws), token_(std::move(token)) {}
  StatusOr<nlohmann::json> Stats(const std::string& deployment) override;
  Status Reload(const std::string& deployment) override;
  StatusOr<std::vector<ReplayAnswer>> Replay(const std::string& deployment, const std::string& model,
                                             const std::string& version,
                                             const std::vector<std::string>& bodies) override;

 private:
  // The deployment's URL from its endpoint.json, if its process is alive.
  StatusOr<std::string> Url(const std::string& deployment) const;
  const store::Workspace& ws_;
  const std::string token_;
};

// Up to `limit` recent requests of the deployment's prediction log (newest
// last), as Open Inference Protocol infer bodies of one row each: what the
// infrastructure gate replays. Empty when nothing was logged.
std::vector<std::string> RecentLoggedRequests(const store::Workspace& ws, const std::string& deployment,
                                              size_t limit);

}  // namespace mlpipe::server
