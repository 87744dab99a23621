// End-to-end: spec errors through the real binary. The error classes are
// covered one by one in src/mlpipe/spec/*_test.cc; here we check the CLI
// contract: every error printed with file:line:column, exit 2, nothing runs.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/e2e/e2e_util.h"

namespace mlpipe::e2e {
namespace {

const char* kBroken = R"y(pipeline: broken
steps:
  generate:
    run: python3 -c "print(1)" ${outputs.text}
    outputs:
      text: dataset
    retires: 2
  count:
    run: wc ${inputs.text} ${outputs.counts}
    inputs:
      text: generat.text
    outputs:
      counts: metrics
)y";

TEST(ValidateE2ETest, ReportsEveryErrorWithPosition) {
  Project p("validate");
  p.Write("pipeline.yaml", kBroken);
  auto r = p.Mlpipe({"validate", "pipeline.yaml"});
  EXPECT_EQ(r.exit_code, 2);
  std::string all = r.out + r.err;
  EXPECT_TRUE(Contains(all, "pipeline.yaml:7:5")) << all;  // retires
  EXPECT_TRUE(Contains(all, "retries")) << all;            // did you mean
  EXPECT_TRUE(Contains(all, "pipeline.yaml:11:13")) << all;  // generat.text
  EXPECT_TRUE(Contains(all, "generate")) << all;
}

TEST(ValidateE2ETest, ValidSpecPasses) {
  Project p("validate-ok");
  p.CopyFromRepo("examples/textstats", ".");
  auto r = p.Mlpipe({"validate", "pipeline.yaml"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST(ValidateE2ETest, RunOnInvalidSpecRunsNothing) {
  Project p("validate-run");
  p.Write("pipeline.yaml", R"y(pipeline: broken
steps:
  touch:
    run: touch ${pipeline.dir}/ran
  bad:
    run: echo ${params.missing}
)y");
  auto r = p.Mlpipe({"run", "pipeline.yaml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "params.missing") || Contains(r.err, "missing")) << r.err;
  EXPECT_FALSE(std::filesystem::exists(p.Path("ran")));
}

TEST(ValidateE2ETest, BadParamOverrideIsUsageError) {
  Project p("validate-param");
  p.CopyFromRepo("examples/textstats", ".");
  auto r = p.Mlpipe({"run", "pipeline.yaml", "-p", "repeat=many"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "repeat")) << r.err;
  auto r2 = p.Mlpipe({"run", "pipeline.yaml", "-p", "repeats=3"});
  EXPECT_EQ(r2.exit_code, 2);
  EXPECT_TRUE(Contains(r2.err, "repeat")) << r2.err;  // did you mean
}

}  // namespace
}  // namespace mlpipe::e2e
