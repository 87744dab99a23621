// An Argo Workflow (argoproj.io/v1alpha1) of a pipeline, for `mlpipe export
// argo`: the cache decision is mlpipe's, made before submission (ExportPlan),
// and the Workflow runs only the steps that must run.
//
//   - spec.templates[0] ("main") is a DAG with one task per step that runs,
//     its `dependencies` the steps that run and that it reads from (or is
//     `after:`), sorted;
//   - each such step has a template ("step-NAME"): a container running the
//     step's command line (step_script.h) with its inputs at
//     /mlpipe/inputs/NAME, its outputs at /mlpipe/outputs/NAME, its working
//     folder /mlpipe/work, the pipeline's folder at ArgoOptions::project_dir
//     (in the image); resources from `resources:` (requests and limits),
//     retryStrategy from `retries:`, activeDeadlineSeconds from `timeout:`;
//   - artifacts go through S3: an output is saved at
//     PREFIX/runs/{{workflow.name}}/STEP/OUTPUT and passed to the tasks that
//     read it; an input that exists already (a source, a cached step's
//     output, a registered model) is read at its content-addressed key,
//     PREFIX/blobs/sha256/AB/REST for a file (the object store's layout) or
//     the key prefix PREFIX/trees/HEX/ for a folder, the layout Argo reads a
//     directory from;
//   - metadata.annotations record each step's decision and reason
//     (mlpipe.dev/step.NAME: "cached: same key as run 4"), the params, and
//     the stored objects the Workflow reads (mlpipe.dev/reads).
// The document is deterministic: the same plan gives the same bytes.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "mlpipe/base/status.h"
#include "mlpipe/engine/load.h"
#include "mlpipe/export/export_plan.h"

namespace mlpipe::exporter {

struct ArgoOptions {
  std::string image;                            // the steps' container image (required)
  std::string project_dir = "/mlpipe/project";  // the pipeline's folder in the image
  std::string mlpipe = "mlpipe";                // the mlpipe in the image, for built-in steps
  // Where artifacts are. Without an endpoint, the namespace's default
  // artifact repository (Argo's artifact-repositories config map) with keys
  // under `prefix`; with one, every artifact names it, the bucket, and the
  // Kubernetes Secret `secret` whose keys accessKey and secretKey hold the
  // credentials. An http:// endpoint is reached without TLS.
  std::string s3_endpoint;  // "host:port" or "http(s)://host:port"
  std::string s3_bucket;    // required with an endpoint
  std::string s3_secret = "mlpipe-s3";
  std::string s3_region;  // "" = the endpoint's default
  std::string prefix = "mlpipe";
  // Without an endpoint: the entry of the namespace's artifact-repositories
  // config map to use (spec.artifactRepositoryRef.key); "" = its default.
  std::string artifact_repository;
};

// Checks `options`: InvalidArgument for a missing image, a bucket without an
// endpoint, an endpoint without a bucket, or an endpoint with an artifact
// repository.
Status CheckArgoOptions(const ArgoOptions& options);

// The content-addressed key of a stored object under `prefix`.
std::string ObjectKey(const std::string& prefix, const StoredRef& object);

// The Workflow. FailedPrecondition when no step runs (every one is cached:
// an empty DAG is not a Workflow; --no-cache exports them all); the errors of
// BuildStepScript.
StatusOr<nlohmann::json> ArgoWorkflow(const engine::LoadedPipeline& pipeline, const ExportPlan& plan,
                                      const ArgoOptions& options);

// Argo names (tasks, templates, generateName) allow lower-case letters,
// digits and '-': "train_model" -> "train-model". Distinct step names may
// meet ("a_b", "a-b"): ArgoWorkflow numbers the later ones.
std::string ArgoName(const std::string& name);

}  // namespace mlpipe::exporter
