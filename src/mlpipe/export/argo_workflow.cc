#include "mlpipe/export/argo_workflow.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <set>

#include "mlpipe/export/step_script.h"
#include "mlpipe/store/layout.h"
#include "mlpipe/store/remote_objects.h"

namespace mlpipe::exporter {
namespace {

constexpr const char* kArgoInputsDir = "/mlpipe/inputs/";
constexpr const char* kArgoOutputsDir = "/mlpipe/outputs";
constexpr const char* kArgoWorkDir = "/mlpipe/work";
constexpr const char* kArgoInvocationPath = "/mlpipe/invocation.json";
constexpr const char* kArgoMetricsPath = "/mlpipe/outputs/.metrics.jsonl";
constexpr int64_t kArgoNsPerSecond = 1'000'000'000;
constexpr int64_t kArgoMiB = 1 << 20;

// Kubernetes CPU quantity: whole cores as "2", fractions in millicores ("500m").
std::string ArgoCpu(double cpus) {
  if (cpus == std::floor(cpus)) return fmt::format("{}", static_cast<int64_t>(cpus));
  return fmt::format("{}m", static_cast<int64_t>(std::ceil(cpus * 1000)));
}

int64_t ArgoSeconds(int64_t ns) {
  return std::max<int64_t>(1, (ns + kArgoNsPerSecond - 1) / kArgoNsPerSecond);
}

// An S3 artifact location: the key alone (the default artifact repository
// supplies the rest), or the endpoint, bucket and credentials with it.
nlohmann::json ArgoS3(const ArgoOptions& o, const std::string& key) {
  nlohmann::json s3 = {{"key", key}};
  if (o.s3_endpoint.empty()) return s3;
  std::string endpoint = o.s3_endpoint;
  bool insecure = false;
  if (endpoint.rfind("http://", 0) == 0) {
    endpoint = endpoint.substr(7);
    insecure = true;
  } else if (endpoint.rfind("https://", 0) == 0) {
    endpoint = endpoint.substr(8);
  }
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  s3["endpoint"] = endpoint;
  s3["bucket"] = o.s3_bucket;
  s3["insecure"] = insecure;
  s3["accessKeySecret"] = {{"name", o.s3_secret}, {"key", "accessKey"}};
  s3["secretKeySecret"] = {{"name", o.s3_secret}, {"key", "secretKey"}};
  if (!o.s3_region.empty()) s3["region"] = o.s3_region;
  return s3;
}

nlohmann::json ArgoResources(const spec::Resources& r) {
  nlohmann::json amounts = nlohmann::json::object();
  if (r.cpus > 0) amounts["cpu"] = ArgoCpu(r.cpus);
  if (r.memory_bytes > 0) amounts["memory"] = fmt::format("{}Mi", (r.memory_bytes + kArgoMiB - 1) / kArgoMiB);
  if (amounts.empty()) return amounts;
  return {{"requests", amounts}, {"limits", amounts}};
}

// The template of a step that runs.
StatusOr<nlohmann::json> ArgoStepTemplate(const engine::LoadedPipeline& pipeline, const PlannedStep& p,
                                          const std::string& task, const ArgoOptions& o) {
  const spec::StepSpec& step = *p.step;
  StepPaths paths;
  nlohmann::json inputs = nlohmann::json::array();
  for (const PlannedInput& in : p.inputs) {
    paths.inputs[in.name] = fmt::format("{}{}", kArgoInputsDir, in.name);
    nlohmann::json a = {{"name", in.name}, {"path", paths.inputs[in.name]}};
    if (in.optional) a["optional"] = true;  // an output its producer may leave unwritten
    inputs.push_back(std::move(a));
  }
  nlohmann::json outputs = nlohmann::json::array();
  for (const spec::OutputSpec& out : step.outputs) {
    paths.outputs[out.name] = fmt::format("{}/{}", kArgoOutputsDir, out.name);
    nlohmann::json a = {
        {"name", out.name},
        {"path", paths.outputs[out.name]},
        {"archive", {{"none", nlohmann::json::object()}}},
        {"s3", ArgoS3(o, fmt::format("{}/runs/{{{{workflow.name}}}}/{}/{}", o.prefix, step.name, out.name))}};
    if (out.optional) a["optional"] = true;
    outputs.push_back(std::move(a));
  }
  // What the step appends to $MLPIPE_METRICS, kept beside its outputs.
  outputs.push_back({{"name", "mlpipe-metrics"},
                     {"path", kArgoMetricsPath},
                     {"optional", true},
                     {"archive", {{"none", nlohmann::json::object()}}},
                     {"s3", ArgoS3(o, fmt::format("{}/runs/{{{{workflow.name}}}}/{}/metrics.jsonl", o.prefix,
                                                  step.name))}});
  paths.work_dir = kArgoWorkDir;
  paths.metrics_path = kArgoMetricsPath;
  paths.self_exe = o.mlpipe;
  paths.invocation_path = kArgoInvocationPath;
  paths.pipeline_dir = o.project_dir;
  ASSIGN_OR_RETURN(StepScript script, BuildStepScript(pipeline, p, paths));
  if (!script.invocation.empty()) {
    inputs.push_back({{"name", "mlpipe-invocation"},
                      {"path", kArgoInvocationPath},
                      {"raw", {{"data", script.invocation}}}});
  }
  // The run's id is the Workflow's name (no mlpipe run records it).
  script.env["MLPIPE_RUN_ID"] = "{{workflow.name}}";
  nlohmann::json env = nlohmann::json::array();
  for (const auto& [k, v] : script.env) env.push_back({{"name", k}, {"value", v}});
  nlohmann::json container = {{"name", "main"},
                              {"image", o.image},
                              {"command", script.argv},
                              {"env", env},
                              {"workingDir", script.cwd},
                              {"volumeMounts",
                               {{{"name", "mlpipe-outputs"}, {"mountPath", kArgoOutputsDir}},
                                {{"name", "mlpipe-work"}, {"mountPath", kArgoWorkDir}}}}};
  nlohmann::json resources = ArgoResources(step.resources);
  if (!resources.empty()) container["resources"] = resources;
  nlohmann::json t = {{"name", fmt::format("step-{}", task)},
                      {"container", container},
                      {"volumes",
                       {{{"name", "mlpipe-outputs"}, {"emptyDir", nlohmann::json::object()}},
                        {{"name", "mlpipe-work"}, {"emptyDir", nlohmann::json::object()}}}},
                      {"outputs", {{"artifacts", outputs}}},
                      {"metadata", {{"annotations", {{"mlpipe.dev/step", step.name}}}}}};
  if (!inputs.empty()) t["inputs"] = {{"artifacts", inputs}};
  if (step.retries > 0) {
    t["retryStrategy"] = {
        {"limit", step.retries},
        {"retryPolicy", "Always"},
        {"backoff", {{"duration", fmt::format("{}s", ArgoSeconds(step.retry_backoff_ns))}, {"factor", 2}}}};
  }
  if (step.timeout_ns > 0) t["activeDeadlineSeconds"] = ArgoSeconds(step.timeout_ns);
  return t;
}

}  // namespace

std::string ArgoName(const std::string& name) {
  std::string out;
  for (char c : name) {
    const unsigned char u = static_cast<unsigned char>(c);
    out += std::isalnum(u) ? static_cast<char>(std::tolower(u)) : '-';
  }
  while (!out.empty() && out.front() == '-') out.erase(out.begin());
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "step" : out;
}

Status CheckArgoOptions(const ArgoOptions& o) {
  if (o.image.empty()) return InvalidArgumentError("no container image: give --image IMAGE");
  if (!o.s3_bucket.empty() && o.s3_endpoint.empty()) {
    return InvalidArgumentError(
        "--s3-bucket needs --s3-endpoint (without both, artifacts go to the namespace's default artifact "
        "repository)");
  }
  if (!o.s3_endpoint.empty() && !o.artifact_repository.empty()) {
    return InvalidArgumentError(fmt::format(
        "--s3-endpoint {} and --artifact-repository {}: give one (the repository names its own endpoint)",
        o.s3_endpoint, o.artifact_repository));
  }
  if (!o.s3_endpoint.empty() && o.s3_bucket.empty()) {
    return InvalidArgumentError(fmt::format("--s3-endpoint {} needs --s3-bucket", o.s3_endpoint));
  }
  return OkStatus();
}

std::string ObjectKey(const std::string& prefix, const StoredRef& object) {
  auto hex = store::RefToHex(object.ref);
  const std::string h = hex.ok() ? *hex : object.ref;
  if (object.is_dir) return fmt::format("{}/trees/{}", prefix, h);
  // The key the shared S3 store gives a file (store/remote_objects.h).
  return fmt::format("{}/{}", prefix, store::RemoteBlobKey(h));
}

StatusOr<nlohmann::json> ArgoWorkflow(const engine::LoadedPipeline& pipeline, const ExportPlan& plan,
                                      const ArgoOptions& o) {
  RETURN_IF_ERROR(CheckArgoOptions(o));
  if (plan.runs() == 0) {
    return FailedPreconditionError(
        fmt::format("every step of {} is cached: no step to run in a Workflow (--no-cache exports them all)",
                    pipeline.spec.name));
  }
  const spec::PipelineSpec& spec = pipeline.spec;
  // Task names, unique, in the steps' order.
  std::map<std::string, std::string> task_of;
  std::set<std::string> taken;
  for (const PlannedStep& p : plan.steps) {
    std::string name = ArgoName(p.step->name);
    for (int n = 2; taken.count(name); ++n) name = fmt::format("{}-{}", ArgoName(p.step->name), n);
    taken.insert(name);
    task_of[p.step->name] = name;
  }
  nlohmann::json annotations = {{"mlpipe.dev/pipeline", spec.name},
                                {"mlpipe.dev/params", pipeline.params.dump()}};
  std::map<std::string, nlohmann::json> tasks;      // by name: sorted
  std::map<std::string, nlohmann::json> templates;  // by name: sorted
  std::map<std::string, nlohmann::json> reads;      // key -> what is read there
  for (const PlannedStep& p : plan.steps) {
    const std::string& step = p.step->name;
    annotations[fmt::format("mlpipe.dev/step.{}", step)] =
        fmt::format("{}: {}", p.cached ? "cached" : "run", p.reason);
    if (p.cached) continue;
    const std::string& task = task_of[step];
    nlohmann::json args = nlohmann::json::array();
    for (const PlannedInput& in : p.inputs) {
      nlohmann::json a = {{"name", in.name}};
      if (in.optional) a["optional"] = true;
      if (!in.from_step.empty()) {
        a["from"] =
            fmt::format("{{{{tasks.{}.outputs.artifacts.{}}}}}", task_of[in.from_step], in.from_output);
      } else {
        const std::string key = ObjectKey(o.prefix, in.stored);
        a["s3"] = ArgoS3(o, key);
        reads[key] = {
            {"ref", in.stored.ref}, {"key", key}, {"folder", in.stored.is_dir}, {"label", in.label}};
      }
      args.push_back(std::move(a));
    }
    nlohmann::json t = {{"name", task}, {"template", fmt::format("step-{}", task)}};
    if (!args.empty()) t["arguments"] = {{"artifacts", args}};
    if (!p.depends.empty()) {
      nlohmann::json deps = nlohmann::json::array();
      for (const std::string& d : p.depends) deps.push_back(task_of[d]);
      std::sort(deps.begin(), deps.end());
      t["dependencies"] = deps;
    }
    tasks[task] = std::move(t);
    ASSIGN_OR_RETURN(templates[fmt::format("step-{}", task)], ArgoStepTemplate(pipeline, p, task, o));
  }
  nlohmann::json read_list = nlohmann::json::array();
  for (auto& [key, r] : reads) read_list.push_back(std::move(r));
  annotations["mlpipe.dev/reads"] = read_list.dump();
  nlohmann::json dag_tasks = nlohmann::json::array();
  for (auto& [name, t] : tasks) dag_tasks.push_back(std::move(t));
  nlohmann::json all_templates = {{{"name", "main"}, {"dag", {{"tasks", dag_tasks}}}}};
  for (auto& [name, t] : templates) all_templates.push_back(std::move(t));
  nlohmann::json spec_json = {{"entrypoint", "main"}, {"templates", all_templates}};
  if (!o.artifact_repository.empty()) spec_json["artifactRepositoryRef"] = {{"key", o.artifact_repository}};
  return nlohmann::json{
      {"apiVersion", "argoproj.io/v1alpha1"},
      {"kind", "Workflow"},
      {"metadata",
       {{"generateName", ArgoName(spec.name) + "-"},
        {"labels", {{"mlpipe.dev/pipeline", ArgoName(spec.name)}}},
        {"annotations", annotations}}},
      {"spec", spec_json},
  };
}

}  // namespace mlpipe::exporter
