#include "mlpipe/spec/loader.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mlpipe/base/sha256.h"
#include "mlpipe/spec/graph_export.h"
#include "mlpipe/spec/params.h"
#include "mlpipe/spec/test_util.h"

namespace mlpipe::spec {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

constexpr const char* kTextStats = R"(pipeline: textstats
description: Count words of a generated text and of a source file.
params:
  word: hello
  repeat: 3
steps:
  generate:
    run: python3 scripts/generate.py --word ${params.word} --repeat ${params.repeat} --out ${outputs.text}
    outputs:
      text: dataset
  count:
    run:
      - python3
      - scripts/count.py
      - ${inputs.text}
      - ${outputs.counts}
    inputs:
      text: generate.text
    outputs:
      counts: metrics
  merge:
    run: python3 scripts/merge.py ${inputs.extra} ${inputs.text} ${outputs.merged}
    inputs:
      extra: data/extra.txt
      text: generate.text
    outputs:
      merged: dataset
    retries: 2
    timeout: 5m
  done:
    run: "true"
    after: [count, merge]
)";

class LoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.Write("scripts/generate.py", "print('gen')\n");
    dir_.Write("scripts/count.py", "print('count')\n");
    dir_.Write("scripts/merge.py", "print('merge')\n");
    dir_.Write("data/extra.txt", "extra words\n");
  }
  testing::TempDir dir_;
};

TEST_F(LoaderTest, TextStatsExampleValidates) {
  std::string path = dir_.Write("textstats.yaml", kTextStats);
  LoadResult result = LoadPipelineFile(path);
  ASSERT_TRUE(result.ok()) << result.ErrorText();
  const PipelineSpec& spec = result.spec;
  EXPECT_EQ(spec.name, "textstats");
  EXPECT_EQ(spec.description, "Count words of a generated text and of a source file.");
  EXPECT_EQ(spec.dir, dir_.path());
  ASSERT_EQ(spec.steps.size(), 4u);
  const StepSpec& generate = spec.steps[0];
  EXPECT_EQ(generate.name, "generate");
  EXPECT_EQ(generate.loc.line, 7);
  EXPECT_EQ(generate.loc.column, 3);
  EXPECT_THAT(generate.command, ElementsAre("python3", "scripts/generate.py", "--word", "${params.word}",
                                            "--repeat", "${params.repeat}", "--out", "${outputs.text}"));
  ASSERT_EQ(generate.outputs.size(), 1u);
  EXPECT_EQ(generate.outputs[0].type, "dataset");
  EXPECT_THAT(generate.code_files, ElementsAre("scripts/generate.py"));

  const StepSpec* count = spec.FindStep("count");
  ASSERT_NE(count, nullptr);
  EXPECT_THAT(count->command,
              ElementsAre("python3", "scripts/count.py", "${inputs.text}", "${outputs.counts}"));
  ASSERT_EQ(count->inputs.size(), 1u);
  EXPECT_EQ(count->inputs[0].kind, InputBinding::Kind::kStepOutput);
  EXPECT_EQ(count->inputs[0].step(), "generate");
  EXPECT_EQ(count->inputs[0].output(), "text");

  const StepSpec* merge = spec.FindStep("merge");
  ASSERT_NE(merge, nullptr);
  EXPECT_EQ(merge->inputs[0].kind, InputBinding::Kind::kSource);
  EXPECT_EQ(merge->inputs[0].source_path(), "data/extra.txt");
  EXPECT_EQ(merge->retries, 2);
  EXPECT_EQ(merge->timeout_ns, 300'000'000'000);

  const StepSpec* done = spec.FindStep("done");
  EXPECT_THAT(done->command, ElementsAre("true"));
  EXPECT_THAT(done->after, ElementsAre("count", "merge"));
  EXPECT_TRUE(done->code_files.empty());
  EXPECT_THAT(TopologicalOrder(spec), ElementsAre(0, 1, 2, 3));
}

TEST_F(LoaderTest, ReadsEveryStepKey) {
  dir_.Write("lib/helper.py", "");
  auto result = LoadPipelineString(R"(
pipeline: p
steps:
  s:
    description: does things
    run: ./scripts/count.py 'a b' "${params.x}" --flag
    retries: 0
    retry_backoff: 500ms
    timeout: 30
    resources: {cpus: 2, memory: 4GiB}
    env: {MODE: fast, OUT: "${outputs.o}", N: 3}
    workdir: ${pipeline.dir}/work
    cache: false
    code: [lib/helper.py]
    outputs: {o: report}
params:
  x: 1
)",
                                   "p.yaml", dir_.path());
  ASSERT_TRUE(result.ok()) << result.ErrorText();
  const StepSpec& s = result.spec.steps[0];
  EXPECT_EQ(s.description, "does things");
  EXPECT_THAT(s.command, ElementsAre("./scripts/count.py", "a b", "${params.x}", "--flag"));
  EXPECT_EQ(s.retry_backoff_ns, 500'000'000);
  EXPECT_EQ(s.timeout_ns, 30'000'000'000);
  EXPECT_EQ(s.resources.cpus, 2.0);
  EXPECT_EQ(s.resources.memory_bytes, 4LL << 30);
  EXPECT_EQ(s.env.at("MODE"), "fast");
  EXPECT_EQ(s.env.at("N"), "3");
  EXPECT_EQ(s.workdir, "${pipeline.dir}/work");
  EXPECT_FALSE(s.cache);
  EXPECT_THAT(s.code_files, ElementsAre("lib/helper.py", "scripts/count.py"));
}

TEST_F(LoaderTest, ShellTrueKeepsTheCommandAsOneString) {
  auto result = LoadPipelineString(R"(
pipeline: p
steps:
  s:
    shell: true
    run: python3 scripts/count.py | sort > ${outputs.o}
    outputs: {o: report}
)",
                                   "p.yaml", dir_.path());
  ASSERT_TRUE(result.ok()) << result.ErrorText();
  EXPECT_TRUE(result.spec.steps[0].shell);
  EXPECT_THAT(result.spec.steps[0].command, ElementsAre("python3 scripts/count.py | sort > ${outputs.o}"));
  EXPECT_THAT(result.spec.steps[0].code_files, ElementsAre("scripts/count.py"));
}

