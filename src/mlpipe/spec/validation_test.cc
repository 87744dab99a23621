// One test per class of spec error: a broken spec string and the exact
// message (file:line:column, what, hint) it must produce.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mlpipe/spec/loader.h"
#include "mlpipe/spec/test_util.h"

namespace mlpipe::spec {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class ValidationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.Write("scripts/gen.py", "");
    dir_.Write("data/in.txt", "x\n");
  }
  std::vector<std::string> Errors(const std::string& yaml) {
    auto result = LoadPipelineString(yaml, "p.yaml", dir_.path());
    std::vector<std::string> out;
    for (const auto& d : result.diagnostics) out.push_back(d.ToString());
    return out;
  }
  testing::TempDir dir_;
};

TEST_F(ValidationTest, YamlSyntaxErrorHasLineAndColumn) {
  auto errors = Errors("pipeline: p\nsteps:\n  a:\n    run: [echo\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr("p.yaml:5:1: error: YAML syntax error: "));
  EXPECT_THAT(errors[0], HasSubstr("hint: check indentation"));
}

TEST_F(ValidationTest, UnknownKeysAtEveryLevelWithDidYouMean) {
  auto errors = Errors(R"(pipeline: p
descripton: x
steps:
  a:
    run: echo ${outputs.o}
    retires: 2
    outputs: {o: dataset}
    resources: {cpu: 2}
params:
  depth: {type: int, defualt: 3}
)");
  EXPECT_THAT(
      errors,
      ElementsAre(
          "p.yaml:2:1: error: unknown key 'descripton' in the pipeline\n  hint: did you mean 'description'?",
          "p.yaml:6:5: error: unknown key 'retires' in step 'a'\n  hint: did you mean 'retries'?",
          "p.yaml:8:17: error: unknown key 'cpu' in resources of step 'a'\n  hint: did you mean 'cpus'?",
          "p.yaml:10:3: error: param 'depth' has no default\n  hint: add default: VALUE (every param needs a "
          "default in this version)",
          "p.yaml:10:22: error: unknown key 'defualt' in param 'depth'\n  hint: did you mean 'default'?"));
}

TEST_F(ValidationTest, UnknownKeyWithoutCloseMatchListsAllowedKeys) {
  auto errors = Errors("pipeline: p\nzzz: 1\nsteps:\n  a:\n    run: echo\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0],
            "p.yaml:2:1: error: unknown key 'zzz' in the pipeline\n"
            "  hint: allowed keys: pipeline, description, params, steps, register, sources, triggers, "
            "concurrency, cooldown, max_runs_per_day, max_duration, ci, deploy, challenger_of");
}

TEST_F(ValidationTest, MissingAndMistypedFields) {
  auto errors = Errors(R"(description: no name
steps:
  a:
    run: echo
    retries: many
    timeout: 5 minutes
    resources: {memory: 4 gigs}
    cache: maybe
  b: echo hi
)");
  EXPECT_THAT(
      errors,
      ElementsAre("p.yaml:1:1: error: missing pipeline: name\n  hint: add pipeline: NAME at the top",
                  "p.yaml:5:14: error: retries of step 'a' must be an integer, got 'many'",
                  "p.yaml:6:14: error: timeout of step 'a': bad duration '5 minutes'\n"
                  "  hint: write a duration like 500ms, 30s, 5m, 2h, or a number of seconds",
                  "p.yaml:7:25: error: memory of step 'a': bad size '4 gigs'\n"
                  "  hint: write a size like 512MiB, 4GiB, 2G (= 2*10^9) or a number of bytes",
                  "p.yaml:8:12: error: cache must be true or false, got 'maybe'",
                  "p.yaml:9:6: error: step 'b' must be a map (run:, inputs:, outputs:, ...), got 'echo hi'\n"
                  "  hint: indent the step's keys under its name"));
}

TEST_F(ValidationTest, StepsMustBeAMap) {
  auto errors = Errors("pipeline: p\nsteps: [a, b]\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr("p.yaml:2:8: error: steps: must be a map of step name: step, got a list"));
}

TEST_F(ValidationTest, StepWithoutRunOrUsesAndWithBoth) {
  auto errors =
      Errors("pipeline: p\nsteps:\n  a:\n    description: x\n  b:\n    run: echo\n    uses: ./c.yaml\n");
  EXPECT_THAT(errors,
              ElementsAre("p.yaml:3:3: error: step 'a' has no run: or uses:\n"
                          "  hint: add run: COMMAND, or uses: ./components/NAME.yaml or mlpipe/NAME",
                          "p.yaml:7:5: error: step 'b' has both run: and uses:\n"
                          "  hint: a step runs either its own command (run:) or a component (uses:)"));
}

TEST_F(ValidationTest, DuplicateStepNamePointsAtSecondAndNamesFirstLine) {
  auto errors = Errors("pipeline: p\nsteps:\n  a:\n    run: echo 1\n  a:\n    run: echo 2\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0],
            "p.yaml:5:3: error: duplicate key 'a' in steps: (first defined at line 3)\n"
            "  hint: YAML keeps only one of them; rename or remove one");
}

// Maps of more than 16 keys find duplicates by sorting their keys: the same
// reports, each duplicate naming the first occurrence, a key thrice twice.
TEST_F(ValidationTest, DuplicatesInABigMapNameTheFirstOccurrence) {
  std::string yaml = "pipeline: p\nsteps:\n";
  for (int i = 0; i < 20; ++i)
    yaml += "  s" + std::to_string(i) + ":\n    run: echo " + std::to_string(i) + "\n";
  yaml += "  s3:\n    run: echo again\n";   // line 43
  yaml += "  s19:\n    run: echo again\n";  // line 45
  yaml += "  s3:\n    run: echo thrice\n";  // line 47
  yaml += "  join:\n    run: cat ${inputs.a} ${inputs.b}\n    inputs:\n";
  for (int i = 0; i < 18; ++i) yaml += "      in" + std::to_string(i) + ": s" + std::to_string(i) + ".x\n";
  auto errors = Errors(yaml);
  std::vector<std::string> dups;
  for (const auto& e : errors) {
    if (e.find("duplicate") != std::string::npos) dups.push_back(e.substr(0, e.find('\n')));
  }
  EXPECT_THAT(dups,
              ElementsAre("p.yaml:43:3: error: duplicate key 's3' in steps: (first defined at line 9)",
                          "p.yaml:45:3: error: duplicate key 's19' in steps: (first defined at line 41)",
                          "p.yaml:47:3: error: duplicate key 's3' in steps: (first defined at line 9)"));
}

TEST_F(ValidationTest, DuplicateInputOfABigJoin) {
  std::string yaml =
      "pipeline: p\nsteps:\n  a:\n    run: echo 1 > ${outputs.x}\n    shell: true\n"
      "    outputs: {x: dataset}\n  join:\n    run: cat ${inputs.in0}\n    inputs:\n";
  for (int i = 0; i < 30; ++i) yaml += "      in" + std::to_string(i) + ": a.x\n";  // lines 10-39
  yaml += "      in7: a.x\n";                                                       // line 40
  auto result = LoadPipelineString(yaml, "p.yaml", dir_.path());
  ASSERT_EQ(result.diagnostics.size(), 1u) << result.ErrorText();
  EXPECT_THAT(
      result.diagnostics[0].ToString(),
      HasSubstr(
          "p.yaml:40:7: error: duplicate key 'in7' in inputs of step 'join' (first defined at line 17)"));
  // The first 30 are bound, each to a.x, in spec order.
  ASSERT_EQ(result.spec.steps.size(), 2u);
  const auto& inputs = result.spec.steps[1].inputs;
  ASSERT_EQ(inputs.size(), 30u);
  EXPECT_EQ(inputs[29].name, "in29");
  EXPECT_EQ(inputs[29].step(), "a");
  EXPECT_EQ(inputs[29].output(), "x");
}

TEST_F(ValidationTest, DuplicateKeyInsideAStep) {
  auto errors = Errors("pipeline: p\nsteps:\n  a:\n    run: echo 1\n    run: echo 2\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0],
              HasSubstr("p.yaml:5:5: error: duplicate key 'run' in step 'a' (first defined at line 4)"));
}

TEST_F(ValidationTest, UnknownStepsInInputsAndAfter) {
  auto errors = Errors(R"(pipeline: p
steps:
  generate:
    run: echo ${outputs.text}
    outputs: {text: dataset}
  count:
    run: echo ${inputs.text}
    inputs: {text: genrate.text}
    after: [generat, zzz]
)");
  EXPECT_THAT(
      errors,
      ElementsAre("p.yaml:8:20: error: input 'text' of step 'count' refers to unknown step 'genrate'\n"
                  "  hint: did you mean 'generate'?",
                  "p.yaml:9:13: error: after: of step 'count' names unknown step 'generat'\n  hint: did you "
                  "mean 'generate'?",
                  "p.yaml:9:22: error: after: of step 'count' names unknown step 'zzz'\n"
                  "  hint: after: lists names of other steps"));
}

TEST_F(ValidationTest, RepeatedUnknownStepGetsTheSameHintEverywhere) {
  auto errors = Errors(R"(pipeline: p
steps:
  generate:
    run: echo ${outputs.text}
    outputs: {text: dataset}
  a:
    run: echo ${inputs.t}
    inputs: {t: genrate.text}
  b:
    run: echo ${inputs.t}
    inputs: {t: genrate.text}
    after: [genrate]
)");
  EXPECT_THAT(errors, ElementsAre("p.yaml:8:17: error: input 't' of step 'a' refers to unknown step "
                                  "'genrate'\n  hint: did you mean 'generate'?",
                                  "p.yaml:11:17: error: input 't' of step 'b' refers to unknown step "
                                  "'genrate'\n  hint: did you mean 'generate'?",
                                  "p.yaml:12:13: error: after: of step 'b' names unknown step 'genrate'\n  "
                                  "hint: did you mean 'generate'?"));
}

TEST_F(ValidationTest, ColumnsAfterNonAsciiTextCountBytes) {
  // 'é' is two bytes in UTF-8; positions count bytes, as they always have.
  auto errors = Errors("pipeline: p\nsteps:\n  a: {description: \"\xC3\xA9\", run: echo, retries: x}\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "p.yaml:3:46: error: retries of step 'a' must be an integer, got 'x'");
}

TEST_F(ValidationTest, UnknownOutputsAndUnboundInputs) {
  auto errors = Errors(R"(pipeline: p
steps:
  generate:
    run: echo ${outputs.text} ${outputs.x}
    outputs: {text: dataset}
  count:
    run: echo ${inputs.text} ${inputs.x}
    inputs: {text: generate.txt}
)");
  EXPECT_THAT(
      errors,
      ElementsAre("p.yaml:4:10: error: ${outputs.x} refers to unknown output 'x' in step 'generate'\n"
                  "  hint: declare it under outputs:; outputs are: text",
                  "p.yaml:7:10: error: ${inputs.x} refers to unknown input 'x' in step 'count'\n"
                  "  hint: bind it under inputs:; inputs are: text",
                  "p.yaml:8:20: error: input 'text' of step 'count': step 'generate' has no output 'txt'\n"
                  "  hint: did you mean 'generate.text'?"));
}

TEST_F(ValidationTest, UnknownParamsAndPlaceholders) {
  auto errors = Errors(R"(pipeline: p
params: {word: hi}
steps:
  a:
    run: [echo, "${params.wrd}", "${params.nope}", "${foo.bar}", "${params.word"]
)");
  EXPECT_THAT(
      errors,
      ElementsAre("p.yaml:5:17: error: ${params.wrd} refers to unknown pipeline param 'wrd' in step 'a'\n"
                  "  hint: did you mean '${params.word}'?",
                  "p.yaml:5:34: error: ${params.nope} refers to unknown pipeline param 'nope' in step 'a'\n"
                  "  hint: declare it under params:; params are: word",
                  "p.yaml:5:52: error: unknown placeholder '${foo.bar}' in step 'a'\n"
                  "  hint: placeholders are ${params.NAME}, ${inputs.NAME}, ${outputs.NAME}, ${run.id}, "
                  "${step.name}, "
                  "${pipeline.dir}; $$ for a literal $",
                  "p.yaml:5:66: error: unterminated placeholder '${params.word' (missing '}') in step 'a'\n"
                  "  hint: placeholders are ${params.NAME}, ${inputs.NAME}, ${outputs.NAME}, ${run.id}, "
                  "${step.name}, "
                  "${pipeline.dir}; $$ for a literal $"));
}

TEST_F(ValidationTest, CyclesArePrinted) {
  auto errors = Errors(R"(pipeline: p
steps:
  a:
    run: echo ${inputs.x} ${outputs.o}
    inputs: {x: c.o}
    outputs: {o: dataset}
  b:
    run: echo ${inputs.x} ${outputs.o}
    inputs: {x: a.o}
    outputs: {o: dataset}
  c:
    run: echo ${outputs.o}
    after: [b]
    outputs: {o: dataset}
  d:
    run: echo
    after: [d]
)");
  EXPECT_THAT(
      errors,
      ElementsAre(
          "p.yaml:3:3: error: cycle: a -> b -> c -> a\n  hint: a step cannot depend on its own outputs, "
          "directly or "
          "through other steps; remove one of these inputs or after: entries",
          "p.yaml:15:3: error: cycle: d -> d\n  hint: a step cannot depend on its own outputs, directly or "
          "through other steps; remove one of these inputs or after: entries"));
}

TEST_F(ValidationTest, OutputsNobodyWrites) {
  auto errors = Errors(R"(pipeline: p
steps:
  a:
    run: echo ${outputs.written}
    env: {OUT: "${outputs.by_env}"}
    outputs: {written: dataset, by_env: dataset, forgotten: model}
)");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0],
            "p.yaml:6:50: error: output 'forgotten' of step 'a' is never written: neither run: nor env: "
            "mentions ${outputs.forgotten}\n  hint: pass ${outputs.forgotten} in run: or env: so the "
            "command knows where to write it");
}

TEST_F(ValidationTest, OutputTypeMustMatchComponentInputType) {
  dir_.Write("components/eval.yaml", R"(component: evaluate
inputs: {model: model}
outputs: {report: report}
run: echo ${inputs.model} ${outputs.report}
)");
  auto errors = Errors(R"(pipeline: p
steps:
  prep:
    run: echo ${outputs.data}
    outputs: {data: dataset}
  eval:
    uses: ./components/eval.yaml
    inputs: {model: prep.data}
)");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0],
            "p.yaml:8:21: error: input 'model' of step 'eval' expects type model, but prep.data is of "
            "type dataset\n  hint: bind an output of type model");
}

TEST_F(ValidationTest, ParamDefaultMustMatchItsType) {
  auto errors = Errors(R"(pipeline: p
params:
  depth: {type: int, default: abc}
  rate: {type: float, default: [1]}
  kind: {type: integr, default: 1}
steps:
  a:
    run: echo
)");
  EXPECT_THAT(
      errors,
      ElementsAre("p.yaml:3:31: error: default of param 'depth' does not match its type int: got 'abc'\n"
                  "  hint: give a default of type int, or change type:",
                  "p.yaml:4:32: error: default of param 'rate' does not match its type float: got a list\n"
                  "  hint: give a default of type float, or change type:",
                  "p.yaml:5:16: error: unknown type 'integr' for param 'kind'\n  hint: types are int, float, "
                  "string, bool, list"));
}

TEST_F(ValidationTest, StepBoundComponentParamOfWrongType) {
  dir_.Write("components/train.yaml", R"(component: train-model
outputs: {model: model}
params: {depth: {type: int, default: 6}}
run: echo ${params.depth} ${outputs.model}
)");
  auto errors = Errors(R"(pipeline: p
steps:
  train:
    uses: ./components/train.yaml
    params: {depth: deep, dpth: 3, eta: "${params.nope}"}
)");
  EXPECT_THAT(
      errors,
      ElementsAre(
          "p.yaml:5:21: error: param 'depth' of step 'train' is int (component 'train-model'), got 'deep'\n"
          "  hint: give a value of type int",
          "p.yaml:5:27: error: component 'train-model' has no param 'dpth'\n  hint: did you mean 'depth'?",
          "p.yaml:5:36: error: component 'train-model' has no param 'eta'\n  hint: its params are: depth"));
}

TEST_F(ValidationTest, ComponentFileErrorsNameTheComponentFile) {
  dir_.Write("components/bad.yaml", R"(component: bad
outputs: {model: model, unused: report}
run: echo ${params.missing} ${outputs.model}
retries: 3
)");
  auto errors = Errors(
      "pipeline: p\nsteps:\n  a:\n    uses: ./components/bad.yaml\n    run: echo\n"
      "  b:\n    uses: components/none.yaml\n");
  EXPECT_THAT(
      errors,
      ElementsAre("p.yaml:4:5: error: step 'a' has both run: and uses:\n"
                  "  hint: a step runs either its own command (run:) or a component (uses:)",
                  // Step a has run: and uses: together, so bad.yaml is not loaded.
                  ::testing::StartsWith(
                      "p.yaml:7:11: error: component file 'components/none.yaml' not found (resolved to ")));
}

TEST_F(ValidationTest, ComponentFileProblemsAreReportedInThatFile) {
  dir_.Write("components/bad.yaml", R"(component: bad
outputs: {model: model, unused: report}
run: echo ${params.missing} ${outputs.model}
retries: 3
)");
  auto errors = Errors("pipeline: p\nsteps:\n  a:\n    uses: ./components/bad.yaml\n");
  EXPECT_THAT(errors, ElementsAre("components/bad.yaml:2:25: error: output 'unused' of component 'bad' is "
                                  "never written: neither run: nor env: "
                                  "mentions ${outputs.unused}\n  hint: pass ${outputs.unused} in run: or "
                                  "env: so the command knows where to "
                                  "write it",
                                  "components/bad.yaml:3:6: error: ${params.missing} refers to unknown "
                                  "component param 'missing' in component "
                                  "'bad'\n  hint: declare it under params:",
                                  "components/bad.yaml:4:1: error: unknown key 'retries' in the component\n"
                                  "  hint: allowed keys: component, builtin, description, inputs, outputs, "
                                  "params, run, shell, env, workdir, code, tests"));
}

TEST_F(ValidationTest, MissingSourceShowsResolvedPath) {
  auto errors = Errors(R"(pipeline: p
steps:
  a:
    run: echo ${inputs.x} ${inputs.y}
    inputs: {x: data/in.txt, y: data/missing.csv}
)");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0],
            "p.yaml:5:33: error: source 'data/missing.csv' of step 'a' does not exist (resolved to " +
                dir_.path() +
                "/data/missing.csv)\n  hint: values with a '/' are files or folders "
                "relative to the pipeline file's folder; STEP.OUTPUT names another step's output");
}

