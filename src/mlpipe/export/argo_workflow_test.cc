#include "mlpipe/export/argo_workflow.h"

#include <gtest/gtest.h>

#include "mlpipe/export/test_plan.h"

namespace mlpipe::exporter {
namespace {

using testing::FakeRef;
using testing::HandPlan;
using testing::LoadYaml;

constexpr const char* kArgoTestPipeline = R"y(pipeline: text_stats
params: {word: hello}
steps:
  generate:
    run: python3 scripts/generate.py --word ${params.word} --out ${outputs.text}
    outputs: {text: dataset}
  count:
    run: [python3, scripts/count.py, "${inputs.text}", "${outputs.counts}"]
    inputs: {text: generate.text}
    outputs: {counts: metrics}
    resources: {cpus: 2, memory: 100MiB}
  merge:
    run: python3 scripts/merge.py ${inputs.extra} ${inputs.text} ${outputs.merged}
    inputs: {extra: data/extra.txt, text: generate.text}
    outputs: {merged: dataset}
    retries: 2
    timeout: 5m
    env: {GREETING: "${params.word}"}
    resources: {cpus: 0.5}
  all_done:
    run: "true"
    after: [count, merge]
)y";

class ArgoWorkflowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.Write("scripts/generate.py", "");
    dir_.Write("scripts/count.py", "");
    dir_.Write("scripts/merge.py", "");
    pipeline_ = LoadYaml(dir_, kArgoTestPipeline);
    options_.image = "registry.example/mlpipe:1";
  }
  nlohmann::json Export(const ExportPlan& plan) {
    auto wf = ArgoWorkflow(pipeline_, plan, options_);
    EXPECT_TRUE(wf.ok()) << wf.status().ToString();
    return wf.ok() ? *wf : nlohmann::json();
  }
  static const nlohmann::json& Task(const nlohmann::json& wf, const std::string& name) {
    for (const auto& t : wf["spec"]["templates"][0]["dag"]["tasks"]) {
      if (t["name"] == name) return t;
    }
    static const nlohmann::json none;
    ADD_FAILURE() << "no task " << name;
    return none;
  }
  static const nlohmann::json& Template(const nlohmann::json& wf, const std::string& name) {
    for (const auto& t : wf["spec"]["templates"]) {
      if (t["name"] == name) return t;
    }
    static const nlohmann::json none;
    ADD_FAILURE() << "no template " << name;
    return none;
  }

  mlpipe::testing::TempDir dir_{"argo"};
  engine::LoadedPipeline pipeline_;
  ArgoOptions options_;
};