TEST_F(LoaderTest, KeepOnFailureIsReadForOutputsAndRefusedForInputs) {
  auto result = LoadPipelineString(R"(
pipeline: p
steps:
  check:
    run: python3 scripts/count.py ${outputs.report} ${outputs.clean}
    outputs: {report: {type: report, keep_on_failure: true}, clean: dataset}
)",
                                   "p.yaml", dir_.path());
  ASSERT_TRUE(result.ok()) << result.ErrorText();
  ASSERT_EQ(result.spec.steps[0].outputs.size(), 2u);
  EXPECT_EQ(result.spec.steps[0].outputs[0].name, "report");
  EXPECT_TRUE(result.spec.steps[0].outputs[0].keep_on_failure);
  EXPECT_EQ(result.spec.steps[0].outputs[0].type, "report");
  EXPECT_FALSE(result.spec.steps[0].outputs[1].keep_on_failure);
  dir_.Write(
      "c.yaml",
      "component: c\ninputs: {data: {type: dataset, keep_on_failure: true}}\nrun: cat ${inputs.data}\n");
  auto refused =
      LoadPipelineString("pipeline: p\nsteps:\n  a:\n    uses: c.yaml\n    inputs: {data: data/extra.txt}\n",
                         "p.yaml", dir_.path());
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.ErrorText(), ::testing::HasSubstr("keep_on_failure"));
}

constexpr const char* kTrainComponent = R"(component: train-model
description: Train a model.
inputs:  {train: dataset, valid: {type: dataset, description: held out}}
outputs: {model: model}
params:  {depth: {type: int, default: 6}, eta: 0.3, tag: none}
run: python3 train.py --depth ${params.depth} --eta ${params.eta} --train ${inputs.train} --valid ${inputs.valid} --out ${outputs.model}
code: [lib.py]
env: {TAG: "${params.tag}"}
)";

TEST_F(LoaderTest, ComponentStepBindsInputsAndParams) {
  std::string component = dir_.Write("components/train.yaml", kTrainComponent);
  dir_.Write("components/train.py", "");
  dir_.Write("components/lib.py", "");
  auto result = LoadPipelineString(R"(
pipeline: p
params:
  max_depth: 8
steps:
  split:
    run: python3 scripts/count.py ${outputs.train} ${outputs.valid}
    outputs: {train: dataset, valid: dataset}
  train:
    uses: ./components/train.yaml
    inputs: {train: split.train, valid: split.valid}
    params: {depth: "${params.max_depth}", tag: best}
    retries: 1
)",
                                   "p.yaml", dir_.path());
  ASSERT_TRUE(result.ok()) << result.ErrorText();
  const StepSpec& train = result.spec.steps[1];
  ASSERT_NE(train.component, nullptr);
  EXPECT_EQ(train.component->name, "train-model");
  EXPECT_EQ(train.component->dir, dir_.path() + "/components");
  EXPECT_EQ(train.component->digest, Sha256Hex(kTrainComponent));
  EXPECT_EQ(train.retries, 1);
  ASSERT_EQ(train.outputs.size(), 1u);
  EXPECT_EQ(train.outputs[0].type, "model");
  EXPECT_EQ(train.inputs[0].type, "dataset");
  EXPECT_EQ(train.params["depth"], "${params.max_depth}");
  EXPECT_EQ(train.params["eta"], 0.3);
  EXPECT_EQ(train.params["tag"], "best");
  EXPECT_EQ(train.env.at("TAG"), "${params.tag}");
  EXPECT_THAT(train.code_files, UnorderedElementsAre("components/lib.py", "components/train.py"));
  auto scope = ResolveStepParams(train, DefaultParams(result.spec));
  ASSERT_TRUE(scope.ok()) << scope.status().ToString();
  EXPECT_EQ(*scope, nlohmann::json({{"depth", 8}, {"eta", 0.3}, {"tag", "best"}}));
}

