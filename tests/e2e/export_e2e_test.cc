// End-to-end: `mlpipe export argo` and `mlpipe export slurm` with the real
// binary. The Workflow is read back with an independent parser (yaml-cpp) and
// checked against what `mlpipe status` decides and what the store holds; the
// batch scripts run on a real single-node Slurm (scripts/services/; skipped,
// with the reason, where it does not answer).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>

#include "src/mlpipe/export/yaml_json_test_util.h"
#include "tests/e2e/e2e_util.h"

namespace mlpipe::e2e {
namespace {

using exporter::testing::YamlToJson;

// A diamond whose steps note when they start and end in one file every node
// sees (the project folder), so the order Slurm ran them in can be checked.
constexpr const char* kExportDiamond = R"y(pipeline: {NAME}
params: {n: 3}
steps:
  top:
    run: echo start top >> ${pipeline.dir}/order.log; seq ${params.n} > ${outputs.nums}; echo end top >> ${pipeline.dir}/order.log
    shell: true
    outputs: {nums: dataset}
  left:
    run: echo start left >> ${pipeline.dir}/order.log; sed s/^/L/ ${inputs.nums} > ${outputs.out}; sleep 1; echo end left >> ${pipeline.dir}/order.log
    shell: true
    inputs: {nums: top.nums}
    outputs: {out: dataset}
    resources: {cpus: 1, memory: 50MiB}
    timeout: 2m
  right:
    run: echo start right >> ${pipeline.dir}/order.log; sed s/^/R/ ${inputs.nums} ${inputs.extra} > ${outputs.out}; echo end right >> ${pipeline.dir}/order.log
    shell: true
    inputs: {nums: top.nums, extra: data/extra.txt}
    outputs: {out: dataset}
  bottom:
    run: echo start bottom >> ${pipeline.dir}/order.log; cat ${inputs.a} ${inputs.b} > ${outputs.all}; echo end bottom >> ${pipeline.dir}/order.log
    shell: true
    inputs: {a: left.out, b: right.out}
    outputs: {all: dataset}
)y";

std::string Diamond(const std::string& name) {
  std::string yaml = kExportDiamond;
  yaml.replace(yaml.find("{NAME}"), 6, name);
  return yaml;
}

nlohmann::json ReadWorkflow(const Project& p, const std::string& rel) {
  return YamlToJson(YAML::LoadFile(p.Path(rel)));
}

std::map<std::string, nlohmann::json> DagTasks(const nlohmann::json& wf) {
  std::map<std::string, nlohmann::json> out;
  for (const auto& t : wf["spec"]["templates"][0]["dag"]["tasks"]) out[t["name"]] = t;
  return out;
}

TEST(ExportE2ETest, ArgoWorkflowRunsWhatStatusSaysAndReadsCachedOutputsAtTheirRefs) {
  Project p("export_argo");
  p.Write("pipeline.yaml", Diamond("diamond"));
  p.Write("data/extra.txt", "x\n");
  ASSERT_EQ(p.Mlpipe({"run", "pipeline.yaml"}).exit_code, 0);
  // A changed source: right and bottom run; top and left stay cached.
  p.Write("data/extra.txt", "y\n");
  auto status = p.Mlpipe({"status", "pipeline.yaml", "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  auto exported = p.Mlpipe({"export", "argo", "pipeline.yaml", "-o", "wf.yaml"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_TRUE(Contains(exported.err, "2 of 4 steps run in the Workflow, 2 cached")) << exported.err;
  const nlohmann::json wf = ReadWorkflow(p, "wf.yaml");

  // Tasks == the steps status says run; every decision and reason annotated as status gives it.
  std::set<std::string> runs;
  for (const auto& s : nlohmann::json::parse(status.out)) {
    const std::string step = s["step"];
    if (s["action"] == "run") runs.insert(step);
    EXPECT_EQ(wf["metadata"]["annotations"]["mlpipe.dev/step." + step],
              fmt::format("{}: {}", s["action"].get<std::string>(), s["reason"].get<std::string>()));
  }
  EXPECT_EQ(runs, (std::set<std::string>{"right", "bottom"}));
  auto tasks = DagTasks(wf);
  std::set<std::string> task_names;
  for (const auto& [name, t] : tasks) task_names.insert(name);
  EXPECT_EQ(task_names, runs);
  // Dependencies == the spec's edges between steps that run.
  EXPECT_FALSE(tasks["right"].contains("dependencies"));
  EXPECT_EQ(tasks["bottom"]["dependencies"], nlohmann::json({"right"}));

  // Cached outputs are read at their content-addressed keys.
  auto top = nlohmann::json::parse(p.Mlpipe({"artifacts", "show", "diamond.top.nums", "--json"}).out);
  auto left = nlohmann::json::parse(p.Mlpipe({"artifacts", "show", "diamond.left.out", "--json"}).out);
  auto key = [](const nlohmann::json& artifact) {
    const std::string hex = artifact["digest"].get<std::string>().substr(7);
    return fmt::format("mlpipe/blobs/sha256/{}/{}", hex.substr(0, 2), hex);
  };
  std::map<std::string, nlohmann::json> right_args, bottom_args;
  for (const auto& a : tasks["right"]["arguments"]["artifacts"]) right_args[a["name"]] = a;
  for (const auto& a : tasks["bottom"]["arguments"]["artifacts"]) bottom_args[a["name"]] = a;
  EXPECT_EQ(right_args["nums"]["s3"]["key"], key(top)) << top.dump();
  EXPECT_EQ(bottom_args["a"]["s3"]["key"], key(left)) << left.dump();
  EXPECT_EQ(bottom_args["b"]["from"], "{{tasks.right.outputs.artifacts.out}}");
  // The changed source is read at its new content's key.
  const std::string extra = ShellOutput(fmt::format("sha256sum {} | cut -c1-64", p.Path("data/extra.txt")));
  EXPECT_EQ(right_args["extra"]["s3"]["key"],
            fmt::format("mlpipe/blobs/sha256/{}/{}", extra.substr(0, 2), extra.substr(0, 64)));

  // The same state gives the same bytes; --no-cache makes every step a task.
  ASSERT_EQ(p.Mlpipe({"export", "argo", "pipeline.yaml", "-o", "again.yaml"}).exit_code, 0);
  EXPECT_EQ(p.Read("wf.yaml"), p.Read("again.yaml"));
  ASSERT_EQ(p.Mlpipe({"export", "argo", "pipeline.yaml", "--no-cache", "--format", "json", "-o", "all.json"})
                .exit_code,
            0);
  EXPECT_EQ(DagTasks(nlohmann::json::parse(p.Read("all.json"))).size(), 4u);
}

TEST(ExportE2ETest, ArgoCarriesResourcesRetriesAndDeadlines) {
  Project p("export_knobs");
  p.CopyFromRepo("tests/argo/resources_pipeline.yaml", "pipeline.yaml");
  auto exported = p.Mlpipe({"export", "argo", "pipeline.yaml", "-o", "wf.yaml", "-p", "rows=7"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  const nlohmann::json wf = ReadWorkflow(p, "wf.yaml");
  std::map<std::string, nlohmann::json> templates;
  for (const auto& t : wf["spec"]["templates"]) templates[t["name"]] = t;
  const nlohmann::json& make = templates["step-make"];
  EXPECT_EQ(make["container"]["resources"]["requests"], nlohmann::json({{"cpu", "2"}, {"memory", "512Mi"}}));
  EXPECT_EQ(make["activeDeadlineSeconds"], 600);
  const nlohmann::json& slice = templates["step-slice"];
  EXPECT_EQ(slice["container"]["resources"]["limits"], nlohmann::json({{"cpu", "500m"}, {"memory", "64Mi"}}));
  EXPECT_EQ(slice["retryStrategy"]["limit"], 3);
  EXPECT_EQ(slice["retryStrategy"]["backoff"]["duration"], "5s");
  EXPECT_EQ(slice["container"]["command"],
            nlohmann::json({"sh", "-c", "head -n \"$1\" \"$2\" > \"$3\"", "head", "7", "/mlpipe/inputs/rows",
                            "/mlpipe/outputs/head"}));  // -p applied, in-pod paths
  std::map<std::string, std::string> env;
  for (const auto& e : slice["container"]["env"]) env[e["name"]] = e["value"];
  EXPECT_EQ(env["RATIO"], "0.25");
  EXPECT_EQ(env["MODE"], "fast");
  EXPECT_FALSE(env.count("MLPIPE_HOME")) << "the exporting shell's workspace is not the pod's";
  EXPECT_EQ(templates["step-report"]["activeDeadlineSeconds"], 90);
  EXPECT_EQ(DagTasks(wf)["notify"]["dependencies"], nlohmann::json({"report"}));
  EXPECT_EQ(
      nlohmann::json::parse(wf["metadata"]["annotations"]["mlpipe.dev/params"].get<std::string>())["rows"],
      7);
}

TEST(ExportE2ETest, BadInputExitsTwoWithAClearMessage) {
  Project p("export_errors");
  p.Write("pipeline.yaml", Diamond("diamond"));
  p.Write("data/extra.txt", "x\n");
  // (arguments, what the message must name)
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"export", "argo", "nope.yaml"}, "nope.yaml"},
      {{"export", "argo", "pipeline.yaml", "-p", "nosuch=1"}, "nosuch"},
      {{"export", "argo", "pipeline.yaml", "-o", "no/such/wf.yaml"}, "does not exist"},
      {{"export", "argo", "pipeline.yaml", "--s3-bucket", "b"}, "--s3-endpoint"},
      {{"export", "slurm", "pipeline.yaml", "-o", "no/such/tree"}, "does not exist"},
      {{"export", "slurm", "pipeline.yaml"}, "--output"},
  };
  for (const auto& [args, names] : cases) {
    auto out = p.Mlpipe(args);
    EXPECT_EQ(out.exit_code, 2) << args[1] << " " << args.back();
    EXPECT_TRUE(Contains(out.err, names)) << out.err;
  }
  EXPECT_FALSE(std::filesystem::exists(p.Path("no")));
}

// Asked once: sinfo takes seconds to give up on a controller that is not there.
bool ExportSlurmAnswers() {
  static const bool answers = [] {
    int rc = 0;
    ShellOutput("sinfo -h -o %P 2>&1", &rc);
    return rc == 0;
  }();
  return answers;
}

TEST(ExportE2ETest, SlurmScriptsRunTheDiamondOnSlurmInDependencyOrder) {
  if (!ExportSlurmAnswers()) {
    const char* why = std::getenv("MLPIPE_SLURM_UNAVAILABLE");
    GTEST_SKIP() << "Slurm does not answer here ("
                 << (why != nullptr ? why
                                    : "not started: make test starts it with scripts/services/start-slurm.sh")
                 << ")";
  }
  Project p("export_slurm");
  // Named for this process: Slurm keeps ended jobs listed for a while.
  const std::string pipeline = fmt::format("export_diamond_{}", getpid());
  p.Write("pipeline.yaml", Diamond(pipeline));
  p.Write("data/extra.txt", "x\n");
  auto exported = p.Mlpipe({"export", "slurm", "pipeline.yaml", "-o", "batch"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_TRUE(Contains(p.Read("batch/steps/left.sbatch"), "#SBATCH --mem=50M\n"));
  EXPECT_TRUE(Contains(p.Read("batch/steps/left.sbatch"), "#SBATCH --time=2:00\n"));
  // Submitted from elsewhere, as a user of the tree would.
  int rc = 0;
  const std::string submitted = ShellOutput(fmt::format("cd / && {}/submit.sh 2>&1", p.Path("batch")), &rc);
  ASSERT_EQ(rc, 0) << submitted;
  const std::string listed = p.Read("batch/jobs.txt");
  EXPECT_EQ(CountLines(listed, " "), 4) << listed;
  // Wait for the last one's marker (at most 3 minutes: Slurm schedules about once a second).
  for (int i = 0; i < 1800 && !std::filesystem::exists(p.Path("batch/done/bottom")); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(std::filesystem::exists(p.Path("batch/done/bottom")))
      << listed
      << ShellOutput(fmt::format("squeue -h -t all -n mlpipe-{}-bottom -o '%i %T %r' 2>&1", pipeline))
      << p.Read("batch/logs/bottom.err");
  for (const char* step : {"top", "left", "right"}) {
    EXPECT_TRUE(std::filesystem::exists(p.Path(fmt::format("batch/done/{}", step)))) << step;
  }
  EXPECT_EQ(p.Read("batch/outputs/bottom/all"), "L1\nL2\nL3\nR1\nR2\nR3\nRx\n");
  // Each step started after every step it reads from ended.
  const std::string order = p.Read("order.log");
  auto at = [&](const std::string& line) { return order.find(line + "\n"); };
  for (const auto& [before, after] :
       std::vector<std::pair<std::string, std::string>>{{"end top", "start left"},
                                                        {"end top", "start right"},
                                                        {"end left", "start bottom"},
                                                        {"end right", "start bottom"}}) {
    ASSERT_NE(at(before), std::string::npos) << order;
    ASSERT_NE(at(after), std::string::npos) << order;
    EXPECT_LT(at(before), at(after)) << before << " / " << after << " in\n" << order;
  }
  // Slurm ran them as jobs named after the pipeline and step.
  const std::string names = ShellOutput("squeue -h -t all -o %j");
  EXPECT_TRUE(Contains(names, fmt::format("mlpipe-{}-bottom", pipeline))) << names;
}

}  // namespace
}  // namespace mlpipe::e2e