TEST_F(ArgoWorkflowTest, TasksAreTheStepsThatRunAndDependOnTheirRunningUpstreams) {
  const nlohmann::json wf = Export(HandPlan(pipeline_, {}));
  EXPECT_EQ(wf["apiVersion"], "argoproj.io/v1alpha1");
  EXPECT_EQ(wf["kind"], "Workflow");
  EXPECT_EQ(wf["metadata"]["generateName"], "text-stats-");
  EXPECT_EQ(wf["spec"]["entrypoint"], "main");
  std::vector<std::string> names;
  for (const auto& t : wf["spec"]["templates"][0]["dag"]["tasks"]) names.push_back(t["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"all-done", "count", "generate", "merge"}));  // sorted
  EXPECT_EQ(Task(wf, "all-done")["dependencies"], nlohmann::json({"count", "merge"}));
  EXPECT_EQ(Task(wf, "count")["dependencies"], nlohmann::json({"generate"}));
  EXPECT_FALSE(Task(wf, "generate").contains("dependencies"));
  EXPECT_EQ(Task(wf, "count")["arguments"]["artifacts"][0]["from"],
            "{{tasks.generate.outputs.artifacts.text}}");
  // The source: read at its content-addressed key.
  const nlohmann::json& extra = Task(wf, "merge")["arguments"]["artifacts"][0];
  EXPECT_EQ(extra["name"], "extra");
  EXPECT_EQ(extra["s3"]["key"], "mlpipe/blobs/sha256/55/" + std::string(64, '5'));
}

TEST_F(ArgoWorkflowTest, CachedStepsAreNoTasksAndTheirOutputsAreReadAtTheirKeys) {
  const nlohmann::json wf =
      Export(HandPlan(pipeline_, {{"generate", {{"text", StoredRef{FakeRef('a'), false}}}}}));
  EXPECT_EQ(wf["spec"]["templates"][0]["dag"]["tasks"].size(), 3u);
  for (const auto& t : wf["spec"]["templates"]) EXPECT_NE(t["name"], "step-generate");
  const nlohmann::json& count = Task(wf, "count");
  EXPECT_FALSE(count.contains("dependencies"));
  EXPECT_EQ(count["arguments"]["artifacts"][0]["s3"]["key"],
            "mlpipe/blobs/sha256/aa/" + std::string(64, 'a'));
  const nlohmann::json& ann = wf["metadata"]["annotations"];
  EXPECT_EQ(ann["mlpipe.dev/step.generate"], "cached: same key as run 1");
  EXPECT_EQ(ann["mlpipe.dev/step.count"], "run: new step");
  const nlohmann::json reads = nlohmann::json::parse(ann["mlpipe.dev/reads"].get<std::string>());
  ASSERT_EQ(reads.size(), 2u);  // the cached output and the source
  EXPECT_EQ(reads[0]["ref"], FakeRef('5'));
  EXPECT_EQ(reads[1]["ref"], FakeRef('a'));
}

TEST_F(ArgoWorkflowTest, FolderObjectsAreReadAsAKeyPrefix) {
  const nlohmann::json wf =
      Export(HandPlan(pipeline_, {{"generate", {{"text", StoredRef{FakeRef('b'), true}}}}}));
  EXPECT_EQ(Task(wf, "count")["arguments"]["artifacts"][0]["s3"]["key"],
            "mlpipe/trees/" + std::string(64, 'b'));
}

TEST_F(ArgoWorkflowTest, ResourcesRetriesAndDeadlinesComeFromTheSpec) {
  const nlohmann::json wf = Export(HandPlan(pipeline_, {}));
  const nlohmann::json& count = Template(wf, "step-count");
  EXPECT_EQ(count["container"]["resources"]["requests"]["cpu"], "2");
  EXPECT_EQ(count["container"]["resources"]["requests"]["memory"], "100Mi");
  EXPECT_EQ(count["container"]["resources"]["limits"], count["container"]["resources"]["requests"]);
  EXPECT_FALSE(count.contains("retryStrategy"));
  EXPECT_FALSE(count.contains("activeDeadlineSeconds"));
  const nlohmann::json& merge = Template(wf, "step-merge");
  EXPECT_EQ(merge["container"]["resources"]["requests"]["cpu"], "500m");
  EXPECT_FALSE(merge["container"]["resources"]["requests"].contains("memory"));
  EXPECT_EQ(merge["retryStrategy"]["limit"], 2);
  EXPECT_EQ(merge["retryStrategy"]["backoff"]["duration"], "1s");
  EXPECT_EQ(merge["activeDeadlineSeconds"], 300);
}

TEST_F(ArgoWorkflowTest, ContainersRunTheResolvedCommandWithInPodPaths) {
  const nlohmann::json wf = Export(HandPlan(pipeline_, {}));
  const nlohmann::json& count = Template(wf, "step-count")["container"];
  EXPECT_EQ(count["image"], "registry.example/mlpipe:1");
  EXPECT_EQ(count["command"], nlohmann::json({"python3", "/mlpipe/project/scripts/count.py",
                                              "/mlpipe/inputs/text", "/mlpipe/outputs/counts"}));
  EXPECT_EQ(count["workingDir"], "/mlpipe/work");
  const nlohmann::json& merge = Template(wf, "step-merge");
  std::map<std::string, std::string> env;
  for (const auto& e : merge["container"]["env"]) env[e["name"]] = e["value"];
  EXPECT_EQ(env["GREETING"], "hello");
  EXPECT_EQ(env["MLPIPE_PIPELINE_DIR"], "/mlpipe/project");
  EXPECT_EQ(env["MLPIPE_INPUT_EXTRA"], "/mlpipe/inputs/extra");
  EXPECT_EQ(env["MLPIPE_RUN_ID"], "{{workflow.name}}");
  EXPECT_FALSE(env.count("PATH")) << "the exporting shell's environment stays here";
  EXPECT_EQ(merge["inputs"]["artifacts"][1],
            nlohmann::json({{"name", "text"}, {"path", "/mlpipe/inputs/text"}}));
  const nlohmann::json& out = merge["outputs"]["artifacts"][0];
  EXPECT_EQ(out["name"], "merged");
  EXPECT_EQ(out["path"], "/mlpipe/outputs/merged");
  EXPECT_EQ(out["s3"]["key"], "mlpipe/runs/{{workflow.name}}/merge/merged");
}

TEST_F(ArgoWorkflowTest, AnExplicitEndpointNamesTheBucketAndTheSecret) {
  options_.s3_endpoint = "http://rgw.local:7480";
  options_.s3_bucket = "ml";
  options_.prefix = "team/mlpipe";
  const nlohmann::json wf = Export(HandPlan(pipeline_, {}));
  const nlohmann::json& s3 = Task(wf, "merge")["arguments"]["artifacts"][0]["s3"];
  EXPECT_EQ(s3["endpoint"], "rgw.local:7480");
  EXPECT_EQ(s3["insecure"], true);
  EXPECT_EQ(s3["bucket"], "ml");
  EXPECT_EQ(s3["accessKeySecret"], nlohmann::json({{"name", "mlpipe-s3"}, {"key", "accessKey"}}));
  EXPECT_EQ(s3["key"].get<std::string>().rfind("team/mlpipe/blobs/sha256/", 0), 0u);
  options_.s3_bucket = "";
  EXPECT_EQ(ArgoWorkflow(pipeline_, HandPlan(pipeline_, {}), options_).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(ArgoWorkflowTest, ANamedArtifactRepositoryIsReferencedAndKeysStayBare) {
  options_.artifact_repository = "ml-team";
  const nlohmann::json wf = Export(HandPlan(pipeline_, {}));
  EXPECT_EQ(wf["spec"]["artifactRepositoryRef"], nlohmann::json({{"key", "ml-team"}}));
  EXPECT_EQ(Task(wf, "merge")["arguments"]["artifacts"][0]["s3"].size(), 1u);  // the key alone
  options_.s3_endpoint = "http://rgw.local:7480";
  options_.s3_bucket = "ml";
  EXPECT_EQ(CheckArgoOptions(options_).code(), StatusCode::kInvalidArgument);
}

TEST_F(ArgoWorkflowTest, TheSamePlanGivesTheSameDocument) {
  const ExportPlan plan = HandPlan(pipeline_, {{"generate", {{"text", StoredRef{FakeRef('a'), false}}}}});
  EXPECT_EQ(Export(plan).dump(), Export(plan).dump());
}

TEST_F(ArgoWorkflowTest, NothingToRunIsAnError) {
  const StoredRef obj{FakeRef('a'), false};
  auto wf = ArgoWorkflow(pipeline_,
                         HandPlan(pipeline_, {{"generate", {{"text", obj}}},
                                              {"count", {{"counts", obj}}},
                                              {"merge", {{"merged", obj}}},
                                              {"all_done", {}}}),
                         options_);
  EXPECT_EQ(wf.status().code(), StatusCode::kFailedPrecondition);
}

TEST(ArgoNameTest, KeepsLettersDigitsAndDashes) {
  EXPECT_EQ(ArgoName("Train_Model.v2"), "train-model-v2");
  EXPECT_EQ(ArgoName("_x_"), "x");
  EXPECT_EQ(ArgoName("__"), "step");
}

TEST(ObjectKeyTest, MirrorsTheObjectStoreLayout) {
  EXPECT_EQ(ObjectKey("p", StoredRef{FakeRef('c'), false}), "p/blobs/sha256/cc/" + std::string(64, 'c'));
  EXPECT_EQ(ObjectKey("p", StoredRef{FakeRef('c'), true}), "p/trees/" + std::string(64, 'c'));
}

}  // namespace
}  // namespace mlpipe::exporter