TEST_F(ValidationTest, UnterminatedQuoteAndShellOperatorInRun) {
  auto errors = Errors(R"(pipeline: p
steps:
  a:
    run: echo 'abc
  b:
    run: cat x | sort
)");
  EXPECT_THAT(
      errors,
      ElementsAre(
          "p.yaml:4:10: error: run: of step 'a': unterminated single quote starting at character 6\n"
          "  hint: close the quote, or write run: as a list of arguments",
          "p.yaml:6:10: error: run: of step 'b' contains the shell operator '|', but it is not run by a "
          "shell\n"
          "  hint: add shell: true to run it with /bin/sh -c, or quote the word to pass it literally"));
}

TEST_F(ValidationTest, AScriptThatDoesNotExistIsReportedAtItsWordWithADidYouMean) {
  auto errors = Errors(R"(pipeline: p
steps:
  a:
    run: python3 scripts/gne.py --out ${outputs.o}
    outputs: {o: dataset}
  b:
    run: [bash, "tools/prep.sh"]
  c:
    run: ./scripts/missing.sh
)");
  EXPECT_THAT(
      errors,
      ElementsAre(
          "p.yaml:4:18: error: step 'a' runs script 'scripts/gne.py', which does not exist (resolved to " +
              dir_.path() + "/scripts/gne.py)\n  hint: did you mean 'scripts/gen.py'?",
          "p.yaml:7:17: error: step 'b' runs script 'tools/prep.sh', which does not exist (resolved to " +
              dir_.path() +
              "/tools/prep.sh)\n  hint: the folder tools/ does not exist either; paths in run: are "
              "relative to the pipeline file's folder",
          "p.yaml:9:10: error: step 'c' runs script './scripts/missing.sh', which does not exist (resolved "
          "to " +
              dir_.path() + "/scripts/missing.sh)\n  hint: scripts there: ./scripts/gen.py"));
}