TEST_F(LoaderTest, BuiltinComponentsComeFromTheResolver) {
  LoadOptions options;
  options.builtin_resolver = [](const std::string& name) -> std::optional<std::string> {
    if (name != "split") return std::nullopt;
    return std::string(R"(builtin: split
inputs: {data: dataset}
outputs: {train: dataset, test: dataset}
params: {test_fraction: 0.2, seed: 1}
)");
  };
  options.builtin_names = [] { return std::vector<std::string>{"split", "train"}; };
  auto result = LoadPipelineString(R"(
pipeline: p
steps:
  split:
    uses: mlpipe/split
    inputs: {data: data/extra.txt}
    params: {seed: 7}
  count:
    run: python3 scripts/count.py ${inputs.t} ${outputs.c}
    inputs: {t: split.test}
    outputs: {c: metrics}
)",
                                   "p.yaml", dir_.path(), options);
  ASSERT_TRUE(result.ok()) << result.ErrorText();
  const StepSpec& split = result.spec.steps[0];
  EXPECT_EQ(split.builtin(), "split");
  EXPECT_TRUE(split.command.empty());
  ASSERT_NE(split.component, nullptr);
  EXPECT_FALSE(split.component->digest.empty());
  EXPECT_EQ(split.params["seed"], 7);
  EXPECT_EQ(split.params["test_fraction"], 0.2);

  auto bad = LoadPipelineString("pipeline: p\nsteps:\n  s:\n    uses: mlpipe/splt\n", "p.yaml", dir_.path(),
                                options);
  ASSERT_EQ(bad.diagnostics.size(), 1u);
  EXPECT_EQ(
      bad.diagnostics[0].ToString(),
      "p.yaml:4:11: error: unknown built-in component 'mlpipe/splt'\n  hint: did you mean 'mlpipe/split'?");
}

// The loader lets go of each step's part of the YAML tree once the step is
// read: later steps, and an alias back into an early step, must not notice.
TEST_F(LoaderTest, LongPipelineReadsEveryStepAndAliasesBackward) {
  for (bool alias : {false, true}) {
    std::string text = "pipeline: long\nsteps:\n";
    const int n = 5000;
    for (int i = 0; i < n; ++i) {
      text += fmt::format("  s{}:\n    run: [echo, 'w{}']\n", i, i);
      if (i == 0) text += "    env: &e {A: 'first'}\n";
      if (i == n - 1) text += alias ? "    env: *e\n" : "    env: {A: last}\n";
      if (i > 0) text += fmt::format("    after: [s{}]\n", i - 1);
    }
    auto result = LoadPipelineString(text, "long.yaml", dir_.path());
    ASSERT_TRUE(result.ok()) << result.ErrorText();
    ASSERT_EQ(result.spec.steps.size(), static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      const StepSpec& s = result.spec.steps[i];
      ASSERT_EQ(s.name, fmt::format("s{}", i));
      ASSERT_EQ(s.command, (std::vector<std::string>{"echo", fmt::format("w{}", i)}));
      ASSERT_EQ(s.loc.line, 3 + 2 * i + (i > 0 ? i - 1 : 0) + (i > 0 ? 1 : 0)) << i;
    }
    EXPECT_EQ(result.spec.steps[n - 1].env.at("A"), alias ? "first" : "last");
  }
}

TEST_F(LoaderTest, MissingFileIsOneDiagnostic) {
  auto result = LoadPipelineFile(dir_.path() + "/nope.yaml");
  ASSERT_EQ(result.diagnostics.size(), 1u);
  EXPECT_THAT(result.diagnostics[0].message, ::testing::HasSubstr("cannot read pipeline file"));
}

TEST_F(LoaderTest, TenThousandStepChainValidates) {
  std::string yaml = "pipeline: chain\nparams:\n  n: 1\nsteps:\n";
  const int kSteps = 10000;
  for (int i = 0; i < kSteps; ++i) {
    yaml += fmt::format("  s{}:\n    run: python3 scripts/count.py {} ${{outputs.out}} --n ${{params.n}}\n",
                        i, i == 0 ? "data/extra.txt" : "${inputs.in}");
    if (i > 0) yaml += fmt::format("    inputs:\n      in: s{}.out\n", i - 1);
    yaml += "    outputs:\n      out: dataset\n";
  }
  auto result = LoadPipelineString(yaml, "chain.yaml", dir_.path());
  ASSERT_TRUE(result.ok()) << result.ErrorText().substr(0, 2000);
  ASSERT_EQ(result.spec.steps.size(), static_cast<size_t>(kSteps));
  EXPECT_EQ(result.spec.steps.back().inputs[0].step(), "s9998");
  auto order = TopologicalOrder(result.spec);
  ASSERT_EQ(order.size(), static_cast<size_t>(kSteps));
  EXPECT_EQ(order.front(), 0);
  EXPECT_EQ(order.back(), kSteps - 1);
}

}  // namespace
}  // namespace mlpipe::spec