TEST_F(ValidationTest, ScriptsThatAreMadeFirstOrNotOursToCheckAreNoErrors) {
  dir_.Write("tools/ok.sh", "echo ok\n");
  auto errors = Errors(R"(pipeline: p
steps:
  placeholder:
    run: python3 ${inputs.script}
    inputs: {script: scripts/gen.py}
  made_here:
    run: printf 'print(1)' > made.py && python3 made.py
    shell: true
  made_by_a_step:
    run: python3 scripts/gen.py --out /tmp/mlpipe-made/run.py
  runs_it:
    run: python3 /tmp/mlpipe-made/run.py
    after: [made_by_a_step]
  in_its_workdir:
    run: python3 local.py
    workdir: /tmp
  absolute:
    run: [bash, )" + dir_.path() +
                       R"(/tools/ok.sh]
  module:
    run: python3 -m http.server
  changes_folder:
    run: cd tools && bash other.sh
    shell: true
)");
  EXPECT_THAT(errors, ::testing::IsEmpty());
}

TEST_F(ValidationTest, AComponentsScriptIsCheckedInItsFolder) {
  dir_.Write("components/train.yaml", "component: train\nrun: python3 trian.py\n");
  dir_.Write("components/train.py", "");
  auto result = LoadPipelineString("pipeline: p\nsteps:\n  t:\n    uses: components/train.yaml\n", "p.yaml",
                                   dir_.path());
  ASSERT_EQ(result.diagnostics.size(), 1u) << result.ErrorText();
  EXPECT_THAT(result.diagnostics[0].ToString(),
              HasSubstr("components/train.yaml:2:14: error: component 'train' runs script 'trian.py'"));
  EXPECT_EQ(result.diagnostics[0].hint, "did you mean 'train.py'?");
}

TEST_F(ValidationTest, ReportsEveryErrorInOnePass) {
  auto errors = Errors(R"(pipeline: p
steps:
  a:
    run: echo ${params.x}
    retires: 1
  b:
    run: echo ${inputs.i}
    inputs: {i: zz.out}
  a:
    run: echo
)");
  EXPECT_EQ(errors.size(), 4u);
}

}  // namespace
}  // namespace mlpipe::spec
